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
