/**
 * aws-local-stepfunctions 3.0.0 calls `Promise.withResolvers` (ES2024) in every Task state, which
 * Node 20 lacks: importing this module installs {@link promiseWithResolvers} in its place.
 */

/** A promise together with the functions that settle it (what `Promise.withResolvers` returns). */
export interface PromiseWithResolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

/** `Promise.withResolvers`, typed for our ES2023 lib and usable on Node 20. */
export function promiseWithResolvers<T>(): PromiseWithResolvers<T> {
  let resolve!: PromiseWithResolvers<T>["resolve"];
  let reject!: PromiseWithResolvers<T>["reject"];
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const promiseStatics = Promise as unknown as { withResolvers?: typeof promiseWithResolvers };
promiseStatics.withResolvers ??= promiseWithResolvers;
