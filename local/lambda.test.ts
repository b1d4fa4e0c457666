/**
 * The function host: each function in execution environments (worker threads) of its own, one
 * invocation at a time in each, with exactly the environment it is given, its own module state,
 * Lambda's timeout (which ends the environment) and a never-throwing result carrying its logs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as nodeModule from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION, environmentsForCores, FunctionTimeoutError, LambdaHost, type LocalFunction } from "./lambda.ts";

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

  it("counts the timeout from the invocation, not the cold start, and reports it as a value and a log line, as Lambda does", async () => {
    const warm = await host.invoke(fn("c", "describe", {}, 3), {});
    const timedOut = await host.invoke(fn("d", "hang", {}, 1), {});

    expect(warm.ok && (warm.result as { remainingMs: number }).remainingMs).toBeGreaterThan(2_000);
    expect(timedOut).toMatchObject({ ok: false, timedOut: true, error: { message: "Task timed out after 1.00 seconds" } });
    expect(!timedOut.ok && timedOut.error).toBeInstanceOf(FunctionTimeoutError);
    // CloudWatch's line: `<time> <request id> Task timed out after 1.00 seconds`.
    expect(timedOut.logs).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z [0-9a-f-]{36} Task timed out after 1\.00 seconds\n$/)]);
  });

  it("ends a timed-out invocation's environment: nothing it would do later happens, and the next invocation starts a fresh one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "paybus-timeout-"));
    const effects = join(dir, "effects");
    const late = fn("late", "lateEffect", { PAYBUS_TEST_EFFECTS_FILE: effects }, 1);
    const control = fn("late-control", "lateEffect", { PAYBUS_TEST_EFFECTS_FILE: effects }, 30);
    try {
      // Act: the first invocation would write its effect 3.5 s in, well after its 1 s timeout (a busy
      // machine may fire the host's timer late, not 2.5 s late).
      const timedOut = await host.invoke(late, { delayMs: 3_500, effect: "timed-out" });
      // The same handler, with time enough, started later: once its effect is there, the timed-out one's would be too.
      const controlled = await host.invoke(control, { delayMs: 3_500, effect: "control" });
      const next = await host.invoke(late, { delayMs: 0, effect: "next" });

      expect(timedOut).toMatchObject({ ok: false, timedOut: true });
      expect(controlled.ok && next.ok).toBe(true);
      const lines = readFileSync(effects, "utf8").trim().split("\n");
      expect(lines.filter((line) => line.startsWith("effect "))).toEqual(["effect control", "effect next"]);
      // Two init phases for `late`: the invocation after the timeout ran in a new environment (a cold start).
      const inits = lines.filter((line) => line.startsWith("init "));
      expect(inits).toHaveLength(3);
      expect(next.ok && `init ${next.result as string}`).toBe(inits[2]);
      // What it wrote before the timeout is kept, then Lambda's line.
      expect(timedOut.logs.join("")).toMatch(/"message":"started timed-out"}\n\S+ [0-9a-f-]{36} Task timed out after 1\.00 seconds\n$/s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ends an environment stuck in synchronous code at the timeout", async () => {
    const spinning = await host.invoke(fn("spin", "spin", {}, 1), {});
    expect(spinning).toMatchObject({ ok: false, timedOut: true });
    expect(spinning.logs.join("")).toContain('"message":"spinning"');
  });

  it("runs concurrent invocations in environments of their own, so a timeout ends only its own, and reuses a warm one", async () => {
    const f = fn("pair", "describe", {}, 2);
    const before = host.coldStarts;
    const [slow, fast] = await Promise.all([host.invoke(f, { delayMs: 6_000 }), host.invoke(f, { delayMs: 100 })]);
    const again = await host.invoke(f, {});

    expect(slow).toMatchObject({ ok: false, timedOut: true });
    expect(fast).toMatchObject({ ok: true, result: { invocations: 1 } });
    // The environment that served `fast` is warm and serves the next one; the timed-out one is gone.
    expect(again).toMatchObject({ ok: true, result: { invocations: 2, environmentId: (fast as { result: { environmentId: string } }).result.environmentId } });
    expect(host.coldStarts - before).toBe(2);
  });

  it("at its cap of environments, an invocation waits for one to be free", async () => {
    const capped = new LambdaHost(root, "us-east-1", "000000000000", () => undefined, { maxEnvironmentsPerFunction: 1 });
    try {
      const f = fn("capped", "describe");
      const [first, second] = await Promise.all([capped.invoke(f, { delayMs: 200 }), capped.invoke(f, {})]);

      // One environment ran both, one after the other.
      expect([first, second].map((invocation) => invocation.ok && (invocation.result as { invocations: number }).invocations).sort()).toEqual([1, 2]);
      expect(capped.coldStarts).toBe(1);
    } finally {
      await capped.stop();
    }
  });

  it("holds a function to a cap of its own (maxEnvironmentsByFunction), above or below the host's", async () => {
    const capped = new LambdaHost(root, "us-east-1", "000000000000", () => undefined, { maxEnvironmentsPerFunction: 1, maxEnvironmentsByFunction: { wide: 2 }, growAfterMs: 0 });
    try {
      const wide = fn("wide", "describe");
      const narrow = fn("narrow", "describe");
      const overlapping = (f: LocalFunction) => Promise.all([capped.invoke(f, { delayMs: 200 }), capped.invoke(f, { delayMs: 200 })]);
      const environments = (invocations: Awaited<ReturnType<typeof overlapping>>) => new Set(invocations.map((invocation) => invocation.ok && (invocation.result as { environmentId: string }).environmentId)).size;

      expect(environments(await overlapping(wide))).toBe(2);
      expect(environments(await overlapping(narrow))).toBe(1);
      expect([capped.maxEnvironmentsFor("wide"), capped.maxEnvironmentsFor("narrow")]).toEqual([2, 1]);
      expect(capped.coldStarts).toBe(3);
    } finally {
      await capped.stop();
    }
  });

  it("starts another environment for an invocation only once it has waited growAfterMs for a busy one (0: at once)", async () => {
    const patient = new LambdaHost(root, "us-east-1", "000000000000", () => undefined, { growAfterMs: 60_000 });
    const eager = new LambdaHost(root, "us-east-1", "000000000000", () => undefined, { growAfterMs: 0 });
    try {
      const f = fn("grow", "describe");
      await Promise.all([patient.invoke(f, { delayMs: 300 }), patient.invoke(f, {})]);
      await Promise.all([eager.invoke(f, { delayMs: 300 }), eager.invoke(f, {})]);

      expect(patient.coldStarts).toBe(1);
      expect(eager.coldStarts).toBe(2);
    } finally {
      await Promise.all([patient.stop(), eager.stop()]);
    }
  });

  it("grows a function that mostly waits on its calls past the cap, up to waitingEnvironmentsPerFunction, and not one that keeps its thread busy", async () => {
    const sized = new LambdaHost(root, "us-east-1", "000000000000", () => undefined, { maxEnvironmentsPerFunction: 1, waitingEnvironmentsPerFunction: 2, growAfterMs: 50 });
    try {
      const waits = fn("waits", "describe");
      const burns = fn("burns", "burn");
      // A first invocation each tells the host how busy the function's thread is while it runs.
      await sized.invoke(waits, { delayMs: 100 });
      await sized.invoke(burns, { ms: 100 });
      expect(sized.coldStarts).toBe(2);

      // Act: two overlapping invocations of each, every one long enough for the other to wait growAfterMs.
      const waited = await Promise.all([sized.invoke(waits, { delayMs: 600 }), sized.invoke(waits, { delayMs: 600 })]);
      const afterWaits = sized.coldStarts;
      const burned = await Promise.all([sized.invoke(burns, { ms: 600 }), sized.invoke(burns, { ms: 600 })]);

      // Assert: the waiting function got a second environment; the busy one ran both in its one.
      expect([...waited, ...burned].every((invocation) => invocation.ok)).toBe(true);
      expect(afterWaits).toBe(3);
      expect(sized.coldStarts).toBe(3);
    } finally {
      await sized.stop();
    }
  });

  it("multiplies every function's timeout by timeoutScale", async () => {
    const patient = new LambdaHost(root, "us-east-1", "000000000000", () => undefined, { timeoutScale: 4 });
    try {
      const answered = await patient.invoke(fn("scaled", "describe", {}, 1), { delayMs: 1_500 });
      const timedOut = await patient.invoke(fn("scaled-hang", "hang", {}, 1), {});

      expect(answered).toMatchObject({ ok: true });
      expect(answered.ok && (answered.result as { remainingMs: number }).remainingMs).toBeGreaterThan(1_000);
      expect(timedOut).toMatchObject({ ok: false, timedOut: true, error: { message: "Task timed out after 4.00 seconds" } });
    } finally {
      await patient.stop();
    }
  });

  it("fails invocations that wait for an environment when the host stops", async () => {
    const capped = new LambdaHost(root, "us-east-1", "000000000000", () => undefined, { maxEnvironmentsPerFunction: 1 });
    const f = fn("stopping", "hang");
    const running = capped.invoke(f, {});
    const waiting = capped.invoke(f, {});
    await expect.poll(() => capped.coldStarts).toBe(1);
    await capped.stop();

    expect(await running).toMatchObject({ ok: false, timedOut: false, error: { name: "Runtime.ExitError" } });
    expect(await waiting).toMatchObject({ ok: false, timedOut: false, error: { name: "Runtime.ExitError" } });
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
    // The worker's own frame too: it maps every file of the bundles' folder.
    expect(!failed.ok && failed.error.stack).toMatch(/local\/lambda-worker\.ts:\d+:\d+/);
  });

  it("reads no source map while an environment loads: each bundle file's map only once a stack trace needs it", async () => {
    // Node's own source-map support parses every module's map at load, i.e. at every cold start.
    const described = await host.invoke(fn("h2", "describe"), {});

    expect(described).toMatchObject({ ok: true, result: { sourceMapsEnabled: false } });
  });

  it.runIf(typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === "function")(
    "keeps V8's compiled code of an environment's modules in the build's folder, for the next cold starts (Node 22.1+)",
    async () => {
      const described = await host.invoke(fn("h3", "describe"), {});

      const dir = described.ok ? (described.result as { compileCacheDir?: string }).compileCacheDir : undefined;
      expect(dir).toMatch(/node_modules\/\.cache\/paybus-functions\/[0-9a-f]{16}-[0-9a-f]{8}\/v8-compile-cache/);
    },
  );

  it("runs a handler whose module awaits at its top level (its init work, as an ES module handler in Lambda may)", async () => {
    const answered = await host.invoke({ ...fn("awaits", "describe"), handler: "test/support/await-handler.handler" }, {});

    expect(answered).toMatchObject({ ok: true, result: { ready: "initialised" } });
  });

  it("sizes the cap to the machine for throughput runs: one environment per core the runtime's thread leaves, at most the default", () => {
    // Act
    const caps = [1, 2, 3, 4, 16].map((cores) => environmentsForCores(cores));

    // Assert
    expect(caps).toEqual([1, 1, 2, 3, DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION]);
    expect(DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION).toBe(3);
  });

  it.skipIf(process.platform !== "linux")("names each live environment's operating-system thread, whose CPU time /proc shows", async () => {
    // Act
    await host.invoke(fn("threads", "describe"), {});
    const threads = host.threads().filter((thread) => thread.functionName === "threads");

    // Assert
    expect(threads).toHaveLength(1);
    expect(threads[0]!.tid).not.toBe(process.pid);
    expect(existsSync(`/proc/self/task/${threads[0]!.tid}/stat`)).toBe(true);
  });
});
