import { setFlagsFromString } from "node:v8";
import { describe, expect, it } from "vitest";
import { withFastProperties } from "./clients.ts";
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

  it("hold their resolved configuration in V8's fast mode, which the SDK's per-call copies of it need", () => {
    const clients = [dynamo(), dynamoClient(), ses(), sns(), sfn(), eventBridge(), secretsManager()];
    // The SDK assembles each of them as a dictionary (see withFastProperties)...
    expect(clients.every((client) => hasFastProperties(client.config))).toBe(true);
    // ...and a plain object built the same way (a dozen Object.assign onto it) is one until made fast.
    const assembled = {};
    for (let i = 0; i < 48; i++) Object.assign(assembled, { [`setting${i}`]: i });
    const before = { ...assembled };
    expect(hasFastProperties(assembled)).toBe(false);
    withFastProperties(assembled);
    expect(hasFastProperties(assembled)).toBe(true);
    expect(assembled).toStrictEqual(before);
  });
});

/** V8's own answer (`%HasFastProperties`): the natives syntax, allowed for the functions compiled after the flag. */
function hasFastProperties(object: object): boolean {
  setFlagsFromString("--allow-natives-syntax");
  return (new Function("object", "return %HasFastProperties(object)") as (object: object) => boolean)(object);
}

