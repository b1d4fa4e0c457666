/**
 * The promotions API's Lambda, behind a function URL with `AWS_IAM` auth (administrators and the
 * `paybus promotions` CLI sign with SigV4; IAM decides who may call). Wiring only: the routes are
 * in `core.ts`, the validation and storage in `functions/loyalty/promotions.ts`.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { dynamo } from "../common/clients/dynamodb.ts";
import { InvalidJsonBodyError, json, jsonBody, refuse, type FunctionUrlAnswer } from "../common/function-url.ts";
import { createLogger } from "../common/logger.ts";
import { tableName } from "../common/tables.ts";
import { PromotionStore } from "../loyalty/promotions.ts";
import { answer } from "./core.ts";

const logger = createLogger("promotions");

let store: PromotionStore | undefined;

/** The caller's access key id, which an `AWS_IAM` function URL puts in the request context. */
function callerOf(event: APIGatewayProxyEventV2): string | undefined {
  return (event.requestContext as { authorizer?: { iam?: { accessKey?: string } } }).authorizer?.iam?.accessKey;
}

/** The Lambda entry point (function URL, payload format 2.0). */
export async function handler(event: APIGatewayProxyEventV2): Promise<FunctionUrlAnswer> {
  const method = event.requestContext.http.method;
  let body: unknown;
  try {
    body = jsonBody(event);
  } catch (error) {
    if (error instanceof InvalidJsonBodyError) return refuse(error.status, error.code, error.message);
    throw error;
  }
  try {
    store ??= new PromotionStore(dynamo(), tableName("promotions"));
    const result = await answer({ method, path: event.rawPath.replace(/\/+$/, "") || "/", body }, store);
    // Who changed the programme, for the audit trail (the caller's access key, never a secret).
    logger.info("promotions request", { method, path: event.rawPath, status: result.status, caller: callerOf(event) });
    return json(result.status, result.body);
  } catch (error) {
    logger.error("promotions request failed", { error });
    return refuse(500, "InternalError", "the promotions could not be read or changed: retry later");
  }
}
