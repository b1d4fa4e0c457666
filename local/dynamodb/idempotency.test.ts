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
  const request = { ClientRequestToken: "t", TransactItems: [{ Put: { TableName: "t", Item: { n: { N: "1" } } } }] };
  const other = { ClientRequestToken: "t", TransactItems: [{ Put: { TableName: "t", Item: { n: { N: "2" } } } }] };

  it("replays a token within the window, rejects it for another request, forgets it after", () => {
    // Arrange
    let now = 0;
    const tokens = new IdempotencyTokens(() => now, 1000);
    tokens.remember("t", request);

    // Act / Assert
    expect(tokens.isReplay("t", structuredClone(request))).toBe(true);
    expect(() => tokens.isReplay("t", other)).toThrow(expect.objectContaining({ code: "IdempotentParameterMismatchException" }));
    now = 1001;
    expect(tokens.isReplay("t", other)).toBe(false);
  });

  it("replays a retry written differently (member order, capacity reporting) and still rejects another request", () => {
    // Arrange
    const tokens = new IdempotencyTokens(() => 0);
    tokens.remember("t", request);
    const retry = { ReturnConsumedCapacity: "TOTAL", TransactItems: [{ Put: { Item: { n: { N: "1" } }, TableName: "t" } }], ClientRequestToken: "t" };

    // Act / Assert
    expect(tokens.isReplay("t", retry)).toBe(true);
    expect(() => tokens.isReplay("t", { ...other, ReturnConsumedCapacity: "TOTAL" })).toThrow(expect.objectContaining({ code: "IdempotentParameterMismatchException" }));
  });
});
