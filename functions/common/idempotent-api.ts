/**
 * The Lambda entry point of a function-URL API whose writes are made idempotent by Powertools
 * (`Idempotency-Key` header): the devices and loyalty APIs. It maps what their routes throw to the
 * answers both promise, in one place. Apart from `function-url.ts` so that an API without
 * idempotency (promotions) does not bundle Powertools' idempotency.
 */
import { IdempotencyAlreadyInProgressError, IdempotencyValidationError } from "@aws-lambda-powertools/idempotency";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { ApiRequestError, refuse, type FunctionUrlAnswer } from "./function-url.ts";

export interface IdempotentApi {
  readonly logger: Logger;
  /** What a request is about, in its log lines: `<subject> request`, `… refused`, `… failed`, `<subject> API misconfigured`. */
  readonly subject: string;
  /** Answers one request; throws an {@link ApiRequestError} to refuse it. */
  readonly route: (event: APIGatewayProxyEventV2, context: Context | undefined) => Promise<FunctionUrlAnswer>;
  /** The API's configuration error: answered 500 `Misconfigured` with its message (which says what to set). */
  readonly configError: abstract new (...args: never[]) => Error;
  /** The messages of the answers to a key reused with another request (422), a key still in progress (409) and an unexpected failure (500). */
  readonly messages: { readonly keyReused: string; readonly inProgress: string; readonly failed: string };
}

/**
 * The handler of `api`: its route's answer, or the refusal of what it threw — an
 * {@link ApiRequestError} as its status and code; Powertools' reused key 422 `IdempotencyKeyReused`
 * and key in progress 409 `RequestInProgress`; a configuration error 500 `Misconfigured`; anything
 * else 500 `InternalError` (logged, not shown: it may name internals).
 */
export function idempotentApiHandler(api: IdempotentApi): (event: APIGatewayProxyEventV2, context?: Context) => Promise<FunctionUrlAnswer> {
  const { logger, subject, messages } = api;
  return async (event, context) => {
    try {
      const answer = await api.route(event, context);
      logger.info(`${subject} request`, { method: event.requestContext.http.method, status: answer.statusCode });
      return answer;
    } catch (error) {
      if (error instanceof ApiRequestError) {
        logger.info(`${subject} request refused`, { code: error.code, status: error.status });
        return refuse(error.status, error.code, error.message, error.details);
      }
      if (error instanceof IdempotencyValidationError) return refuse(422, "IdempotencyKeyReused", messages.keyReused);
      if (error instanceof IdempotencyAlreadyInProgressError) return refuse(409, "RequestInProgress", messages.inProgress);
      if (error instanceof api.configError) {
        logger.error(`${subject} API misconfigured`, { error: error.message });
        return refuse(500, "Misconfigured", error.message);
      }
      logger.error(`${subject} request failed`, { error });
      return refuse(500, "InternalError", messages.failed);
    }
  };
}
