/**
 * The device API's Lambda, behind a function URL with `AWS_IAM` auth (the app's backend signs its
 * requests with SigV4; IAM decides who may call). Wiring only: routes, status codes and the
 * Powertools idempotency of registrations (`Idempotency-Key` header).
 *
 * | request | body / query | answer |
 * | --- | --- | --- |
 * | `POST /devices` + `Idempotency-Key` | `{customerId, platform, token}` | 200 `{device}` |
 * | `GET /devices?customerId=cus_…` | | 200 `{devices}` |
 * | `DELETE /devices` | `{customerId, token}` | 200 `{removed}` |
 */
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { dynamo, dynamoClient } from "../common/clients/dynamodb.ts";
import { sns } from "../common/clients/sns.ts";
import { json, jsonBody, refuse, type FunctionUrlAnswer as Answer } from "../common/function-url.ts";
import { idempotentApiHandler } from "../common/idempotent-api.ts";
import { createLogger } from "../common/logger.ts";
import { DeviceConfigError, loadDeviceConfig } from "./config.ts";
import { listDevices, parseBody, registerDevice, registerRequest, removeDevice, removeRequest, type DeviceDependencies, type RegisterRequest } from "./core.ts";
import { snsEndpointRegistry } from "./endpoints.ts";
import { REGISTRATION_KEY_PREFIX } from "./idempotency-key.ts";
import { dynamoDeviceStore } from "./store.ts";

const logger = createLogger("devices");

interface Built {
  readonly deps: DeviceDependencies;
  readonly register: (request: RegisterRequest & { idempotencyKey: string }) => Promise<unknown>;
  readonly idempotency: IdempotencyConfig;
}

let built: Built | undefined;
function build(): Built {
  if (built) return built;
  const config = loadDeviceConfig();
  const deps: DeviceDependencies = {
    store: dynamoDeviceStore({ client: dynamo(), tableName: config.profilesTable }),
    endpoints: snsEndpointRegistry(sns()),
    applications: config.applications,
    now: Date.now,
  };
  const idempotency = new IdempotencyConfig({
    eventKeyJmesPath: "idempotencyKey",
    // The same key with another body is a client bug: refuse it rather than replay the first answer.
    payloadValidationJmesPath: "[customerId, platform, token]",
    expiresAfterSeconds: config.idempotencySeconds,
  });
  // The shared low-level client: one connection pool, and the IAM audit sees these calls too.
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName: config.idempotencyTable, awsSdkV3Client: dynamoClient() });
  const register = makeIdempotent(
    async (request: RegisterRequest & { idempotencyKey: string }) => ({ device: await registerDevice(request, deps) }),
    { persistenceStore, config: idempotency, keyPrefix: REGISTRATION_KEY_PREFIX },
  );
  built = { deps, register, idempotency };
  return built;
}

/** The JSON body, `{}` without one. */
const bodyOf = (event: APIGatewayProxyEventV2): unknown => jsonBody(event) ?? {};

async function route(event: APIGatewayProxyEventV2, context: Context | undefined): Promise<Answer> {
  const path = event.rawPath.replace(/\/+$/, "") || "/";
  if (path !== "/devices" && path !== "/") return refuse(404, "NotFound", `no route for ${event.rawPath}`);
  const { deps, register, idempotency } = build();
  switch (event.requestContext.http.method) {
    case "POST": {
      const idempotencyKey = event.headers["idempotency-key"];
      if (!idempotencyKey || idempotencyKey.length > 255) {
        return refuse(400, "IdempotencyKeyRequired", "send an Idempotency-Key header (1 to 255 characters) with every registration");
      }
      const request = parseBody(registerRequest, bodyOf(event));
      if (context) idempotency.registerLambdaContext(context);
      return json(200, await register({ ...request, idempotencyKey }));
    }
    case "GET":
      return json(200, { devices: await listDevices(event.queryStringParameters?.customerId ?? "", deps) });
    case "DELETE":
      return json(200, { removed: await removeDevice(parseBody(removeRequest, bodyOf(event)), deps) });
    default:
      return refuse(405, "MethodNotAllowed", `${event.requestContext.http.method} is not supported: use POST, GET or DELETE`);
  }
}

/** The Lambda entry point (function URL, payload format 2.0). */
export const handler = idempotentApiHandler({
  logger,
  subject: "device",
  route,
  configError: DeviceConfigError,
  messages: {
    keyReused: "this Idempotency-Key was used for another registration: use a new key per request",
    inProgress: "a registration with this Idempotency-Key is in progress: retry shortly",
    failed: "the device could not be registered: retry later",
  },
});
