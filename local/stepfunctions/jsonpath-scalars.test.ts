import { describe, expect, it } from "vitest";
import { engineJsonPath, lightenJsonPathScalars } from "./jsonpath-scalars.ts";

describe("jsonpath-plus scalars without a stack trace each", () => {
  it("throws the engine's scalar carrier without capturing a stack, and every path still evaluates as before", async () => {
    const module = await engineJsonPath();
    expect(module).toBeDefined();
    const { JSONPath } = module!;

    expect(await lightenJsonPathScalars()).toBe(true);

    // The carrier the library throws for a scalar (with `new` it escapes): no stack captured, still an Error.
    let carrier: unknown;
    try {
      new JSONPath({ path: "$.a.b", json: { a: { b: 2 } }, wrap: false });
    } catch (error) {
      carrier = error;
    }
    expect(carrier).toBeInstanceOf(Error);
    expect(carrier).toMatchObject({ name: "NewError", avoidNew: true, value: 2 });
    expect((carrier as Error).stack).toBeUndefined();
    // Called as the engine calls it: scalars (falsy ones included), missing paths and objects as before.
    const json = { s: "text", n: 0, f: false, z: null, o: { k: [1, 2] } };
    expect(JSONPath({ path: "$.s", json, wrap: false })).toBe("text");
    expect(JSONPath({ path: "$.n", json, wrap: false })).toBe(0);
    expect(JSONPath({ path: "$.f", json, wrap: false })).toBe(false);
    expect(JSONPath({ path: "$.z", json, wrap: false })).toBeNull();
    expect(JSONPath({ path: "$.missing", json, wrap: false })).toBeUndefined();
    expect(JSONPath({ path: "$.o", json, wrap: false })).toEqual({ k: [1, 2] });
    expect(JSONPath({ path: "$.o.k[1]", json, wrap: false })).toBe(2);
    // Errors of the library's own users keep their stacks.
    expect(new Error("x").stack).toContain("Error: x");
  });
});
