/**
 * AWS SDK clients, built once per execution environment and only when first used. Endpoints,
 * region and credentials come from the standard environment variables (`AWS_ENDPOINT_URL_<SERVICE>`,
 * `AWS_REGION`, `AWS_ACCESS_KEY_ID`), which is how the local runtime points the very same handlers at
 * its gateway: each function runs in an environment of its own there too, so its clients never change.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SESClient } from "@aws-sdk/client-ses";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** A client built on first use and kept for the life of the execution environment. */
function once<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= create());
}

/**
 * The SDK's `loggerMiddleware` runs on every call, whether or not the client has a logger: it passes
 * the input and the output through the operation's sensitive-data filters (a walk of both along the
 * operation's schema) and hands the copies to the client's logger, which is a `NoOpLogger` that
 * drops them unless one is configured. These clients never are (the functions log through Powertools,
 * with their own redaction), so the middleware is removed: the same requests on the wire, less CPU
 * per call (measured in `bench/functions.ts`).
 */
export function withoutSdkLogger<C extends { middlewareStack: { remove(name: string): boolean } }>(client: C): C {
  client.middlewareStack.remove("loggerMiddleware");
  return client;
}

export const dynamo = /* @__PURE__ */ once(() =>
  DynamoDBDocumentClient.from(withoutSdkLogger(new DynamoDBClient({})), { marshallOptions: { removeUndefinedValues: true } }),
);
/**
 * A plain DynamoDB client (marshalled attribute values), for libraries that send their own
 * low-level commands: Powertools' idempotency persistence layer.
 */
export const dynamoClient = /* @__PURE__ */ once(() => withoutSdkLogger(new DynamoDBClient({})));
export const ses = /* @__PURE__ */ once(() => withoutSdkLogger(new SESClient({})));
export const sns = /* @__PURE__ */ once(() => withoutSdkLogger(new SNSClient({})));
export const sfn = /* @__PURE__ */ once(() => withoutSdkLogger(new SFNClient({})));
export const eventBridge = /* @__PURE__ */ once(() => withoutSdkLogger(new EventBridgeClient({})));
export const secretsManager = /* @__PURE__ */ once(() => withoutSdkLogger(new SecretsManagerClient({})));
