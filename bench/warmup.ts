/**
 * Does the pipeline's CPU per event settle, and which threads' share changes while it does? Runs
 * successive bursts through ONE runtime (as a long backtest or a day of `paybus dev` does) and
 * prints each burst's CPU per event by kind of thread, the V8 helper threads (mostly the
 * optimising compiler, shared by every execution environment's isolate) among them.
 *
 *   npx tsx bench/warmup.ts [--paced 300] [--bursts 5] [--burst 600] [--environments N]
 */
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { environmentsForCores } from "../local/lambda.ts";
import { cpuByThread, cpuNow, send, sendPaced, startBenchRuntime, syntheticEvent, threadCpu } from "./pipeline.ts";

/** Per burst: CPU per event of the whole process and by kind of thread, drain time, load average. */
export async function run(options: { paced?: number; bursts?: number; burst?: number; environments?: number } = {}) {
  const paced = options.paced ?? 300;
  const bursts = options.bursts ?? 5;
  const burst = options.burst ?? 600;
  const helperThreads = new Set(threadCpu().keys());
  const bench = await startBenchRuntime(options.environments ?? environmentsForCores());
  const { runtime } = bench;
  const results: Array<Record<string, unknown>> = [];
  try {
    if (paced > 0) await sendPaced(runtime, paced);
    for (let b = 0; b < bursts; b++) {
      const cpu = cpuNow();
      const threads = threadCpu();
      const started = performance.now();
      send(runtime, Array.from({ length: burst }, syntheticEvent), new Map());
      await runtime.waitForQuiet(600_000);
      const seconds = (performance.now() - started) / 1000;
      const processMs = Number(((cpuNow().process - cpu.process) / burst).toFixed(2));
      const byThread = cpuByThread(threads, helperThreads, runtime, burst);
      // The helper threads one by one, in creation order: V8's platform workers (its concurrent
      // compiler and GC helpers, shared by every isolate) come first, libuv's pool after them.
      const now = threadCpu();
      const helpers = [...helperThreads].filter((tid) => tid !== process.pid).sort((a, b) => a - b);
      const perHelper = helpers.map((tid) => Number((((now.get(tid) ?? 0) - (threads.get(tid) ?? 0)) / burst).toFixed(2)));
      const result = { burst: b + 1, seconds: Number(seconds.toFixed(1)), processMs, byThread, perHelper, loadAverage: Number(loadavg()[0]!.toFixed(1)) };
      results.push(result);
      process.stdout.write(
        `burst ${b + 1}/${bursts} of ${burst}: ${processMs} ms CPU per event in ${result.seconds} s (load ${result.loadAverage}); ` +
          `${Object.entries(byThread).map(([kind, ms]) => `${kind} ${ms}`).join(", ")}; helper threads one by one [${perHelper.join(" ")}]\n`,
      );
    }
    const timeouts = runtime.journal.list("consumer.attempt").filter((attempt) => attempt.outcome === "timed-out").length;
    process.stdout.write(`consumer timeouts in the run: ${timeouts}\n`);
    return { results, timeouts };
  } finally {
    await bench.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { paced: { type: "string" }, bursts: { type: "string" }, burst: { type: "string" }, environments: { type: "string" } } });
  await run({
    ...(values.paced ? { paced: Number(values.paced) } : {}),
    ...(values.bursts ? { bursts: Number(values.bursts) } : {}),
    ...(values.burst ? { burst: Number(values.burst) } : {}),
    ...(values.environments ? { environments: Number(values.environments) } : {}),
  });
  process.exit(0);
}
