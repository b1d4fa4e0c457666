/**
 * How much of the running Lambda invocation is left, for the sends that cannot be taken back.
 *
 * SES and SNS take no idempotency key, so a send is claimed, performed, then recorded: an invocation
 * that times out between the provider's acceptance and the record leaves a claim whose lease runs
 * out, and the retry sends again. That window is one request long when the invocation has time; it
 * is wide open when the send starts with a few milliseconds left (a slow batch, a cold start, a
 * loaded machine), because the timeout then lands on the send or the record. So a send starts only
 * with {@link SEND_TIME_BUDGET_MS} of the invocation left; otherwise the record fails as retryable
 * before anything is claimed, and its retry, in a fresh invocation, sends once.
 */
import type { Context } from "aws-lambda";
import { RetryableError } from "./errors.ts";

/** The running Lambda invocation: how long it may still run (`context.getRemainingTimeInMillis`). */
export interface InvocationBounds {
  remainingMs(): number;
}

/**
 * The invocation time a send needs before it starts: the claim's write, the provider's call and the
 * record's write. AWS answers each in well under a second; the margin covers retries of throttled
 * calls and a loaded machine locally. Below every sending function's timeout
 * (`functions/common/timeouts.ts`: 15 s and more), so a fresh invocation always has it.
 */
export const SEND_TIME_BUDGET_MS = 5_000;

/** The invocation had too little time left to send and record a send: retried, nothing sent. */
export class InvocationEndingError extends RetryableError {
  override name = "InvocationEndingError";
}

/**
 * The bounds of a Lambda invocation, or undefined when called without one (a test's or a script's
 * partial context): then no send is held back.
 */
export function invocationOf(context: Partial<Pick<Context, "getRemainingTimeInMillis">> | undefined): InvocationBounds | undefined {
  const remaining = context?.getRemainingTimeInMillis;
  return typeof remaining === "function" ? { remainingMs: () => remaining.call(context) } : undefined;
}

/**
 * Throws {@link InvocationEndingError} when `invocation` has less than {@link SEND_TIME_BUDGET_MS}
 * left, before anything of the send `what` (no personal data) is claimed.
 */
export function assertTimeToSend(invocation: InvocationBounds | undefined, what: string): void {
  const left = invocation?.remainingMs();
  if (left !== undefined && left < SEND_TIME_BUDGET_MS) {
    throw new InvocationEndingError(`${what}: ${left} ms of the invocation left, ${SEND_TIME_BUDGET_MS} ms needed to send and record it; retried`);
  }
}
