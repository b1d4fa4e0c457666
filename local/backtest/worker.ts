/**
 * One side of a backtest, in a child process of its own (a runtime sets `process.env` for its
 * handlers, so two cannot share a process; two processes also use both cores): starts a fresh
 * in-memory runtime from the given source tree (the working tree, or a git ref exported to a
 * temporary directory), with its rules or the rules of a file, gives every Stripe customer in the
 * events a profile (an email address and one device), replays the events, waits until the
 * pipeline is quiet, and writes what happened (see {@link SideResult}) to a JSON file.
 *
 * Started by `backtest.ts` with `fork`; progress goes to the parent over IPC.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { collect, type SideResult } from "./collect.ts";
import type { Envelope } from "./input.ts";
import { FeedWindow } from "./feed.ts";
import { CustomerOrder, customerOf } from "./order.ts";
import { environmentsForCores } from "../lambda.ts";
import { countAwsCalls, cpuByThread, phaseClock, stats, threadCpu } from "./metrics.ts";
import { loadRules, type RuleLike } from "./rules-file.ts";
import { treeModuleUrl, useBuiltModules } from "./tree-modules.ts";

/** What the parent asks for. */
export interface BacktestJob {
  /** Source tree whose runtime, rules and consumers run (its `node_modules` resolves). */
  readonly root: string;
  /** Rules to use instead of the tree's `declarations/rules.ts`. */
  readonly rulesFile?: string | undefined;
  /** JSON list of envelopes, oldest first. */
  readonly eventsFile: string;
  readonly output: string;
  /** Temporary data directory of the runtime (its lock). */
  readonly dataDir: string;
  readonly timeoutMs: number;
  /** When the parent started this process (epoch ms): the "boot" phase ends when its code runs. */
  readonly forkedAt?: number | undefined;
  /** The tree's modules built into this process's bundle, by tree-relative path (`tree-modules.ts`); none under tsx. */
  readonly builtModules?: Readonly<Record<string, string>> | undefined;
}

/** Progress messages to the parent. */
export type WorkerMessage = { readonly progress: number } | { readonly error: string };

/** Profiles written at once while seeding. */
const SEED_IN_FLIGHT = 16;

/** How often the feed looks at the queues and sends what fits. */
const FEED_TICK_MS = 25;
/**
 * Share of the shortest declared function timeout an event's records may take from being sent to being
 * handled: that includes their wait in the queue, so the invocation itself takes less. A quarter
 * kept the window so small on a loaded machine (load ~30) that a side took twice as long, with no
 * timeout either way.
 */
const TARGET_SHARE_OF_TIMEOUT = 0.5;

const engineErrors = { count: 0, samples: [] as string[] };

/** Counts an error that escaped a local engine instead of dying of it (see {@link SideResult.engineErrors}). */
function recordEngineError(error: unknown): void {
  engineErrors.count++;
  if (engineErrors.samples.length < 5) engineErrors.samples.push(error instanceof Error ? error.message : String(error));
}

