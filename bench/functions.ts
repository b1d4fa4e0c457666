/**
 * What the functions cost per pipeline event: the AWS calls each function makes (told apart at the
 * gateway by the access key it signs with) and the CPU time of the process, of the runtime's main
 * thread and of every other thread (the functions' worker threads, the engines' worker threads,
 * V8's helpers), with the pipeline benchmark's events (70% purchases, 30% paid invoices) paced so
 * that at most 20 messages are queued: no backlog, so no timeouts or retries inflate the figures.
 *
 *   npx tsx bench/functions.ts [--events 500] [--warmup 100]
 *
 * Each function's CPU per event is its worker threads' (named after the function on Linux).
 *
 * Calls per event are exact counts (they do not depend on the machine's load, only on the code and
 * the events' mix); CPU per event depends much less on load than wall-clock rates do.
 */
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { functionCredentials } from "../local/function-credentials.ts";
import { cpuNow, sendPaced, startBenchRuntime } from "./pipeline.ts";

/** CPU milliseconds per thread name (`comm`) of this process, from `/proc` (Linux; empty elsewhere). */
function threadCpu(): Map<string, number> {
  const byName = new Map<string, number>();
  try {
    for (const tid of readdirSync("/proc/self/task")) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const name = tid === String(process.pid) ? "main" : stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10);
    }
  } catch {
    // Not Linux: the process figures only.
  }
  return byName;
}

export async function run(options: { events?: number; warmup?: number } = {}): Promise<Record<string, unknown>> {
  const events = options.events ?? 500;
  const warmup = options.warmup ?? 100;
  const bench = await startBenchRuntime();
  const { runtime } = bench;
  try {
    // Warm up: every function loaded, its clients built and its code compiled before measuring.
    await sendPaced(runtime, warmup);

    const byKey = new Map<string, string>();
    for (const name of runtime.functions.keys()) byKey.set(functionCredentials(name).accessKeyId, name.slice(runtime.prefix.length + 1));
    const calls = new Map<string, Map<string, number>>();
    const stop = runtime.observeAwsRequests((request) => {
      const who = (request.accessKeyId && byKey.get(request.accessKeyId)) ?? "(admin)";
      const perFunction = calls.get(who) ?? calls.set(who, new Map()).get(who)!;
      const operation = `${request.service}.${request.operation}`;
      perFunction.set(operation, (perFunction.get(operation) ?? 0) + 1);
    });
    const coldStartsBefore = runtime.lambda.coldStarts;
    const threadsBefore = threadCpu();
    const cpuBefore = cpuNow();
    const started = performance.now();
    await sendPaced(runtime, events);
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = cpuNow();
    const threadsAfter = threadCpu();
    // An environment started while measuring adds its init (~0.4 s of CPU) to its function's thread figures.
    const coldStarts = runtime.lambda.coldStarts - coldStartsBefore;
    stop();

    const per = (value: number) => Number((value / events).toFixed(2));
    const threads: Record<string, number> = {};
    for (const [name, after] of threadsAfter) {
      const used = after - (threadsBefore.get(name) ?? 0);
      if (used > 0) threads[name] = per(used);
    }
    // Each function's worker threads carry its logical name, cut to Linux's 15 bytes (local/lambda-worker.ts).
    const cpuOf = (who: string) => threads[who.slice(0, 15)];
    const perFunction: Record<string, { total: number; cpuMs?: number; operations: Record<string, number> }> = {};
    let total = 0;
    for (const [who, operations] of [...calls].sort(([a], [b]) => a.localeCompare(b))) {
      const sum = [...operations.values()].reduce((a, b) => a + b, 0);
      total += sum;
      perFunction[who] = {
        total: per(sum),
        ...(cpuOf(who) === undefined ? {} : { cpuMs: cpuOf(who) }),
        operations: Object.fromEntries([...operations].sort(([, a], [, b]) => b - a).map(([operation, count]) => [operation, per(count)])),
      };
    }
    const result = {
      events,
      seconds: Number(seconds.toFixed(2)),
      eventsPerSecond: Math.round(events / seconds),
      cpuPerEventMs: {
        process: per(cpuAfter.process - cpuBefore.process),
        mainThread: cpuAfter.main === undefined || cpuBefore.main === undefined ? undefined : per(cpuAfter.main - cpuBefore.main),
        byThreadName: threads,
      },
      coldStartsWhileMeasuring: coldStarts,
      awsCallsPerEvent: per(total),
      awsCallsPerEventByFunction: perFunction,
      loadAverage: Number(loadavg()[0]!.toFixed(1)),
      emails: runtime.journal.list("effect.email").length,
      pushes: runtime.journal.list("effect.push").length,
      dlq: runtime.journal.list("queue.dlq").length,
    };
    process.stdout.write(`paced ${events} events (at most 20 queued) after ${warmup} to warm up: ${result.eventsPerSecond} events/s, load average ${result.loadAverage}\n`);
    process.stdout.write(`CPU per event: process ${result.cpuPerEventMs.process} ms, main thread ${result.cpuPerEventMs.mainThread ?? "?"} ms\n`);
    for (const [name, ms] of Object.entries(threads).sort(([, a], [, b]) => b - a)) process.stdout.write(`  thread ${name.padEnd(18)} ${ms} ms\n`);
    process.stdout.write(`cold starts while measuring: ${coldStarts}\n`);
    process.stdout.write(`AWS calls per event: ${result.awsCallsPerEvent}\n`);
    for (const [who, { total: sum, cpuMs, operations }] of Object.entries(perFunction)) {
      const cpu = cpuMs === undefined ? "" : ` (${cpuMs} ms CPU)`;
      process.stdout.write(`  ${who.padEnd(32)} ${String(sum).padStart(6)}${cpu}  ${Object.entries(operations).map(([op, n]) => `${op} ${n}`).join(", ")}\n`);
    }
    process.stdout.write(`effects in the run: ${result.emails} emails, ${result.pushes} pushes, DLQ ${result.dlq}\n`);
    return result;
  } finally {
    await bench.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { events: { type: "string" }, warmup: { type: "string" } } });
  await run({
    ...(values.events ? { events: Number(values.events) } : {}),
    ...(values.warmup ? { warmup: Number(values.warmup) } : {}),
  });
  process.exit(0);
}
