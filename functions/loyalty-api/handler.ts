/**
 * The loyalty API's Lambda, behind a function URL with `AWS_IAM` auth (the retailer's backend and
 * admin tools sign with SigV4; IAM decides who may call). Wiring only: routes, status codes, the
 * Powertools idempotency of redemptions and adjustments (`Idempotency-Key` header), and the
 * publication of `PointsRedeemed` from the outbox. Locally the gateway serves it under `/loyalty`;
 * the function accepts both `/loyalty/customers/…` and `/customers/…`.
 *
 * | request | body / query | answer |
 * | --- | --- | --- |
 * | `GET /customers/{id}` | | 200 `{account: {customerId, points, lifetimePoints, tier, purchases}}` |
 * | `GET /customers/{id}/ledger` | `?limit=1..100&cursor=…` | 200 `{entries, nextCursor?}` (newest first) |
 * | `POST /customers/{id}/redemptions` + `Idempotency-Key` | `{points, reference?}` | 200 `{redemption}`; 409 `{error: {balance}}` |
 * | `POST /customers/{id}/adjustments` + `Idempotency-Key` | `{points, reason, actor}` | 200 `{adjustment}`; 409 when a debit exceeds the balance |
 */
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { dynamo, dynamoClient } from "../common/clients/dynamodb.ts";
import { eventBridge } from "../common/clients/eventbridge.ts";
import { json, jsonBody, refuse, type FunctionUrlAnswer as Answer } from "../common/function-url.ts";
import { idempotentApiHandler } from "../common/idempotent-api.ts";
import { createLogger } from "../common/logger.ts";
import { tableName } from "../common/tables.ts";
import { LoyaltyConfigError, loadLoyaltyConfig, lotExpirySeconds } from "../loyalty/config.ts";
import { publishOutboxed } from "../loyalty/outbox.ts";
import { eventBusName } from "../loyalty/publish.ts";
import {
  adjustPoints,
  adjustRequest,
  getAccount,
  getLedger,
  parseRequest,
  redeemPoints,
  redeemRequest,
  type AdjustRequest,
  type LoyaltyApiDependencies,
  type RedeemRequest,
} from "./core.ts";
import { ADJUSTMENT_KEY_PREFIX, REDEMPTION_KEY_PREFIX } from "./idempotency-key.ts";
import { dynamoLoyaltyAccounts } from "./store.ts";

const logger = createLogger("loyalty-api");

type Redemption = RedeemRequest & { customerId: string; idempotencyKey: string };
type Adjustment = AdjustRequest & { customerId: string; idempotencyKey: string };

interface Built {
  /** The client the persistence layer and store were built on (the shared one, until its endpoint changes). */
  readonly client: unknown;
  readonly deps: LoyaltyApiDependencies;
  readonly redeem: (request: Redemption) => Promise<unknown>;
  readonly adjust: (request: Adjustment) => Promise<unknown>;
  readonly idempotency: readonly IdempotencyConfig[];
}

