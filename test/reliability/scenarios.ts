/**
 * The reliability scenarios of issue 9, each a function that runs on the embedded local runtime and
 * returns its figures and every mismatch found (none when the claim holds). `reliability.test.ts`
 * runs them at small sizes; `scripts/reliability.ts` runs them all, the load at full size, and
 * prints the report. Each runs in its own process (`runner.ts`).
 */
import { TestEventPatternCommand, type EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { childArgs } from "./child-bundle.ts";
import { queues } from "../../declarations/rules.ts";
import { anyOf, rateFaults } from "../../local/faults.ts";
import type { ConsumerChaos } from "../../local/event-source-mapping.ts";
import { PROJECT_ROOT, Runtime } from "../../local/runtime.ts";
import type { CrashChildLine } from "./crash-child.ts";
import {
  checkBadInputs,
  checkNothingLost,
  compare,
  eventBridgeClient,
  expectationFor,
  figures,
  invoiceNumbers,
  dlqSince,
  FRESH,
  liveClaims,
  markOf,
  newSendLog,
  observe,
  restoreEndpoints,
  runtimeOptions,
  runWaves,
  seedProfiles,
  settle,
  SETTLE_TIMEOUT_MS,
  stripeIdOf,
  type Figures,
  type Mark,
  type ObservedState,
  type SendLog,
  type WaveOptions,
} from "./harness.ts";
import { expectedState, type OracleLoyaltyConfig } from "./oracle.ts";
import { badInputs, crashScenario, fixtureScenario, Random, reorderedFixtures, syntheticScenario, type CrashMoment, type Envelope, type Scenario } from "./scenario.ts";

/** What one scenario showed. */
export interface ScenarioResult {
  readonly name: string;
  /** What was claimed and demonstrated, in one line. */
  readonly claim: string;
  readonly figures: Figures;
  /** Every difference from the expected outcome; the claim holds when empty. */
  readonly mismatches: readonly string[];
  /** Scenario-specific facts for the report. */
  readonly notes: Readonly<Record<string, unknown>>;
}

/**
 * Runtimes that the scenarios of one process take turns on, one per set of runtime options, kept
 * until the process's scenarios are done (`runner.ts` groups scenarios whose runtimes are alike).
 * A runtime costs ~1 s of CPU to start and a cold start (~0.4 s) per function it runs; each
 * scenario on a shared runtime is judged from its {@link Mark} on, with ids of its own.
 */
class RuntimeShare {
  private readonly runtimes = new Map<string, Promise<Runtime>>();

  take(options: ReturnType<typeof runtimeOptions>): Promise<Runtime> {
    const key = JSON.stringify(options);
    let runtime = this.runtimes.get(key);
    if (!runtime) this.runtimes.set(key, (runtime = Runtime.start(options)));
    return runtime;
  }

  async stop(): Promise<void> {
    const started = await Promise.allSettled(this.runtimes.values());
    for (const outcome of started) if (outcome.status === "fulfilled") await outcome.value.stop();
  }
}

let share: RuntimeShare | undefined;

/**
 * Runs `scenarios` (in order) with runtimes shared between those whose runtime options are the
 * same and that need no data directory; stops them at the end.
 */
export async function withSharedRuntimes<T>(scenarios: () => Promise<T>): Promise<T> {
  share = new RuntimeShare();
  try {
    return await scenarios();
  } finally {
    const done = share;
    share = undefined;
    await done.stop();
  }
}

/**
 * A runtime for one scenario with its profiles seeded (or, on a restart, their push endpoints
 * registered again), stopped afterwards; inside {@link withSharedRuntimes}, one shared with
 * earlier scenarios, and `since` says where they left it.
 */
async function withRuntime<T>(
  scenario: Scenario,
  run: (runtime: Runtime, eventBridge: EventBridgeClient, since: Mark) => Promise<T>,
  options: { dataDir?: string | null; restart?: boolean } = {},
): Promise<T> {
  const shared = options.dataDir ? undefined : share;
  const runtime = await (shared ? shared.take(runtimeOptions(scenario, null)) : Runtime.start(runtimeOptions(scenario, options.dataDir ?? null)));
  const eventBridge = eventBridgeClient(runtime);
  try {
    await (options.restart ? restoreEndpoints(runtime, scenario.profiles) : seedProfiles(runtime, scenario.profiles));
    return await run(runtime, eventBridge, shared ? await markOf(runtime) : FRESH);
  } finally {
    eventBridge.destroy();
    if (!shared) await runtime.stop();
  }
}

/** Runs the waves, then judges the final state against the oracle, the bad inputs and the journal. */
async function runAndJudge(runtime: Runtime, eventBridge: EventBridgeClient, scenario: Scenario, since: Mark, options: WaveOptions & { afterWaves?: (log: SendLog) => Promise<void> } = {}) {
  const log = await runWaves(runtime, eventBridge, scenario, options, since);
  await options.afterWaves?.(log);
  const observed = await observe(runtime, since);
  const numbers = invoiceNumbers(scenario.waves);
  const mismatches = [
    ...compare(expectationFor(scenario), observed, { numbers }),
    ...checkBadInputs(runtime, log, since),
    ...checkNothingLost(runtime, log, since),
  ];
  return { log, observed, numbers, mismatches };
}

/**
 * The outcome with everything that differs between runs of the same facts taken out (ids, ARNs,
 * times), and `ns` (the namespace a copy's ids carry) removed from every id.
 */
function comparable(observed: ObservedState, ns = "") {
  const plain = (text: string) => (ns ? text.replaceAll(ns, "") : text);
  const sorted = <T>(items: T[]) => items.map((item) => plain(JSON.stringify(item))).sort();
  return {
    balances: [...observed.balances].map(([id, balance]) => [plain(id), balance] as const).sort(([a], [b]) => a.localeCompare(b)),
    purchases: sorted(
      [...observed.purchases.values()].map(({ purchaseId, status, customerId, points, reversedPoints, refundedAmount, chargedBack, engagementExecution }) => ({
        purchaseId,
        status,
        customerId,
        points,
        reversedPoints,
        refundedAmount,
        chargedBack,
        engagementExecution,
      })),
    ),
    emails: sorted(observed.emails.map(({ to, subject }) => ({ to, subject }))),
    pushes: sorted(observed.pushes.map(({ invoiceId, key }) => ({ invoiceId, key }))),
    workflows: sorted(observed.workflows.map(({ name, status }) => ({ name, status }))),
  };
}

/** Lines saying where two outcomes differ (by part), for the mismatch list. */
function differences(label: string, a: ReturnType<typeof comparable>, b: ReturnType<typeof comparable>): string[] {
  return (Object.keys(a) as Array<keyof typeof a>).flatMap((part) =>
    JSON.stringify(a[part]) === JSON.stringify(b[part]) ? [] : [`${label}: ${part} differ: ${JSON.stringify(a[part]).slice(0, 300)} vs ${JSON.stringify(b[part]).slice(0, 300)}`],
  );
}

/** Duplicates: every fixture delivered 3 times (new envelope ids) ends as a single delivery does. */
export async function duplicates(seed = 1): Promise<ScenarioResult> {
  // Ids of their own for each run (removed before the comparison), so that both may share a
  // runtime: the single delivery's facts must not count as the copies' first delivery.
  const [onceNs, thriceNs] = ["d1q", "d3q"];
  const once = fixtureScenario(1, seed, onceNs);
  const thrice = fixtureScenario(3, seed, thriceNs);
  const single = await withRuntime(once, (runtime, eventBridge, since) => runAndJudge(runtime, eventBridge, once, since));
  return withRuntime(thrice, async (runtime, eventBridge, since) => {
    const { log, observed, numbers, mismatches } = await runAndJudge(runtime, eventBridge, thrice, since);
    const all = [
      ...mismatches,
      // The reference is held to the oracle too: a comparison with a wrong reference proves nothing.
      ...single.mismatches.map((mismatch) => `single delivery: ${mismatch}`),
      ...differences("3 deliveries vs 1", comparable(observed, thriceNs), comparable(single.observed, onceNs)),
    ];
    return {
      name: "duplicates",
      claim: "every fixture delivered 3 times (new envelope ids) gives the outcome of a single delivery",
      figures: figures(runtime, log, observed, numbers, all.length, since),
      mismatches: all,
      notes: { fixtures: once.waves[0]!.length, deliveries: thrice.waves[0]!.length },
    };
  });
}

/** The part of an outcome that belongs to one namespace of a shared run. */
function namespaced(observed: ObservedState, ns: string): ObservedState {
  const mine = (text: string) => text.includes(ns);
  return {
    balances: new Map([...observed.balances].filter(([id]) => mine(id))),
    purchases: new Map([...observed.purchases].filter(([id]) => mine(id))),
    emails: observed.emails.filter((email) => mine(email.subject)),
    pushes: observed.pushes.filter((push) => mine(push.invoiceId)),
    workflows: observed.workflows.filter((workflow) => mine(workflow.name)),
  };
}

/**
 * Reordering: the fixture facts shuffled differently (refunds and chargebacks before purchases,
 * an invoice's failure after its payment) reach the documented outcome every time.
 */
export async function reordering(seeds: readonly number[] = [1, 2, 3]): Promise<ScenarioResult> {
  const copies = seeds.map((seed, i) => ({ ns: `x${i}q`, scenario: reorderedFixtures(seed, `x${i}q`) }));
  const random = new Random(seeds.reduce((a, b) => a * 31 + b, 7));
  const waves = [0, 1].map((w) => random.shuffle(copies.flatMap(({ scenario }) => [...scenario.waves[w]!])));
  const scenario: Scenario = { ...copies[0]!.scenario, name: "reordering", waves };
  return withRuntime(scenario, async (runtime, eventBridge, since) => {
    const { log, observed, numbers, mismatches } = await runAndJudge(runtime, eventBridge, scenario, since);
    const documented: string[] = [];
    for (const { ns } of copies) {
      const mine = namespaced(observed, ns);
      const balance = (id: string) => mine.balances.get(`${id}${ns}`);
      // The refund and the chargeback arrived before the purchase: credited, then all taken back.
      if (JSON.stringify(balance("C-100877")) !== JSON.stringify({ points: 0, lifetimePoints: 40, tier: "member", purchases: 1 })) {
        documented.push(`${ns}: C-100877 after refund and chargeback before the purchase: ${JSON.stringify(balance("C-100877"))}`);
      }
      // A third refunded before the Checkout arrived: 180 points (30 USD, premium, promotion), 60 back.
      if (balance("C-101034")?.points !== 120) documented.push(`${ns}: C-101034 after a partial refund before the Checkout: ${JSON.stringify(balance("C-101034"))}`);
      const pushes = mine.pushes.map((push) => `${push.invoiceId.replace(ns, "")} ${push.key}`).sort();
      const expectedPushes = ["in_13N6v45kb18UZlUmDO92Gtng failed#2", "in_13N6v45kb18UZlUmDO92Gtng failed#2", "in_13N6v45kb18UZlUmDO92Gtng paid", "in_13N6v45kb18UZlUmDO92Gtng paid", "in_1dRMyKvEVNipDJAF3s3zEGgf paid", "in_1x6UCL5kb18UZlUmwFb6L0HI paid"];
      // Invoice 01's late failure is never told; invoice 02's failure and payment both are.
      if (JSON.stringify(pushes) !== JSON.stringify(expectedPushes)) documented.push(`${ns}: pushes ${JSON.stringify(pushes)}`);
    }
    const [first, ...others] = copies.map(({ ns }) => JSON.stringify(comparable(namespaced(observed, ns), ns)));
    const nondeterministic = others.flatMap((other, i) => (other === first ? [] : [`shuffle ${i + 2} ends differently from shuffle 1`]));
    const all = [...mismatches, ...documented, ...nondeterministic];
    return {
      name: "reordering",
      claim: "the same facts in different orders (reversals before purchases, a failure after the payment) reach the documented outcome, identically",
      figures: figures(runtime, log, observed, numbers, all.length, since),
      mismatches: all,
      notes: { shuffles: copies.length, eventsPerShuffle: copies[0]!.scenario.waves.flat().length },
    };
  });
}

/** `Map.groupBy`, which Node 20 lacks. */
function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * Candidates for poison: loyalty events (their outcome does not depend on order, so they may wait
 * in the DLQ past later waves) of the first wave (one wave pays the wait for maxReceiveCount).
 */
function poisonCandidates(scenario: Scenario): string[] {
  return [...new Set(scenario.waves[0]!.filter((e) => !String(e["detail-type"]).startsWith("invoice.")).map((e) => e.detail.id as string))];
}

/**
 * A consumer-chaos plan keyed on Stripe event ids, so the same events fail on every run of a seed;
 * at least one event of each kind is chosen, however small the scenario.
 */
function chaosPlan(scenario: Scenario, seed: number, rates: { throwOnce: number; throwTwice: number; timeout: number; poison: number }) {
  const random = new Random(seed);
  const ids = [...new Set(scenario.waves.flat().map((e) => e.detail.id as string))];
  const pick = (from: readonly string[], rate: number) => {
    const chosen = new Set(from.filter(() => random.chance(rate)));
    if (chosen.size === 0 && from.length > 0) chosen.add(random.pick(from));
    return chosen;
  };
  const poison = pick(poisonCandidates(scenario), rates.poison);
  const throwOnce = pick(ids, rates.throwOnce);
  const throwTwice = pick(ids, rates.throwTwice);
  const timeout = pick(ids, rates.timeout);
  const chaos: ConsumerChaos = ({ record, receiveCount }) => {
    const id = stripeIdOf(record.body) ?? "";
    if (poison.has(id) || (throwOnce.has(id) && receiveCount === 1) || (throwTwice.has(id) && receiveCount <= 2)) return "throw";
    return timeout.has(id) && receiveCount === 1 ? "timeout" : undefined;
  };
  return { chaos, poison, throwOnce, throwTwice, timeout };
}

/**
 * Consumer crashes: chosen records throw on chosen attempts, some invocations time out after doing
 * their work; only those records come back, poison ones reach the DLQ after maxReceiveCount with
 * their reason, and a redrive after the fix completes them exactly once.
 */
export async function consumerCrashes(events = 300, seed = 11): Promise<ScenarioResult> {
  const scenario = syntheticScenario({ seed, events, namespace: "c" });
  const plan = chaosPlan(scenario, seed, { throwOnce: 0.06, throwTwice: 0.03, timeout: 0.02, poison: 0.02 });
  const maxReceiveCount = queues.loyalty.maxReceiveCount;
  return withRuntime(scenario, async (runtime, eventBridge, since) => {
    runtime.faults.consumers.set(plan.chaos);
    const checks: string[] = [];
    let parked = 0;
    const { log, observed, numbers, mismatches } = await runAndJudge(runtime, eventBridge, scenario, since, {
      keepInDlq: (message) => plan.poison.has(stripeIdOf(message.body) ?? ""),
      afterWaves: async (log) => {
        const dlq = dlqSince(runtime, "loyalty", since);
        parked = dlq.length;
        const reasons = dlq.map((message) => runtime.mappings.get("loyalty")!.errorFor(message.messageId) ?? "");
        const ids = new Set(dlq.map((message) => stripeIdOf(message.body)));
        if (plan.poison.size === 0 || [...plan.poison].some((id) => !ids.has(id))) checks.push(`poison events missing from the DLQ: ${[...plan.poison].filter((id) => !ids.has(id)).join(", ") || "(none chosen)"}`);
        if (dlq.some((message) => !plan.poison.has(stripeIdOf(message.body) ?? ""))) checks.push("the DLQ holds records that were not poison");
        if (!reasons.every((reason) => reason.startsWith("InjectedRecordError"))) checks.push(`DLQ reasons: ${JSON.stringify([...new Set(reasons)])}`);
        const attempts = runtime.journal.list("consumer.attempt", since.seq).filter((a) => dlq.some((m) => m.messageId === a.messageId));
        const perMessage = [...new Set(attempts.map((a) => a.messageId))].map((id) => attempts.filter((a) => a.messageId === id).map((a) => a.receiveCount).join(","));
        const full = Array.from({ length: maxReceiveCount }, (_, i) => i + 1).join(",");
        if (!perMessage.every((counts) => counts === full)) checks.push(`poison attempts per message: ${JSON.stringify([...new Set(perMessage)])}, expected ${full}`);
        // The fix: the consumer stops failing; the operator redrives the DLQ.
        runtime.faults.consumers.set(undefined);
        log.redriven += (await runtime.redriveDlq("loyalty", dlq.map((message) => message.messageId))).length;
        await runtime.waitForQuiet(SETTLE_TIMEOUT_MS);
      },
    });
    const attempts = runtime.journal.list("consumer.attempt", since.seq);
    const failed = attempts.filter((a) => a.outcome !== "succeeded");
    // A copy of a notice handled at the same moment as another finds its send lease taken and is
    // retried: the notifications consumer's documented answer to concurrent duplicates.
    const leaseWaits = failed.filter((a) => a.error?.includes("SendInProgressError"));
    // A send reached with too little of its invocation left (behind a stalled record of the same
    // batch) is not started and retried: the consumers' documented answer to an ending invocation.
    const endingInvocations = failed.filter((a) => a.error?.includes("InvocationEndingError"));
    const unexplained = failed.filter(
      (a) => a.outcome !== "timed-out" && !a.error?.startsWith("InjectedRecordError") && !leaseWaits.includes(a) && !endingInvocations.includes(a),
    );
    if (unexplained.length > 0) checks.push(`${unexplained.length} failure(s) neither injected nor documented, e.g. ${JSON.stringify(unexplained[0])}`);
    const byMessage = groupBy(attempts, (a) => a.messageId);
    const rerun = [...byMessage].filter(([, list]) => list.filter((a) => a.outcome === "succeeded").length > 1);
    if (rerun.length > 0) checks.push(`${rerun.length} record(s) handled successfully more than once`);
    const timedOutMessages = new Set(failed.filter((a) => a.outcome === "timed-out").map((a) => a.messageId));
    const all = [...mismatches, ...checks];
    const retried = [...byMessage.values()].filter((list) => list.length > 1).length;
    return {
      name: "consumer crashes",
      claim: "only records that threw or whose invocation timed out are retried; poison reaches the DLQ after maxReceiveCount with its reason; the redrive after the fix completes it exactly once",
      figures: figures(runtime, log, observed, numbers, all.length, since),
      mismatches: all,
      notes: {
        chosen: { throwOnce: plan.throwOnce.size, throwTwice: plan.throwTwice.size, timeout: plan.timeout.size, poison: plan.poison.size },
        recordsRetried: retried,
        recordsRetriedFromTimedOutBatches: timedOutMessages.size,
        retriesWaitingForASendLease: leaseWaits.length,
        retriesOfSendsNotStartedAtAnInvocationsEnd: endingInvocations.length,
        recordsRunOnce: [...byMessage.values()].filter((list) => list.length === 1).length,
        poisonParkedInDlq: parked,
      },
    };
  });
}

/** SES throttling, SNS errors, DynamoDB throttling and transaction conflicts at the given rates. */
function downstreamFaults(runtime: Runtime, seed: number, rates: { ses: number; sns: number; dynamoThrottle: number; conflicts: number }): void {
  runtime.faults.ses.set(rateFaults({ rate: rates.ses, operations: ["SendEmail"], code: "Throttling", message: "Maximum sending rate exceeded.", seed }));
  runtime.faults.sns.set(rateFaults({ rate: rates.sns, operations: ["Publish"], code: "InternalError", message: "Internal failure", status: 500, seed: seed + 1 }));
  runtime.faults.dynamodb.set(
    anyOf(
      rateFaults({ rate: rates.conflicts, operations: ["TransactWriteItems"], code: "TransactionConflictException", seed: seed + 2 }),
      rateFaults({ rate: rates.dynamoThrottle, code: "ProvisionedThroughputExceededException", seed: seed + 3 }),
    ),
  );
}

function faultsOff(runtime: Runtime): void {
  for (const faults of [runtime.faults.ses, runtime.faults.sns, runtime.faults.dynamodb]) faults.set(undefined);
}

/** Downstream faults at a rate: everything eventually completes, nothing is sent twice, balances are exact. */
export async function downstream(events = 300, seed = 21): Promise<ScenarioResult> {
  const scenario = syntheticScenario({ seed, events, namespace: "d" });
  const rates = { ses: 0.3, sns: 0.3, dynamoThrottle: 0.05, conflicts: 0.2 };
  return withRuntime(scenario, async (runtime, eventBridge, since) => {
    const { log, observed, numbers, mismatches } = await runAndJudge(runtime, eventBridge, scenario, since, {
      beforeWave: () => downstreamFaults(runtime, seed, rates),
      afterWaves: async () => faultsOff(runtime),
    });
    const injected = figures(runtime, log, observed, numbers, 0, since).faultsInjected;
    const idle = (["ses", "sns", "dynamodb"] as const).filter((service) => injected[service] === 0);
    const all = [...mismatches, ...idle.map((service) => `no ${service} fault was injected: the scenario proved nothing about it`)];
    return {
      name: "downstream faults",
      claim: "with SES throttling, SNS errors, DynamoDB throttling and transaction conflicts injected, everything completes: no double sends, exact balances",
      figures: figures(runtime, log, observed, numbers, all.length, since),
      mismatches: all,
      notes: { rates },
    };
  });
}

/** Bad input of every kind is refused or parked with a clear reason; the runtime keeps working. */
export async function badInput(seed = 31): Promise<ScenarioResult> {
  const base = fixtureScenario(1, seed);
  const scenario: Scenario = { ...base, name: "bad input", bad: badInputs(12, new Random(seed), "b") };
  const result = await withRuntime(scenario, async (runtime, eventBridge, since) => {
    const { log, observed, numbers, mismatches } = await runAndJudge(runtime, eventBridge, scenario, since);
    const patterns = await invalidPatternChecks(eventBridge);
    const all = [...mismatches, ...patterns.mismatches];
    return {
      name: "bad input",
      claim: "malformed JSON, wrong types, detail-type mismatches, unknown types, oversized entries, untrusted sources and invalid patterns get clear errors, are all accounted for, and never stop the runtime",
      figures: figures(runtime, log, observed, numbers, all.length, since),
      mismatches: all,
      notes: {
        inputs: log.bad.map(({ input, result }) => ({ label: input.label, expected: input.expect, bus: result })),
        invalidPatterns: patterns.answers,
      },
    };
  });
  const rule = await invalidRuleCheck(scenario);
  return { ...result, mismatches: [...result.mismatches, ...rule.mismatches], notes: { ...result.notes, invalidRule: rule.answer } };
}

/** TestEventPattern refuses invalid patterns with EventBridge's reasons. */
async function invalidPatternChecks(eventBridge: EventBridgeClient) {
  const event = JSON.stringify(fixtureScenario(1, 1).waves[0]![0]);
  const cases = [
    { pattern: '{"detail-type":[]}', reason: "Event pattern is not valid. Reason: Empty arrays are not allowed" },
    { pattern: '{"detail-type": "invoice.paid"}', reason: "Event pattern is not valid." },
    { pattern: "{not json", reason: "Event pattern is not valid." },
  ];
  const answers: Array<{ pattern: string; error: string }> = [];
  const mismatches: string[] = [];
  for (const { pattern, reason } of cases) {
    try {
      await eventBridge.send(new TestEventPatternCommand({ Event: event, EventPattern: pattern }));
      mismatches.push(`pattern ${pattern} was accepted`);
    } catch (error) {
      const { name, message } = error as Error;
      answers.push({ pattern, error: `${name}: ${message}` });
      if (name !== "InvalidEventPatternException" || !message.startsWith(reason)) mismatches.push(`pattern ${pattern}: ${name}: ${message}`);
    }
  }
  return { answers, mismatches };
}

/** A runtime asked to install a rule with an invalid pattern refuses to start, saying why. */
async function invalidRuleCheck(scenario: Scenario) {
  const invalid = { name: "Broken", description: "an invalid pattern", pattern: { source: [{ prefix: 42 }] }, target: { queue: "loyalty" as const }, retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 } };
  try {
    const runtime = await Runtime.start({ ...runtimeOptions(scenario, null), rules: [invalid] });
    await runtime.stop();
    return { answer: "started", mismatches: ["a rule with an invalid pattern was installed"] };
  } catch (error) {
    const answer = `${(error as Error).name}: ${(error as Error).message}`;
    return { answer, mismatches: /prefix/i.test(answer) ? [] : [`the refusal does not say what is wrong: ${answer}`] };
  }
}

