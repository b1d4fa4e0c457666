/**
 * Pipeline benchmark on the embedded runtime: events/s from PutEvents to consumer completion, and
 * latency p50/p95/p99 at a steady offered load, per consumer; the raw DynamoDB-engine update rate
 * is measured in the same run as the ceiling (every event costs one or more writes).
 *
 *   npx tsx bench/pipeline.ts [--rate 100] [--seconds 10] [--burst 2000] [--paced 500] [--environments N] [--waiting-environments N] [--warmup 40]
 *
 * The steady phase starts after `--warmup` paced events (each consumer's environments started) and
 * breaks each consumer's PutEvents→done latency into its parts (bus, queue wait, environment,
 * handler, rest) from the journal's `consumer.attempt` timings.
 *
 * The runtime keeps its tables on disk (LevelDB), as `paybus dev` does, and runs each function in
 * as many execution environments as `paybus dev` (`environmentsForCores()`; `--environments`
 * overrides it, e.g. 3 for the cap tests run with). `--waiting-environments N` lets a function that
 * mostly waits on its calls (the engagement tasks) grow to N, past that cap (`paybus dev` does not).
 *
 * Wall-clock rates depend on what else the machine runs; CPU time per event does much less, so
 * each phase also reports it: the whole process (every thread: the runtime, the functions' worker
 * threads, the engines' and V8's helper threads) and the runtime's main thread alone, the one
 * that serves every AWS call. `--paced` adds a phase that keeps at most 20 messages queued: no
 * backlog, so no timeouts and retries inflate the figure (a burst on a busy machine has both).
 */
import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadFixture } from "../fixtures/index.ts";
import { putProfile } from "../functions/common/profiles.ts";
import { environmentsForCores } from "../local/lambda.ts";
import { queueStatus, Runtime } from "../local/runtime.ts";
import { type LatencySummary, latencySummary } from "./stats.ts";
import { adminClient } from "../local/admin-client.ts";

const CUSTOMERS = 200;

let sequence = 0;

/** With fresh ids: 7 in 10 a one-time purchase (from fixture 03), else a paid invoice (fixture 01), for one of 200 customers. */
export function syntheticEvent(): Record<string, any> {
  const n = ++sequence;
  const kind = n % 10 < 7 ? "purchase" : "invoice";
  const id = n.toString(36).padStart(8, "0");
  const customer = n % CUSTOMERS;
  const event = loadFixture(kind === "purchase" ? "03" : "01");
  event.id = crypto.randomUUID();
  event.detail.id = `evt_bench${id}`;
  event.detail.created = Math.floor(Date.now() / 1000);
  const object = event.detail.data.object;
  if (kind === "purchase") {
    object.id = `pi_bench${id}`;
    object.amount = object.amount_received = 1000 + (n % 50) * 100;
    object.metadata = { ...object.metadata, customer_id: `B-${customer}` };
  } else {
    object.id = `in_bench${id}`;
    object.number = `BENCH-${id}`;
  }
  // Each loyalty customer its own Stripe customer (whose profile the bench writes), as in
  // production: with fixture 03's one customer for every purchase, each tier reward's balance
  // credit reused a key Stripe had seen with other parameters and was refused.
  object.customer = `cus_bench${customer}`;
  return event;
}

/** Raw UpdateItem ADD rate of the runtime's DynamoDB engine, 32 requests in flight. */
async function dynamoCeiling(runtime: Runtime, seconds: number): Promise<number> {
  const client = adminClient(DynamoDBClient, runtime.endpoints.dynamodb, "us-east-1");
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const worker = async (w: number) => {
    while (performance.now() < deadline) {
      await client.send(
        new UpdateItemCommand({
          TableName: runtime.tableNames.loyalty,
          Key: { pk: { S: `BENCH#${w}` }, sk: { S: "COUNTER" } },
          UpdateExpression: "ADD n :one",
          ExpressionAttributeValues: { ":one": { N: "1" } },
        }),
      );
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: 32 }, (_, w) => worker(w)));
  client.destroy();
  return done / ((performance.now() - started) / 1000);
}

