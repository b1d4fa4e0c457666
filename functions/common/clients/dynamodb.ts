/** The functions' DynamoDB clients (see `../clients.ts` for how clients are built and why one module per service). */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { cached, once, prepared } from "../clients.ts";
import { CachedDocumentClient } from "../document-client.ts";

/**
 * The document client the functions use (native JavaScript values in and out). It cannot take
 * `cacheMiddleware` (lib-dynamodb refuses it at construction, and with the option set later every
 * command of a class would send the first command's input: its handler is bound to that instance),
 * so it caches the same work its own way: see `CachedDocumentClient`.
 */
export const dynamo = /* @__PURE__ */ once(() =>
  CachedDocumentClient.over(prepared(new DynamoDBClient({})), { marshallOptions: { removeUndefinedValues: true } }),
);
/**
 * A plain DynamoDB client (marshalled attribute values), for libraries that send their own
 * low-level commands: Powertools' idempotency persistence layer.
 */
export const dynamoClient = /* @__PURE__ */ once(() => prepared(new DynamoDBClient(cached())));
