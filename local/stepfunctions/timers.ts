import { ExecutionStoppedError } from "./errors.ts";

/**
 * Node's `setTimeout` silently fires after 1 ms for delays above 2^31-1 ms (~24.8 days), so every
 * duration handed to a timer (ours or the engine's) is capped at or chained below this bound.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** {@link MAX_TIMER_MS} in whole seconds, the unit of ASL `TimeoutSeconds`. */
export const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/**
 * Resolves after `ms` milliseconds (negative counts as 0) or rejects with
 * {@link ExecutionStoppedError} as soon as `signal` aborts. Delays longer than one timer allows are
 * chained, never truncated.
 */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  let remaining = Math.max(0, ms);
  do {
    const step = Math.min(remaining, MAX_TIMER_MS);
    let timer: NodeJS.Timeout | undefined;
    const elapsed = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, step);
    });
    await abortable(elapsed, signal, () => clearTimeout(timer));
    remaining -= step;
  } while (remaining > 0);
}

/** How a {@link timeLimit} ended. */
export type TimeLimitEnd = "reached" | "aborted" | "cancelled";

/**
 * A timer for the epoch-ms instant `until` (chained below {@link MAX_TIMER_MS}, like {@link sleep}):
 * `ended` resolves with `reached` when it runs out, `aborted` when `signal` aborts first, or
 * `cancelled` after `cancel()`; the timer and the listener on `signal` go in every case. Cheaper than
 * {@link sleep} on an AbortController of its own, which a task's deadline needed: aborting one makes
 * a DOMException, with its stack, per task.
 */
export function timeLimit(until: number, signal: AbortSignal): { ended: Promise<TimeLimitEnd>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let settle!: (end: TimeLimitEnd) => void;
  const ended = new Promise<TimeLimitEnd>((resolve) => (settle = resolve));
  const end = (how: TimeLimitEnd) => {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
    settle(how);
  };
  const onAbort = () => end("aborted");
  const arm = (remaining: number) => {
    const step = Math.min(remaining, MAX_TIMER_MS);
    timer = setTimeout(() => (remaining > step ? arm(remaining - step) : end("reached")), step);
  };
  if (signal.aborted) end("aborted");
  else {
    signal.addEventListener("abort", onAbort, { once: true });
    arm(Math.max(0, until - Date.now()));
  }
  return { ended, cancel: () => end("cancelled") };
}

/**
 * Settles like `promise` unless `signal` aborts first; then rejects with
 * {@link ExecutionStoppedError} and runs `onAbort` (e.g. to clear a timer), so a stopped execution
 * leaves nothing that keeps the process alive.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal, onAbort: () => void = () => undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = () => {
      onAbort();
      reject(new ExecutionStoppedError());
    };
    if (signal.aborted) return stop();
    signal.addEventListener("abort", stop, { once: true });
    const detach = () => signal.removeEventListener("abort", stop);
    promise.then(
      (value) => {
        detach();
        resolve(value);
      },
      (error: unknown) => {
        detach();
        reject(error);
      },
    );
  });
}