/** Milliseconds from send to the consumer's successful attempt, per queue, for the given events. */
function completionLatencies(runtime: Runtime, sentAt: Map<string, number>): Record<string, number[]> {
  const byQueue: Record<string, number[]> = {};
  for (const attempt of runtime.journal.list("consumer.attempt")) {
    if (attempt.outcome !== "succeeded" || !attempt.eventId) continue;
    const started = sentAt.get(attempt.eventId);
    if (started === undefined) continue;
    (byQueue[attempt.queue] ??= []).push(Date.parse(attempt.at) - started);
  }
  return byQueue;
}

/**
 * Where the PutEvents→done time of the given events went, per queue (first attempts that
 * succeeded): the bus (matching, delivery to SQS: SentTimestamp − send), the queue (until the event
 * source mapping received the batch), the environment (waiting for one, cold start), the handler
 * (its invocation: its own work, its AWS calls, the hop to its worker thread) and the rest (what the
 * mapping did around the invocation).
 */
function latencyParts(runtime: Runtime, sentAt: Map<string, number>): Record<string, Record<string, LatencySummary>> {
  const parts: Record<string, Record<string, number[]>> = {};
  for (const attempt of runtime.journal.list("consumer.attempt")) {
    if (attempt.outcome !== "succeeded" || !attempt.eventId || attempt.receiveCount !== 1) continue;
    const started = sentAt.get(attempt.eventId);
    const { sentAt: queued, receivedAt, environmentMs, handlerMs } = attempt;
    if (started === undefined || queued === undefined || receivedAt === undefined || environmentMs === undefined || handlerMs === undefined) continue;
    const queue = (parts[attempt.queue] ??= { bus: [], queue: [], environment: [], handler: [], rest: [] });
    queue.bus!.push(queued - started);
    queue.queue!.push(receivedAt - queued);
    queue.environment!.push(environmentMs);
    queue.handler!.push(handlerMs);
    queue.rest!.push(Date.parse(attempt.at) - receivedAt - environmentMs - handlerMs);
  }
  return Object.fromEntries(
    Object.entries(parts).map(([queue, values]) => [queue, Object.fromEntries(Object.entries(values).map(([part, list]) => [part, latencySummary(list)]))]),
  );
}

/** CPU milliseconds used so far: the process (all threads) and its main thread (Linux; undefined elsewhere). */
export function cpuNow(): { process: number; main: number | undefined } {
  const usage = process.cpuUsage();
  let main: number | undefined;
  try {
    // utime and stime (fields 14 and 15 of /proc/<pid>/task/<tid>/stat, in clock ticks of 10 ms).
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    main = (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    main = undefined;
  }
  return { process: (usage.user + usage.system) / 1000, main };
}

/** CPU milliseconds of each thread of this process so far, by operating-system thread id (Linux; empty elsewhere). */
export function threadCpu(): Map<number, number> {
  const threads = new Map<number, number>();
  try {
    for (const tid of readdirSync("/proc/self/task")) {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        threads.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * 10);
      } catch {
        // The thread ended while being read.
      }
    }
  } catch {
    // Not Linux.
  }
  return threads;
}

/**
 * CPU milliseconds per event since `start` by kind of thread: the runtime's main thread, each
 * function's execution environments (their cold starts included), the threads the process had
 * before the runtime started (V8's compiler and GC helpers, libuv's pool, the TypeScript loader),
 * and the rest (the DynamoDB engine's worker). An environment ended since `start` takes its CPU
 * time with it (the bench reports timeouts, which end them).
 */
export function cpuByThread(start: Map<number, number>, before: ReadonlySet<number>, runtime: Runtime, events: number): Record<string, number> {
  const functions = new Map(runtime.lambda.threads().map((thread) => [thread.tid, thread.functionName.slice(runtime.prefix.length + 1)]));
  const byKind: Record<string, number> = {};
  for (const [tid, ms] of threadCpu()) {
    // The engine's thread may be older than the runtime: one an earlier runtime's engine closed (local/dynamodb/worker-host.ts).
    const kind =
      tid === process.pid
        ? "main thread"
        : functions.has(tid)
          ? `function ${functions.get(tid)}`
          : tid !== runtime.dynamo.osThreadId && before.has(tid)
            ? "V8/libuv helper threads"
            : "engine threads (DynamoDB)";
    byKind[kind] = (byKind[kind] ?? 0) + ms - (start.get(tid) ?? 0);
  }
  return Object.fromEntries(Object.entries(byKind).sort((a, b) => b[1] - a[1]).map(([kind, ms]) => [kind, Number((ms / Math.max(1, events)).toFixed(2))]));
}