async function main(): Promise<void> {
  process.on("unhandledRejection", recordEngineError);
  process.on("uncaughtException", recordEngineError);
  const job = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as BacktestJob;
  if (job.builtModules) useBuiltModules(job.builtModules);
  const root = resolve(job.root);
  const started = performance.now();
  const phases = phaseClock(job.forkedAt);
  const helperThreads = new Set(threadCpu().keys());
  const events = JSON.parse(readFileSync(job.eventsFile, "utf8")) as Envelope[];
  const rules: RuleLike[] | undefined = job.rulesFile ? await loadRules(job.rulesFile, root) : undefined;

  const { Runtime, queueStatus } = (await import(treeModuleUrl(root, "local/runtime.ts"))) as typeof import("../runtime.ts");
  const { loyaltySnapshot } = (await import(treeModuleUrl(root, "local/state.ts"))) as typeof import("../state.ts");
  const { PROMOTIONS_CACHE_ENV, DEFAULT_PROMOTIONS_CACHE_SECONDS } = (await import(treeModuleUrl(root, "functions/loyalty/promotion-key.ts")).catch(
    () => ({}),
  )) as Partial<typeof import("../../functions/loyalty/promotion-key.ts")>;
  const runtime = await Runtime.start({
    // Everything stays in memory, the bus archive too (nothing replays it); the temporary data
    // directory (not the tree's `.paybus/`) holds only the runtime's lock.
    dataDir: job.dataDir,
    inMemory: true,
    archiveInMemory: true,
    port: 0,
    timeScale: 0.01,
    workflowTimeScale: 0.0001,
    // A backtest compares what two versions do, not how fast: a timeout makes its environment's
    // work lost and redone (as in Lambda), so one brought on by a busy machine would change one
    // side's outcome. Five times the declared timeouts; a version that really hangs still times out.
    functionTimeoutScale: 5,
    // Two runtimes share the machine's cores: environments beyond them only add compiling (lambda.ts).
    maxEnvironmentsPerFunction: environmentsForCores(),
    ...(rules ? { rules: rules as never } : {}),
    // Nothing changes the promotions during a backtest: the loyalty consumer keeps them as long as
    // in AWS (30 s), not the scaled 0.3 s that made it read them again on nearly every batch.
    ...(PROMOTIONS_CACHE_ENV && DEFAULT_PROMOTIONS_CACHE_SECONDS !== undefined ? { env: { [PROMOTIONS_CACHE_ENV]: String(DEFAULT_PROMOTIONS_CACHE_SECONDS) } } : {}),
  });
  phases.end("start");
  const awsCalls = await countAwsCalls(runtime, root);
  try {
    const devices = await seedProfiles(runtime, root, events);
    phases.end("seed");
    // Sends as fast as the runtime drains (feed.ts): the queues stay short, invocations far from their timeouts.
    // Each customer's events one after another, in order (order.ts), so both sides see the same history.
    const feed = new FeedWindow({ targetMs: targetLatencyMs(runtime) });
    const order = new CustomerOrder(events);
    const progress = trackProgress(runtime, events.length, feed, order);
    const windows = stats();
    while (!order.done) {
      const outstanding = backlog(queueStatus(runtime));
      feed.observe(performance.now(), progress.timedOut, outstanding);
      windows.add(feed.window);
      const batch = order.take(feed.room(outstanding));
      if (batch.length > 0) {
        progress.sent(batch, (chunk) => {
          const results = runtime.sendEnvelopes(chunk);
          results.forEach((result, i) => "ErrorCode" in result && order.refused(chunk[i]!));
          return results.length;
        });
      }
      await sleep(FEED_TICK_MS);
    }
    phases.end("feed");
    await runtime.waitForQuiet(job.timeoutMs, 200);
    progress.stop();
    phases.end("drain");

    const result = await collect(runtime, events.length, devices, await loyaltySnapshot(runtime));
    phases.end("collect");
    const threads = cpuByThread(runtime, helperThreads);
    writeFileSync(job.output, JSON.stringify({ ...result, engineErrors, phases: phases.done(), cpuByThread: threads, awsCalls: awsCalls?.counts(), feedWindow: windows.summary(), seconds: Number(((performance.now() - started) / 1000).toFixed(1)) }));
  } finally {
    await runtime.stop();
  }
}

type AnyRuntime = import("../runtime.ts").Runtime;

/** The Stripe customers the events name (`customerOf`, as the feed orders them), each given a profile with a device. */
async function seedProfiles(runtime: AnyRuntime, root: string, events: readonly Envelope[]): Promise<Map<string, string>> {
  const { putProfile } = (await import(treeModuleUrl(root, "functions/common/profiles.ts"))) as typeof import("../../functions/common/profiles.ts");
  const customers = new Set<string>();
  for (const event of events) {
    const customer = customerOf(event);
    if (customer?.startsWith("cus_")) customers.add(customer);
  }
  const devices = new Map<string, string>();
  const profiles: Array<Parameters<typeof putProfile>[0]> = [];
  for (const customerId of [...customers].sort()) {
    const endpoint = runtime.sns.createEndpoint(`${runtime.prefix}-app`, `token-${customerId}`);
    devices.set(endpoint, customerId);
    profiles.push({ customerId, email: `${customerId.toLowerCase()}@example.com`, pushEndpoints: [endpoint] });
  }
  // Several writes in flight (each its own item): the endpoint's worker thread and this one overlap.
  for (let i = 0; i < profiles.length; i += SEED_IN_FLIGHT) {
    await Promise.all(profiles.slice(i, i + SEED_IN_FLIGHT).map((profile) => putProfile(profile, runtime.profileTable)));
  }
  return devices;
}

