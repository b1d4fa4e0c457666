/**
 * A definition asl-validator accepted is not validated again, in this process or the next; one it
 * rejected is rejected every time with the validator's own error, and never remembered.
 */
import { afterAll, describe, expect, it, vi } from "vitest";
import { InvalidDefinitionError } from "./errors.ts";
import { registerStateMachine } from "./machines.ts";
import { forgetValid, knownValid } from "./validation-cache.ts";

const scope = { region: "us-east-1", accountId: "000000000000" };
const scales = { timeScale: 1, retryIntervalScale: 1 };
const valid = { Comment: "validation-cache.test.ts", StartAt: "P", States: { P: { Type: "Pass", Next: "Done" }, Done: { Type: "Succeed" } } };
// The same text but for a transition to a state that does not exist.
const invalid = { ...valid, States: { ...valid.States, P: { Type: "Pass", Next: "Missing" } } };
const textOf = (definition: object) => JSON.stringify(definition);

afterAll(() => forgetValid(textOf(valid)));

describe("the validation cache", () => {
  it("remembers a valid definition for this process and the next", async () => {
    // Arrange
    forgetValid(textOf(valid));
    expect(knownValid(textOf(valid))).toBe(false);

    // Act
    registerStateMachine({ name: "cached", definition: valid }, scope, scales);

    // Assert: a fresh module (as in a new process) reads the verdict from disk.
    expect(knownValid(textOf(valid))).toBe(true);
    vi.resetModules();
    const fresh = (await import("./validation-cache.ts")) as typeof import("./validation-cache.ts");
    expect(fresh.knownValid(textOf(valid))).toBe(true);
  });

  it("rejects an invalid definition every time and never remembers it", () => {
    // Arrange
    registerStateMachine({ name: "cached", definition: valid }, scope, scales);

    // Act
    const register = () => registerStateMachine({ name: "broken", definition: invalid }, scope, scales);

    // Assert
    expect(register).toThrow(InvalidDefinitionError);
    expect(register).toThrow(/Missing/);
    expect(knownValid(textOf(invalid))).toBe(false);
  });
});
