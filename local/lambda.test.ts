/**
 * The function host: each function in its own worker thread, with exactly the environment it is
 * given, its own module state, Lambda's timeout and a never-throwing result carrying its logs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { FunctionTimeoutError, LambdaHost, type LocalFunction } from "./lambda.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const host = new LambdaHost(root);
afterAll(() => host.stop());

const fn = (name: string, handler: string, environment: Record<string, string> = {}, timeoutSeconds = 30): LocalFunction => ({
  name,
  logicalName: name,
  handler: `test/support/handlers.${handler}`,
  timeoutSeconds,
  memoryMb: 128,
  environment,
});

describe("LambdaHost", () => {
  it("gives each function exactly its environment, none of the host's, and keeps it warm", async () => {
    process.env.PAYBUS_HOST_ONLY = "host";
    try {
      const first = await host.invoke(fn("a", "describe", { PAYBUS_LOYALTY_TABLE: "t-a", AWS_ACCESS_KEY_ID: "ASIAA" }), {});
      const again = await host.invoke(fn("a", "describe", { PAYBUS_LOYALTY_TABLE: "t-a", AWS_ACCESS_KEY_ID: "ASIAA" }), {});
      const other = await host.invoke(fn("b", "describe", { PAYBUS_PROFILES_TABLE: "t-b" }), {});

      expect(first).toMatchObject({ ok: true, result: { env: { PAYBUS_LOYALTY_TABLE: "t-a", AWS_ACCESS_KEY_ID: "ASIAA" }, functionName: "a", invocations: 1 } });
      expect(Object.keys((first as { result: { env: object } }).result.env).sort()).toEqual(["AWS_ACCESS_KEY_ID", "PAYBUS_LOYALTY_TABLE"]);
      expect(again).toMatchObject({ ok: true, result: { invocations: 2 } });
      // Another function: another module instance, its own variables only.
      expect(other).toMatchObject({ ok: true, result: { env: { PAYBUS_PROFILES_TABLE: "t-b" }, invocations: 1 } });
      expect((other as { result: { env: object } }).result.env).not.toHaveProperty("PAYBUS_LOYALTY_TABLE");
    } finally {
      delete process.env.PAYBUS_HOST_ONLY;
    }
  });

  it("counts the timeout from the invocation, not the cold start, and reports it as a value", async () => {
    const warm = await host.invoke(fn("c", "describe", {}, 3), {});
    const timedOut = await host.invoke(fn("d", "hang", {}, 1), {});

    expect(warm.ok && (warm.result as { remainingMs: number }).remainingMs).toBeGreaterThan(2_000);
    expect(timedOut).toMatchObject({ ok: false, timedOut: true, logs: [] });
    expect(!timedOut.ok && timedOut.error).toBeInstanceOf(FunctionTimeoutError);
  });

  it("tells when a timed-out invocation's handler is done, and when it never will be (its environment ended)", async () => {
    const late = await host.invoke(fn("late", "describe", {}, 1), { delayMs: 1_500, log: "late line" });
    expect(late).toMatchObject({ ok: false, timedOut: true });
    let lateDone = false;
    void late.finished!.then(() => (lateDone = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lateDone).toBe(false);
    await late.finished;

    const other = new LambdaHost(root);
    const hung = await other.invoke(fn("hung", "hang", {}, 1), {});
    expect(hung).toMatchObject({ ok: false, timedOut: true });
    await other.stop();
    await hung.finished;
  });

  it("returns each invocation's own log lines, also when invocations run concurrently", async () => {
    const f = fn("e", "describe");
    const [slow, fast] = await Promise.all([host.invoke(f, { log: "slow one", delayMs: 200 }), host.invoke(f, { log: "fast one" })]);

    expect(slow.logs.join("")).toContain('"message":"slow one"');
    expect(slow.logs.join("")).not.toContain("fast one");
    expect(fast.logs.join("")).toContain('"message":"fast one"');
    expect(fast.logs.join("")).not.toContain("slow one");
  });

  it("returns a handler's error by name, and replaces an environment that crashed", async () => {
    const failed = await host.invoke(fn("f", "fail"), {});
    const crashed = await host.invoke(fn("g", "crash"), {});
    // The next invocation gets a new execution environment (here one that loads another handler).
    const next = await host.invoke(fn("g", "describe"), {});

    expect(failed).toMatchObject({ ok: false, timedOut: false, error: { name: "CustomerNotFoundError", message: "no such customer" } });
    expect(crashed).toMatchObject({ ok: false, timedOut: false, error: { name: "Runtime.ExitError" } });
    expect(next).toMatchObject({ ok: true, result: { functionName: "g", invocations: 1 } });
  });

  it("points a handler error's stack at the TypeScript source, line and column (the bundles' source maps)", async () => {
    const failed = await host.invoke(fn("h", "fail"), {});

    // The bundle is minified JavaScript: only its source map leads back to the handler's line.
    const throwLine = readFileSync(join(root, "test/support/handlers.ts"), "utf8").split("\n").findIndex((line) => line.includes('new Error("no such customer")')) + 1;
    expect(!failed.ok && failed.error.stack).toMatch(new RegExp(`test/support/handlers\\.ts:${throwLine}:\\d+`));
  });
});