/**
 * The latency the feed aims at: half the shortest declared function timeout, at most 5 s (10 s
 * today; the backtest's own scaled-up timeouts are far beyond it).
 */
function targetLatencyMs(runtime: AnyRuntime): number {
  const timeouts = [...runtime.functions.values()].map((fn) => fn.timeoutSeconds);
  return TARGET_SHARE_OF_TIMEOUT * Math.min(...timeouts, 10) * 1000;
}

function backlog(queues: ReadonlyArray<{ ready: number; inFlight: number; delayed: number }>): number {
  return queues.reduce((sum, queue) => sum + queue.ready + queue.inFlight + queue.delayed, 0);
}

/**
 * Reports the share of work done: deliveries the bus owes (one per matched rule) against those
 * settled (a consumer succeeded, a workflow started, or the message went to a DLQ), scaled by the
 * share of events sent. Tells `order` the same, per event.
 */
function trackProgress(runtime: AnyRuntime, total: number, feed: FeedWindow, order: CustomerOrder) {
  let sent = 0;
  /** When each Stripe event was sent, to measure how long its records took (the feed's signal). */
  const sentAt = new Map<string, number>();
  let owed = 0;
  let settled = 0;
  let timedOut = 0;
  const unsubscribe = runtime.journal.onEntry((entry) => {
    if (entry.kind === "consumer.attempt") {
      if (entry.outcome === "timed-out") timedOut++;
      // First receives of the Stripe events sent: a retry's wait is the queue's, not the load's, and
      // the programme's own events (PointsAwarded, …) were not sent by the feed.
      const at = entry.stripeEventId === undefined || entry.receiveCount > 1 ? undefined : sentAt.get(entry.stripeEventId);
      if (at !== undefined) feed.handled(performance.now() - at);
    }
    if (entry.kind === "bus.accepted") {
      owed += entry.matchedRules.length;
      if (entry.stripeEventId !== undefined) order.note({ kind: "accepted", stripeEventId: entry.stripeEventId, eventId: entry.eventId, owed: entry.matchedRules.length });
      return;
    }
    const settles =
      (entry.kind === "consumer.attempt" && entry.outcome === "succeeded") ||
      entry.kind === "queue.dlq" ||
      entry.kind === "target.dlq" ||
      (entry.kind === "target.delivered" && entry.target.includes(":stateMachine:"));
    if (!settles) return;
    settled++;
    order.note({ kind: "settled", eventId: entry.eventId, stripeEventId: "stripeEventId" in entry ? entry.stripeEventId : undefined });
  });
  const report = () => {
    const share = total === 0 ? 1 : (sent / total) * (owed === 0 ? 1 : Math.min(1, settled / owed));
    process.send?.({ progress: share } satisfies WorkerMessage);
  };
  const timer = setInterval(report, 250);
  return {
    /** Sends `events` with `send` (which returns how many the bus accepted), noting when. */
    sent(events: readonly Envelope[], send: (events: readonly Envelope[]) => number) {
      const now = performance.now();
      for (const event of events) if (typeof event.detail?.id === "string") sentAt.set(event.detail.id, now);
      sent += send(events);
    },
    /** Records whose invocation timed out so far. */
    get timedOut() {
      return timedOut;
    },
    stop() {
      clearInterval(timer);
      unsubscribe();
      process.send?.({ progress: 1 } satisfies WorkerMessage);
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies WorkerMessage);
    process.exit(1);
  },
);