const CRASH_CHILD = fileURLToPath(new URL("./crash-child.ts", import.meta.url));

/** What the killed process reported before it died. */
interface ChildRun {
  readonly accepted: string[];
  /** How many events had been accepted when each wave began. */
  readonly waveStarts: number[];
  readonly emails: Array<{ to: readonly string[]; subject: string }>;
  readonly pushes: Array<{ targetArn: string; invoiceId: string; key: string }>;
  consumed: number;
  finished: boolean;
}

/** Runs the crash child and kills it hard (SIGKILL) once `killAfter` records of its last wave were consumed. */
async function runChildAndKill(args: { dataDir: string; seed: number; events: number; moment: CrashMoment }, lastWave: number, killAfter: number): Promise<ChildRun> {
  const child = spawn(process.execPath, [...childArgs(CRASH_CHILD), JSON.stringify(args)], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const run: ChildRun = { accepted: [], waveStarts: [], emails: [], pushes: [], consumed: 0, finished: false };
  let wave = -1;
  let consumedInLastWave = 0;
  // Only against a child that hangs: its waves may each take up to SETTLE_TIMEOUT_MS on a loaded machine.
  const guard = setTimeout(() => child.kill("SIGKILL"), 2 * SETTLE_TIMEOUT_MS);
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  // Lines still in the pipe after the kill were written before it: they are facts of the run.
  for await (const text of createInterface({ input: child.stdout })) {
    let line: CrashChildLine;
    try {
      line = JSON.parse(text) as CrashChildLine;
    } catch {
      continue;
    }
    if ("wave" in line) {
      wave = line.wave;
      run.waveStarts.push(run.accepted.length);
    } else if ("accepted" in line) run.accepted.push(...line.accepted);
    else if ("email" in line) run.emails.push(line.email);
    else if ("push" in line) run.pushes.push(line.push);
    else if ("done" in line) run.finished = true;
    else if ("consumed" in line) {
      run.consumed++;
      if (wave === lastWave && ++consumedInLastWave === killAfter) child.kill("SIGKILL");
    }
  }
  await exited;
  clearTimeout(guard);
  if (child.signalCode !== "SIGKILL" && !run.finished) throw new Error(`the crash child failed (exit ${child.exitCode}): ${stderr}`);
  return run;
}

function count(keys: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

/** Balances that disagree with the ledger entries behind them (a torn transaction). */
function ledgerInconsistencies(observed: ObservedState): string[] {
  const sums = new Map<string, { points: number; lifetimePoints: number; purchases: number }>();
  for (const purchase of observed.purchases.values()) {
    if (purchase.status !== "awarded") continue;
    const customer = purchase.customerId as string;
    const sum = sums.get(customer) ?? { points: 0, lifetimePoints: 0, purchases: 0 };
    sum.points += (purchase.points as number) - (purchase.reversedPoints as number);
    sum.lifetimePoints += purchase.points as number;
    sum.purchases += 1;
    sums.set(customer, sum);
  }
  return [...new Set([...sums.keys(), ...observed.balances.keys()])].flatMap((customer) => {
    const balance = observed.balances.get(customer);
    const sum = sums.get(customer) ?? { points: 0, lifetimePoints: 0, purchases: 0 };
    const stored = { points: balance?.points ?? 0, lifetimePoints: balance?.lifetimePoints ?? 0, purchases: balance?.purchases ?? 0 };
    return JSON.stringify(stored) === JSON.stringify(sum) ? [] : [`balance of ${customer} ${JSON.stringify(stored)} disagrees with its ledger entries ${JSON.stringify(sum)}`];
  });
}

/**
 * Process crash: the runtime, in a child process on a data directory, is killed hard in the middle
 * of a run and restarted; balances and the archive survive, and replaying the archived window
 * converges to the state of a clean run of the same events: the one the oracle computes from them
 * (every scenario's clean run is held to it). The scenario once replayed them on a second runtime
 * too: ~7 s of CPU to compare balances and purchases the oracle comparison already covers, except
 * the customer and points of purchases never credited, which the oracle leaves open; the engagement
 * execution of each credited purchase is checked against the oracle's name for it (`compare`). With notices in flight (`everything`),
 * sends claimed but not recorded at the kill wait out their lease before the replay, and each may
 * go out twice: the window the notifications consumer documents, counted, not hidden.
 */
export async function processCrash(events = 300, seed = 51, moment: CrashMoment = "loyalty"): Promise<ScenarioResult> {
  const scenario = crashScenario(seed, events, moment);
  const lastWave = scenario.waves.length - 1;
  const dataDir = mkdtempSync(join(tmpdir(), "paybus-crash-"));
  try {
    const child = await runChildAndKill({ dataDir, seed, events, moment }, lastWave, Math.max(5, Math.round(scenario.waves[lastWave]!.length * 0.1)));
    const checks: string[] = child.finished ? ["the process finished before it could be killed: nothing was demonstrated"] : [];
    const recovered = await withRuntime(
      scenario,
      async (runtime) => {
        // The journal kept in the data directory holds the killed child's entries: the emails and
        // attempts judged here are the restarted process's (the child reported its own).
        const restarted: Mark = { ...FRESH, seq: runtime.journal.lastSeq };
        const envelopes = runtime.archive.read().map((archived) => JSON.parse(archived.event) as Envelope);
        const archivedIds = new Set(envelopes.map((envelope) => envelope.id as string));
        const lost = child.accepted.filter((id) => !archivedIds.has(id));
        if (lost.length > 0) checks.push(`${lost.length} accepted event(s) missing from the archive after the kill`);
        const atRestart = await observe(runtime);
        if (atRestart.balances.size === 0) checks.push("no balance survived the kill");
        checks.push(...ledgerInconsistencies(atRestart).map((problem) => `at restart: ${problem}`));
        // Until its lease runs out, a send claimed by the dead process counts as in progress.
        const midSend = await liveClaims(runtime);
        const leaseLeft = Math.max(0, ...midSend.map((claim) => claim.leaseUntil)) - Date.now();
        if (leaseLeft > 0) await new Promise((resolve) => setTimeout(resolve, leaseLeft + 250));
        const times = envelopes.map((envelope) => Date.parse(envelope.time as string));
        const window = { start: new Date(Math.min(...times)), end: new Date(Math.max(...times) + 1000) };
        // Read in the same turn as the replay: the restarted pipeline archives the loyalty events it
        // emits meanwhile (during the lease wait above, messages the dead process left are consumed),
        // dated by their purchase, so the window holds more than was read at the restart.
        const archivedNow = runtime.archive.read(window).length;
        const replay = runtime.replays.start(window, { name: "crash-recovery" });
        if (replay.events !== archivedNow || archivedNow < envelopes.length) checks.push(`the archived window replayed ${replay.events} of ${archivedNow} events (${envelopes.length} archived at the restart)`);
        const log = { ...newSendLog(), sent: replay.events };
        await settle(runtime, log, () => false, SETTLE_TIMEOUT_MS);
        const observed = await observe(runtime, restarted);
        const waves = scenario.waves.map((_, k) => envelopes.slice(child.waveStarts[k] ?? envelopes.length, k === lastWave ? undefined : (child.waveStarts[k + 1] ?? envelopes.length)));
        const numbers = invoiceNumbers(waves);
        const expected = expectedState(waves, scenario.loyaltyConfig as OracleLoyaltyConfig, scenario.profiles);
        // The SNS outbox survives the kill (it is in the data directory): it holds the pushes sent
        // before it, which must all be there; the emails are counted from the child's report.
        const outbox = count(observed.pushes.map((push) => JSON.stringify(push)));
        for (const [push, sent] of count(child.pushes.map((push) => JSON.stringify(push)))) {
          if ((outbox.get(push) ?? 0) < sent) checks.push(`a push sent before the kill is missing from the outbox after it: ${push}`);
        }
        const earlier = { emails: child.emails, pushes: [] };
        checks.push(...compare(expected, observed, { numbers, engagement: false, earlier, killedMidSend: midSend }));
        const noticesOut = (state: Pick<ObservedState, "emails" | "pushes">) => state.pushes.length + state.emails.filter((email) => email.subject.split(/\s+/).some((word) => numbers.has(word))).length;
        const noticesExpected = expected.notices.reduce((sum, notice) => sum + notice.pushes + (notice.email ? 1 : 0), 0);
        return {
          numbers,
          figures: figures(runtime, log, observed, numbers, 0, restarted),
          balancesAtRestart: atRestart.balances.size,
          archived: envelopes.length,
          sendsClaimedAtKill: midSend.length,
          repeatedInDocumentedWindow: noticesOut(earlier) + noticesOut(observed) - noticesExpected,
        };
      },
      { dataDir, restart: true },
    );
    const noticeEmailsBeforeKill = child.emails.filter((email) => email.subject.split(/\s+/).some((word) => recovered.numbers.has(word))).length;
    const after = recovered.figures;
    return {
      name: scenario.name,
      claim:
        moment === "loyalty"
          ? "killed hard mid-run and restarted, the runtime keeps balances and the archive; replaying the archived window converges to a clean run's state (the oracle's), without repeating a notice"
          : "killed hard with notices, purchases and refunds in flight, it converges the same way once the dead process's send leases run out; a notice repeats only in the documented window",
      // Events in: what the bus accepted before the kill; effects out: before the kill and after the restart.
      figures: {
        ...after,
        eventsIn: { ...after.eventsIn, sent: child.accepted.length, accepted: child.accepted.length },
        effectsOut: {
          ...after.effectsOut,
          notificationEmails: after.effectsOut.notificationEmails + noticeEmailsBeforeKill,
          engagementEmails: after.effectsOut.engagementEmails + child.emails.length - noticeEmailsBeforeKill,
          // The outbox read after the restart already holds the pushes sent before the kill.
          pushes: after.effectsOut.pushes,
        },
        mismatches: checks.length,
      },
      mismatches: checks,
      notes: {
        beforeKill: { accepted: child.accepted.length, consumed: child.consumed, emails: child.emails.length, pushes: child.pushes.length },
        balancesAtRestart: recovered.balancesAtRestart,
        archivedAndReplayed: recovered.archived,
        sendsClaimedAtKill: recovered.sendsClaimedAtKill,
        repeatedInDocumentedWindow: recovered.repeatedInDocumentedWindow,
      },
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The load run's fault and chaos rates: all of the above at once. */
const LOAD_RATES = {
  chaos: { throwOnce: 0.01, throwTwice: 0.005, timeout: 0.003, poison: 0.002 },
  downstream: { ses: 0.1, sns: 0.1, dynamoThrottle: 0.02, conflicts: 0.05 },
} as const;

/**
 * Load: a sustained run with duplicates, shuffling across waves, consumer crashes, poison records,
 * downstream faults and bad input all at once; the final state must equal the oracle's exactly.
 */
export async function load(events: number, seed = 41): Promise<ScenarioResult> {
  // Batches of one queue side by side too, on top of each batch's records: every race at once.
  const scenario: Scenario = { ...syntheticScenario({ seed, events, namespace: "l", badInputs: Math.max(12, Math.round(events / 500)) }), overlappingInvocations: true };
  const plan = chaosPlan(scenario, seed, LOAD_RATES.chaos);
  const started = Date.now();
  return withRuntime(scenario, async (runtime, eventBridge, since) => {
    runtime.faults.consumers.set(plan.chaos);
    const { log, observed, numbers, mismatches } = await runAndJudge(runtime, eventBridge, scenario, since, {
      beforeWave: () => downstreamFaults(runtime, seed, LOAD_RATES.downstream),
      keepInDlq: (message) => plan.poison.has(stripeIdOf(message.body) ?? ""),
      settleTimeoutMs: 900_000,
      afterWaves: async (log) => {
        faultsOff(runtime);
        runtime.faults.consumers.set(undefined);
        const poison = dlqSince(runtime, "loyalty", since).filter((message) => plan.poison.has(stripeIdOf(message.body) ?? ""));
        log.redriven += (await runtime.redriveDlq("loyalty", poison.map((message) => message.messageId))).length;
        await runtime.waitForQuiet(300_000);
      },
    });
    const expected = expectationFor(scenario);
    return {
      name: "load",
      claim: `${events} events over many customers (a few hot) with all of the above at once end in exactly the state computed independently from the inputs`,
      figures: figures(runtime, log, observed, numbers, mismatches.length, since),
      mismatches,
      notes: {
        customers: expected.balances.size,
        hottestCustomerPurchases: Math.max(...[...expected.balances.values()].map((b) => b.purchases)),
        invoicesNoticesTold: expected.notices.length,
        chaosChosen: { throwOnce: plan.throwOnce.size, throwTwice: plan.throwTwice.size, timeout: plan.timeout.size, poison: plan.poison.size },
        rates: LOAD_RATES,
        seconds: Math.round((Date.now() - started) / 1000),
      },
    };
  });
}
