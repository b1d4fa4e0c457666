import { describe, expect, it } from "vitest";
import { IdempotencyTokens, requestFingerprint } from "./idempotency.ts";

describe("requestFingerprint", () => {
  it("ignores member order, the token and capacity reporting", () => {
    // Arrange
    const original = { ClientRequestToken: "a", TransactItems: [{ Put: { TableName: "t", Item: { pk: { S: "1" } } } }] };
    const retry = { ReturnConsumedCapacity: "TOTAL", TransactItems: [{ Put: { Item: { pk: { S: "1" } }, TableName: "t" } }], ClientRequestToken: "b" };

    // Act / Assert
    expect(requestFingerprint(retry)).toBe(requestFingerprint(original));
  });

  it("tells different requests apart", () => {
    // Act / Assert
    expect(requestFingerprint({ TransactItems: [{ Put: { Item: { n: { N: "1" } } } }] })).not.toBe(
      requestFingerprint({ TransactItems: [{ Put: { Item: { n: { N: "2" } } } }] }),
    );
  });
});

describe("IdempotencyTokens", () => {
  it("replays a token within the window, rejects it for another request, forgets it after", () => {
    // Arrange
    let now = 0;
    const tokens = new IdempotencyTokens(() => now, 1000);
    tokens.remember("t", "request");

    // Act / Assert
    expect(tokens.isReplay("t", "request")).toBe(true);
    expect(() => tokens.isReplay("t", "other")).toThrow(expect.objectContaining({ code: "IdempotentParameterMismatchException" }));
    now = 1001;
    expect(tokens.isReplay("t", "other")).toBe(false);
  });
});