let built: Built | undefined;
function build(): Built {
  if (built && built.client === dynamoClient()) return built;
  const config = loadLoyaltyConfig();
  const outbox = { client: dynamo(), tableName: tableName("loyalty"), eventBridge: eventBridge(), eventBusName: eventBusName() };
  const deps: LoyaltyApiDependencies = {
    accounts: dynamoLoyaltyAccounts({ client: dynamo(), tableName: tableName("loyalty") }),
    lotExpirySeconds: lotExpirySeconds(config),
    publish: async (item) => {
      try {
        await publishOutboxed([item], outbox);
      } catch (error) {
        // The redemption is committed; its event waits in the outbox for the expiry job's drain.
        logger.warn("loyalty event left in the outbox", { eventId: item.sk, error: (error as Error).message });
      }
    },
  };
  // Keys are the caller's, per customer: the same key for two customers is two requests. The same
  // key with another request is a client bug: refuse it (422) rather than replay the first answer.
  const config24h = (payload: string) =>
    new IdempotencyConfig({ eventKeyJmesPath: "[customerId, idempotencyKey]", payloadValidationJmesPath: payload, expiresAfterSeconds: 24 * 3600 });
  const idempotency = config24h("[points, reference]");
  const adjustIdempotency = config24h("[points, reason, actor]");
  // One persistence layer per configuration (Powertools keeps per-configuration state in it).
  const persistence = () => new DynamoDBPersistenceLayer({ tableName: tableName("idempotency"), awsSdkV3Client: dynamoClient() });
  // Only a committed change is remembered: a refusal (409, 404) throws, Powertools deletes its
  // record, and the same key may be retried once the balance allows.
  const redeem = makeIdempotent(async (request: Redemption) => ({ redemption: await redeemPoints(request.customerId, request, deps) }), {
    persistenceStore: persistence(),
    config: idempotency,
    keyPrefix: REDEMPTION_KEY_PREFIX,
  });
  const adjust = makeIdempotent(async (request: Adjustment) => ({ adjustment: await adjustPoints(request.customerId, request, deps) }), {
    persistenceStore: persistence(),
    config: adjustIdempotency,
    keyPrefix: ADJUSTMENT_KEY_PREFIX,
  });
  built = { client: dynamoClient(), deps, redeem, adjust, idempotency: [idempotency, adjustIdempotency] };
  return built;
}

/** The JSON body, `{}` without one. */
const bodyOf = (event: APIGatewayProxyEventV2): unknown => jsonBody(event) ?? {};

const ROUTE = /^(?:\/loyalty)?\/customers\/([^/]+)(?:\/(ledger|redemptions|adjustments))?\/?$/;

async function route(event: APIGatewayProxyEventV2, context: Context | undefined): Promise<Answer> {
  const match = ROUTE.exec(event.rawPath);
  if (!match) return refuse(404, "NotFound", `no route for ${event.rawPath} (see /customers/{id}, …/ledger, …/redemptions, …/adjustments)`);
  const customerId = decodeURIComponent(match[1]!);
  const resource = match[2] ?? "account";
  const method = event.requestContext.http.method;
  const { deps, redeem, adjust, idempotency } = build();
  const allowed = resource === "account" || resource === "ledger" ? "GET" : "POST";
  if (method !== allowed) return refuse(405, "MethodNotAllowed", `${method} is not supported on ${resource}: use ${allowed}`);
  switch (resource) {
    case "account":
      return json(200, { account: await getAccount(customerId, deps) });
    case "ledger":
      return json(200, await getLedger(customerId, event.queryStringParameters ?? {}, deps));
    default: {
      const what = resource === "redemptions" ? "redemption" : "adjustment";
      const idempotencyKey = event.headers["idempotency-key"];
      if (!idempotencyKey || idempotencyKey.length > 255) {
        return refuse(400, "IdempotencyKeyRequired", `send an Idempotency-Key header (1 to 255 characters) with every ${what}`, { field: "Idempotency-Key" });
      }
      if (context) for (const config of idempotency) config.registerLambdaContext(context);
      return resource === "redemptions"
        ? json(200, await redeem({ ...parseRequest(redeemRequest, bodyOf(event)), customerId, idempotencyKey }))
        : json(200, await adjust({ ...parseRequest(adjustRequest, bodyOf(event)), customerId, idempotencyKey }));
    }
  }
}

/** The Lambda entry point (function URL, payload format 2.0). */
export const handler = idempotentApiHandler({
  logger,
  subject: "loyalty",
  route,
  configError: LoyaltyConfigError,
  messages: {
    keyReused: "this Idempotency-Key was used for another request of this customer: use a new key per request",
    inProgress: "a request with this Idempotency-Key is in progress: retry shortly",
    failed: "the request could not be completed: retry later",
  },
});
