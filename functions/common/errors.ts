/**
 * Retryable or poison: decided here, once, for every consumer.
 *
 * A failed SQS record always returns to the queue (partial batch response) and reaches the DLQ
 * after `maxReceiveCount`; the classification decides how it is logged and lets the local runtime
 * and the reports say why a message is in a DLQ.
 */
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

/** Decides whether redelivery can help. Unknown errors count as retryable: the DLQ bounds them. */
export function classifyError(error: unknown): ErrorClass {
  if (error instanceof EventContractError || error instanceof PoisonRecordError) return "poison";
  if (error instanceof RetryableError) return "retryable";
  const aws = error as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (aws?.$retryable || (aws?.name && RETRYABLE_NAMES.has(aws.name))) return "retryable";
  const status = aws?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 400 && status < 500 && status !== 429) return "poison";
  return "retryable";
}
