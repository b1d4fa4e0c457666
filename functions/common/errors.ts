/**
 * Retryable or poison: decided here, once, for every consumer.
 *
 * A failed SQS record always returns to the queue (partial batch response) and reaches the DLQ
 * after `maxReceiveCount`; the classification decides how it is logged and lets the local runtime
 * and the reports say why a message is in a DLQ.
 */
import * as z from "zod";
import { EventContractError } from "../../events/errors.ts";

/** A fault that may pass: throttling, a 5xx, a timeout, a conflicting transaction. */
export class RetryableError extends Error {
  override name = "RetryableError";
}

/** A record that can never succeed as it is (bad input, a routing mistake). */
export class PoisonRecordError extends Error {
  override name = "PoisonRecordError";
}

const RETRYABLE_NAMES = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "TransactionConflictException",
  "TransactionInProgressException",
  "ServiceUnavailable",
  "InternalServerError",
  "InternalFailure",
  "InternalError",
  "ThrottledException",
  "KMSThrottlingException",
  "TimeoutError",
]);

export type ErrorClass = "retryable" | "poison";

/**
 * A schema refusal from zod. Matched by shape as well as by class: a second copy of zod (a
 * dependency's) throws errors that are not `instanceof` ours.
 */
function isZodError(error: unknown): error is z.ZodError {
  if (error instanceof z.ZodError) return true;
  const candidate = error as { name?: unknown; issues?: unknown };
  return error instanceof Error && candidate.name === "ZodError" && Array.isArray(candidate.issues);
}

/**
 * Errors a bad value raises, whatever code raised them: a schema refusal (`ZodError`), a number or
 * date out of range (`RangeError`, e.g. `Invalid time value`), unparsable text (`SyntaxError`).
 * The same bytes raise them again on every delivery.
 */
function isBadValueError(error: unknown): boolean {
  // An SDK client that could not parse a response (a proxy's HTML 502) throws a SyntaxError too,
  // with the response's $metadata: that is the service's fault, classified below by its status.
  if (error instanceof Error && "$metadata" in error) return false;
  return isZodError(error) || error instanceof RangeError || error instanceof SyntaxError;
}

/** The first line of a message: the DLQ listing and the logs get one line per failure. */
const firstLine = (text: string) => text.split(/\r?\n/, 1)[0]!.trim();

/** Why `error` happened, in one line: a zod refusal as `path: message` of its first issue. */
export function describeError(error: unknown): string {
  if (isZodError(error)) {
    const issue = error.issues[0];
    const path = issue?.path.map(String).join(".") || "value";
    return `${path}: ${firstLine(issue?.message ?? "invalid")}${error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : ""}`;
  }
  if (error instanceof Error) return firstLine(error.message) || error.name;
  return firstLine(String(error));
}

/**
 * The error to report for a failed record: a bad-value error becomes a {@link PoisonRecordError}
 * with a one-line reason (its cause kept), anything else is returned as it is.
 */
export function toRecordError(error: unknown): unknown {
  if (!isBadValueError(error)) return error;
  const name = isZodError(error) ? "ZodError" : (error as Error).name;
  return new PoisonRecordError(`${name}: ${describeError(error)}`, { cause: error });
}

/** Decides whether redelivery can help. Unknown errors count as retryable: the DLQ bounds them. */
export function classifyError(error: unknown): ErrorClass {
  if (error instanceof EventContractError || error instanceof PoisonRecordError) return "poison";
  if (isBadValueError(error)) return "poison";
  if (error instanceof RetryableError) return "retryable";
  const aws = error as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (aws?.$retryable || (aws?.name && RETRYABLE_NAMES.has(aws.name))) return "retryable";
  const status = aws?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 400 && status < 500 && status !== 429) return "poison";
  return stripeErrorClass(error) ?? "retryable";
}

/**
 * How a Stripe API error classes, or undefined for anything else (and for a Stripe error that is
 * neither): retryable when it may pass (no answer, 429, 409 — a concurrent request with the same
 * idempotency key — and Stripe's 5xx), poison when Stripe refused the request itself (any other
 * 4xx: invalid parameters, a key reused with other parameters, authentication, permission), which
 * the same request gets again. Without the poison side a task's `RetryableError` had the ASL call
 * Stripe four more times for the same refusal. Matched by shape (`type` is the SDK's class name,
 * `statusCode` Stripe's answer), so that this module does not bring the Stripe SDK into every
 * function's bundle; `classifyStripeError` (`stripe.ts`) decides with it too.
 */
export function stripeErrorClass(error: unknown): ErrorClass | undefined {
  const candidate = error as { type?: unknown; statusCode?: unknown };
  if (!(error instanceof Error) || typeof candidate.type !== "string" || !candidate.type.startsWith("Stripe")) return undefined;
  const status = typeof candidate.statusCode === "number" ? candidate.statusCode : 0;
  if (candidate.type === "StripeConnectionError" || candidate.type === "StripeRateLimitError" || status === 409 || status === 429 || status >= 500) return "retryable";
  return status >= 400 ? "poison" : undefined;
}
