import { describe, expect, it } from "vitest";
import { dynamo, dynamoClient } from "./clients/dynamodb.ts";
import { eventBridge } from "./clients/eventbridge.ts";
import { secretsManager } from "./clients/secrets-manager.ts";
import { ses } from "./clients/ses.ts";
import { sfn } from "./clients/sfn.ts";
import { sns } from "./clients/sns.ts";
import { CachedDocumentClient } from "./document-client.ts";

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

  it("build each command class's middleware chain once: the SDK's cache on plain clients, CachedDocumentClient for documents", () => {
    for (const client of [dynamoClient(), ses(), sns(), sfn(), eventBridge(), secretsManager()]) {
      expect(client.config.cacheMiddleware).toBe(true);
    }
    // The SDK's own cache would send a document command class's first input every time (document-client.test.ts).
    expect(dynamo()).toBeInstanceOf(CachedDocumentClient);
    expect(dynamo().config.cacheMiddleware).not.toBe(true);
  });
});