/** CPU milliseconds per event since `start`, and the 1-minute load average now. */
function cpuPerEvent(start: ReturnType<typeof cpuNow>, events: number) {
  const end = cpuNow();
  const per = (value: number) => Number((value / Math.max(1, events)).toFixed(2));
  return {
    processMs: per(end.process - start.process),
    mainThreadMs: start.main === undefined || end.main === undefined ? undefined : per(end.main - start.main),
    loadAverage: Number(loadavg()[0]!.toFixed(1)),
  };
}

/**
 * A runtime on disk (as `paybus dev` keeps it) with the bench's customers' profiles and devices, so
 * that every synthetic event reaches its emails and pushes. `stop()` also removes its data.
 */
export async function startBenchRuntime(environments = environmentsForCores(), waitingEnvironments = environments): Promise<{ runtime: Runtime; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), "paybus-bench-"));
  // Sized to the machine by default, as `paybus dev` runs it (environmentsForCores: 1 per function on 2 cores).
  const runtime = await Runtime.start({ dataDir, port: 0, timeScale: 0.01, workflowTimeScale: 0.0001, maxEnvironmentsPerFunction: environments, waitingEnvironmentsPerFunction: waitingEnvironments });
  for (let c = 0; c < CUSTOMERS; c++) {
    await putProfile({ customerId: `cus_bench${c}`, email: `customer${c}@example.com`, pushEndpoints: [runtime.sns.createEndpoint(`${runtime.prefix}-app`, `token-${c}`)] }, runtime.profileTable);
  }
  return {
    runtime,
    stop: async () => {
      await runtime.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Sends `count` synthetic events keeping at most 20 messages queued (no backlog, so no timeouts or
 * retries inflate the CPU per event), then waits for the pipeline to be quiet.
 */
export async function sendPaced(runtime: Runtime, count: number, sentAt = new Map<string, number>()): Promise<void> {
  let sent = 0;
  while (sent < count) {
    const queued = queueStatus(runtime).reduce((sum, queue) => sum + queue.ready + queue.inFlight + queue.delayed, 0);
    if (queued < 20) {
      const batch = Array.from({ length: Math.min(5, count - sent) }, syntheticEvent);
      send(runtime, batch, sentAt);
      sent += batch.length;
    } else await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await runtime.waitForQuiet(600_000);
}

/** Puts `events` on the bus at once, noting each one's send time in `sentAt`; a refused event ends the bench. */
export function send(runtime: Runtime, events: Array<Record<string, any>>, sentAt: Map<string, number>): void {
  const now = Date.now();
  for (const result of runtime.sendEnvelopes(events)) {
    if ("EventId" in result) sentAt.set(result.EventId, now);
    else throw new Error(`the bus refused a benchmark event: ${result.ErrorCode} ${result.ErrorMessage}`);
  }
}

export async function run(options: { rate?: number; seconds?: number; burst?: number; paced?: number; environments?: number; waitingEnvironments?: number; warmup?: number } = {}): Promise<Record<string, unknown>> {
  // An error a local engine lets escape (the SES emulator's proxy resets connections under heavy
  // load) would end the process; counted and reported instead, the run goes on (the request fails
  // and the consumer retries it, as with any failed call).
  const escaped: string[] = [];
  const onEscaped = (error: unknown) => escaped.push(error instanceof Error ? error.message : String(error));
  process.on("unhandledRejection", onEscaped);
  process.on("uncaughtException", onEscaped);
  const rate = options.rate ?? 100;
  const seconds = options.seconds ?? 10;
  const burst = options.burst ?? 2000;
  const paced = options.paced ?? 500;
  const warmup = options.warmup ?? 40;
  const environments = options.environments ?? environmentsForCores();
  const helperThreads = new Set(threadCpu().keys());
  const waitingEnvironments = options.waitingEnvironments ?? environments;
  const bench = await startBenchRuntime(environments, waitingEnvironments);
  const { runtime } = bench;
  try {
    const ceiling = await dynamoCeiling(runtime, 3);
    process.stdout.write(`DynamoDB engine ceiling: ${ceiling.toFixed(0)} UpdateItem/s (32 in flight)\n`);

    // Warm-up: the latency promise is about a running pipeline, so each consumer's environments are
    // started (cold starts, first-call SDK set-up, JIT) before the steady phase measures it; the
    // steady phase reports any cold start it still pays.
    if (warmup > 0) await sendPaced(runtime, warmup);
    const coldStartsBefore = runtime.lambda.coldStarts;

    // Steady offered load: `rate` events/s (70% purchases, 30% paid invoices) in 100 ms ticks.
    const steady = new Map<string, number>();
    const steadyCpu = cpuNow();
    const perTick = rate / 10;
    let owed = 0;
    for (let tick = 0; tick < seconds * 10; tick++) {
      const tickStart = performance.now();
      owed += perTick;
      const count = Math.floor(owed);
      owed -= count;
      send(runtime, Array.from({ length: count }, syntheticEvent), steady);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (performance.now() - tickStart))));
    }
    await runtime.waitForQuiet(300_000);
    const steadyCpuPerEvent = cpuPerEvent(steadyCpu, steady.size);
    const steadyParts = latencyParts(runtime, steady);
    const steadyColdStarts = runtime.lambda.coldStarts - coldStartsBefore;
    const steadyLatency = Object.fromEntries(
      Object.entries(completionLatencies(runtime, steady)).map(([queue, values]) => [queue, latencySummary(values)]),
    );

    // Burst: everything at once; throughput = completed / time to drain.
    const burstSent = new Map<string, number>();
    const burstCpu = cpuNow();
    const burstThreads = threadCpu();
    const burstStart = performance.now();
    send(runtime, Array.from({ length: burst }, syntheticEvent), burstSent);
    await runtime.waitForQuiet(600_000);
    const drainSeconds = (performance.now() - burstStart) / 1000;
    const completed = Object.values(completionLatencies(runtime, burstSent)).reduce((sum, values) => sum + values.length, 0);
    const burstCpuPerEvent = cpuPerEvent(burstCpu, burst);
    const burstByThread = cpuByThread(burstThreads, helperThreads, runtime, burst);

    // Paced: at most 20 messages queued at any time, so the CPU per event has no retries in it.
    let pacedResult: Record<string, unknown> | undefined;
    if (paced > 0) {
      const pacedCpu = cpuNow();
      const pacedStart = performance.now();
      await sendPaced(runtime, paced);
      const seconds = (performance.now() - pacedStart) / 1000;
      pacedResult = { events: paced, seconds: Number(seconds.toFixed(2)), eventsPerSecond: Math.round(paced / seconds), cpuPerEventMs: cpuPerEvent(pacedCpu, paced) };
    }

    const result = {
      dynamoCeilingUpdatesPerSecond: Math.round(ceiling),
      environmentsPerFunction: environments,
      waitingEnvironmentsPerFunction: waitingEnvironments,
      environmentsAfter: runtime.lambda.threads().reduce<Record<string, number>>((counts, { functionName }) => ({ ...counts, [functionName]: (counts[functionName] ?? 0) + 1 }), {}),
      steady: { offeredEventsPerSecond: rate, seconds, events: steady.size, latencyMs: steadyLatency, latencyPartsMs: steadyParts, warmupEvents: warmup, coldStarts: steadyColdStarts, cpuPerEventMs: steadyCpuPerEvent },
      burst: { events: burst, completed, drainSeconds: Number(drainSeconds.toFixed(2)), eventsPerSecond: Math.round(completed / drainSeconds), cpuPerEventMs: burstCpuPerEvent, cpuPerEventByThreadMs: burstByThread },
      ...(pacedResult ? { paced: pacedResult } : {}),
      timeouts: runtime.journal.list("consumer.attempt").filter((attempt) => attempt.outcome === "timed-out").length,
      emails: runtime.journal.list("effect.email").length,
      pushes: runtime.journal.list("effect.push").length,
      // Tier rewards granted (each a customer balance credit at the local Stripe): the bench's
      // customers reach their tiers over the run, so this says the reward path ran, not a refusal.
      stripeCredits: runtime.stripe.balanceTransactions().length,
      dlq: runtime.journal.list("queue.dlq").length,
      dlqErrors: [...new Set(runtime.journal.list("queue.dlq").map((e) => e.error))].slice(0, 3),
      engineErrors: { count: escaped.length, samples: [...new Set(escaped)].slice(0, 3) },
    };
    process.stdout.write(`steady ${rate} events/s for ${seconds} s (after ${warmup} warm-up events; ${steadyColdStarts} cold starts during it):\n`);
    for (const [queue, p] of Object.entries(steadyLatency)) {
      process.stdout.write(`  ${queue.padEnd(14)} PutEvents→consumer done  p50 ${p.p50} ms  p95 ${p.p95} ms  p99 ${p.p99} ms  (n=${p.n})\n`);
      const parts = steadyParts[queue];
      if (parts) process.stdout.write(`  ${"".padEnd(14)} parts p50/p95 ms: ${Object.entries(parts).map(([part, q]) => `${part} ${q.p50}/${q.p95}`).join(", ")}\n`);
    }
    const cpuText = (cpu: ReturnType<typeof cpuPerEvent>) =>
      `CPU per event ${cpu.processMs} ms (main thread ${cpu.mainThreadMs ?? "?"} ms), load average ${cpu.loadAverage}`;
    process.stdout.write(`  steady: ${cpuText(steadyCpuPerEvent)}\n`);
    process.stdout.write(`burst of ${burst}: ${result.burst.eventsPerSecond} events/s end to end (drained in ${result.burst.drainSeconds} s); DLQ ${result.dlq}\n`);
    process.stdout.write(`  burst: ${cpuText(burstCpuPerEvent)}; consumer timeouts in the run: ${result.timeouts}\n`);
    process.stdout.write(`  effects over the whole run: ${result.emails} emails, ${result.pushes} pushes, ${result.stripeCredits} Stripe balance credits (tier rewards)\n`);
    process.stdout.write(`  environments at the end: ${Object.entries(result.environmentsAfter).map(([name, n]) => `${name} ${n}`).join(", ")}\n`);
    process.stdout.write(`  burst, CPU per event by thread: ${Object.entries(burstByThread).map(([kind, ms]) => `${kind} ${ms} ms`).join(", ")}\n`);
    if (pacedResult) {
      process.stdout.write(`paced ${paced} (at most 20 queued): ${pacedResult.eventsPerSecond} events/s, ${cpuText(pacedResult.cpuPerEventMs as ReturnType<typeof cpuPerEvent>)}\n`);
    }
    if (escaped.length > 0) process.stdout.write(`errors escaped from local engines: ${escaped.length} (${result.engineErrors.samples.join("; ")})\n`);
    return result;
  } finally {
    await bench.stop();
    process.off("unhandledRejection", onEscaped);
    process.off("uncaughtException", onEscaped);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { rate: { type: "string" }, seconds: { type: "string" }, burst: { type: "string" }, paced: { type: "string" }, environments: { type: "string" }, "waiting-environments": { type: "string" }, warmup: { type: "string" } } });
  await run({
    ...(values.rate ? { rate: Number(values.rate) } : {}),
    ...(values.seconds ? { seconds: Number(values.seconds) } : {}),
    ...(values.burst ? { burst: Number(values.burst) } : {}),
    ...(values.paced ? { paced: Number(values.paced) } : {}),
    ...(values.environments ? { environments: Number(values.environments) } : {}),
    ...(values["waiting-environments"] ? { waitingEnvironments: Number(values["waiting-environments"]) } : {}),
    ...(values.warmup ? { warmup: Number(values.warmup) } : {}),
  });
  process.exit(0);
}
