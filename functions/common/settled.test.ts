import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bothSettled, withEarlyWrite } from "./settled.ts";

/** A promise settled from outside, and whether it has settled yet. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Whether `promise` has settled, after letting every pending reaction run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe("withEarlyWrite", () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on("unhandledRejection", onUnhandled);
  });
  afterEach(() => {
    process.off("unhandledRejection", onUnhandled);
  });

  it("returns the work's result once the early write is done too", async () => {
    const early = deferred<string>();

    const result = withEarlyWrite(early.promise, async () => "decided");

    expect(await settled(result)).toBe(false);
    early.resolve("stored");
    await expect(result).resolves.toBe("decided");
  });

  it("fails the record with the early write's failure when the work succeeded: the failure is not lost", async () => {
    const early = deferred<void>();
    const work = deferred<string>();

    const result = withEarlyWrite(early.promise, () => work.promise);
    early.reject(new Error("contact write throttled"));
    await new Promise((resolve) => setImmediate(resolve));
    work.resolve("decided");

    await expect(result).rejects.toThrow("contact write throttled");
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });

  it("reports the work's failure only after the early write settled, and reports the work's error", async () => {
    const early = deferred<void>();
    let earlySettled = false;
    early.promise.finally(() => (earlySettled = true)).catch(() => undefined);

    const result = withEarlyWrite(early.promise, async () => {
      throw new Error("ledger unavailable");
    });
    const failedAfterEarly = result.catch((error: unknown) => ({ error, earlySettled }));

    expect(await settled(result)).toBe(false);
    early.reject(new Error("contact write throttled"));
    const { error, earlySettled: whenReported } = (await failedAfterEarly) as { error: Error; earlySettled: boolean };
    expect(error.message).toBe("ledger unavailable");
    expect(whenReported).toBe(true);
    expect(unhandled).toEqual([]);
  });

  it("gives the work the early write to await where it needs it", async () => {
    const early = deferred<string>();

    const result = withEarlyWrite(early.promise, async (written) => `after ${await written}`);
    early.resolve("stub");

    await expect(result).resolves.toBe("after stub");
  });
});

describe("bothSettled", () => {
  it("reports the first failure only once the other call settled", async () => {
    const a = deferred<number>();
    const b = deferred<number>();

    const both = bothSettled(a.promise, b.promise);
    a.reject(new Error("a failed"));

    expect(await settled(both)).toBe(false);
    b.resolve(2);
    await expect(both).rejects.toThrow("a failed");
  });
});
