import { describe, expect, it } from "vitest";
import { dynamo, dynamoClient, eventBridge, secretsManager, ses, sfn, sns } from "./clients.ts";

describe("the functions' AWS SDK clients", () => {
  it("leave out the SDK's logger middleware, whose only effect without a logger is CPU per call", () => {
    for (const client of [dynamo(), dynamoClient(), ses(), sns(), sfn(), eventBridge(), secretsManager()]) {
      const middleware = client.middlewareStack.identify();
      // The stack is otherwise whole: serialisation and signing are there.
      expect(middleware.some((name) => name.startsWith("serializerMiddleware"))).toBe(true);
      expect(middleware.some((name) => name.startsWith("httpSigningMiddleware"))).toBe(true);
      expect(middleware.filter((name) => name.startsWith("loggerMiddleware"))).toEqual([]);
    }
  });
});
