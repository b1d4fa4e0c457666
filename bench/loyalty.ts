/**
 * Loyalty accrual against the local DynamoDB engine (with transactions): latency from the moment a
 * consumer takes a batch off the queue to the moment the purchase's balance transaction commits
 * (p50/p95/p99), the same to the end of the record (tier settled, workflow started), and accruals
 * per second. The consumers run as the `loyalty` queue declares them (batch size, maximum
 * concurrency), through the consumer core with real SDK clients; a tenth of the messages are
 * duplicates (the charge event of a payment already seen). The consumer is wired as its handler
 * wires it: the contact stubs remembered per environment, the domain events put on a local bus.
 * A second, single-consumer run shows the latency without records queueing behind each other in
 * the engine. Each run also gives the batch's own latency (dequeue → its last record done: how long
 * the next batch waits in a single execution environment) and the process's CPU per message.
 *
 * Run with `npx tsx bench/loyalty.ts` (prints and writes `bench/results/loyalty.json`), or import
 * {@link run}.
 */
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { queues } from "../declarations/rules.ts";
import { loadFixture } from "../fixtures/index.ts";
import { parseLoyaltyConfig } from "../functions/loyalty/config.ts";
import { processLoyaltyMessage, type LoyaltyDeps } from "../functions/loyalty/core.ts";
import type { Accrual } from "../functions/loyalty/decode.ts";
import { LoyaltyLedger, type AwardOutcome } from "../functions/loyalty/ledger.ts";
import { startLocalTables, startStartRecorder } from "../test/support/loyalty-engines.ts";
import { createLogger } from "../functions/common/logger.ts";
import { dynamoContactStore, rememberingContactStore } from "../functions/customers/contact.ts";
import { startLocalBus } from "../test/support/loyalty-bus.ts";
import { latencySummary } from "./stats.ts";
import { runStandalone } from "./standalone.ts";

const PURCHASES = 2000;
const CUSTOMERS = 200;
const DUPLICATES = 200;
const WARM_UP = 100;
/** Purchases for the single-consumer run, which shows latency without queueing in the engine. */
const SOLO_PURCHASES = 300;

/** The ledger, noting when each purchase's award transaction came back. */
class TimedLedger extends LoyaltyLedger {
  readonly committedAt = new Map<string, number>();

  override async award(accrual: Accrual): Promise<AwardOutcome> {
    const outcome = await super.award(accrual);
    if (outcome.outcome === "awarded") this.committedAt.set(accrual.purchaseId, performance.now());
    return outcome;
  }
}

/** A one-time payment (payment_intent.succeeded), or the charge.succeeded of the same payment. */
function message(run: string, n: number, as: "pi" | "charge"): { purchaseId: string; body: string } {
  const event = loadFixture(as === "pi" ? "03" : "04");
  const object = event.detail.data.object;
  const purchaseId = `pi_${run}_${n}`;
  event.detail.id = `evt_${run}_${as}_${n}`;
  object.metadata = { customer_id: `C-${run}-${n % CUSTOMERS}`, product_category: n % 3 === 0 ? "premium" : "standard" };
  if (as === "pi") object.id = purchaseId;
  else object.payment_intent = purchaseId;
  return { purchaseId, body: JSON.stringify(event) };
}

function summary(samples: number[]): { p50: number; p95: number; p99: number; max: number } {
  const { p50, p95, p99, max } = latencySummary(samples);
  return { p50, p95, p99, max };
}

/**
 * Delivers `messages` to `consumers` concurrent consumers taking `batchSize` at a time, each batch
 * processed in parallel as the Powertools batch processor does; returns per-message timings.
 */
async function consume(
  messages: readonly { purchaseId: string; body: string }[],
  deps: LoyaltyDeps,
  ledger: TimedLedger,
  batchSize: number,
  consumers: number,
): Promise<{ toCommit: number[]; toDone: number[]; batches: number[] }> {
  const toCommit: number[] = [];
  const toDone: number[] = [];
  const batches: number[] = [];
  let next = 0;
  const consumer = async () => {
    while (next < messages.length) {
      const batch = messages.slice(next, next + batchSize);
      next += batch.length;
      const dequeuedAt = performance.now();
      await Promise.all(
        batch.map(async ({ purchaseId, body }) => {
          const result = await processLoyaltyMessage(body, deps);
          toDone.push(performance.now() - dequeuedAt);
          const committed = ledger.committedAt.get(purchaseId);
          if (result.kind === "awarded" && committed !== undefined) toCommit.push(committed - dequeuedAt);
        }),
      );
      batches.push(performance.now() - dequeuedAt);
    }
  };
  await Promise.all(Array.from({ length: consumers }, consumer));
  return { toCommit, toDone, batches };
}

/** Runs the benchmark; prints and returns latencies (ms) and throughput. */
export async function run(): Promise<Record<string, unknown>> {
  process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
  const { batchSize, maximumConcurrency } = queues.loyalty.consumer;
  const [tables, workflows, bus] = await Promise.all([startLocalTables(["loyalty", "profiles"], "bench"), startStartRecorder(), startLocalBus("paybus-bench")]);
  try {
    const ledger = new TimedLedger(tables.client, tables.tableNames.loyalty, { maxAttempts: 50 });
    const deps: LoyaltyDeps = {
      config: parseLoyaltyConfig(undefined),
      ledger,
      sfn: workflows.client,
      stateMachineArn: workflows.stateMachineArn,
      logger: createLogger("loyalty-bench"),
      contacts: rememberingContactStore(dynamoContactStore({ client: tables.client, tableName: tables.tableNames.profiles })),
      publish: { eventBridge: bus.client, eventBusName: bus.name, ledger },
    };
    await consume(
      Array.from({ length: WARM_UP }, (_, n) => message("warm", n, "pi")),
      deps,
      ledger,
      batchSize,
      maximumConcurrency,
    );

    const messages = Array.from({ length: PURCHASES }, (_, n) => message("run", n, "pi"));
    // Duplicates arrive shortly after their payment, as Stripe's companion events do.
    for (let d = 0; d < DUPLICATES; d++) messages.splice(d * 10 + 5, 0, message("run", d * 10, "charge"));
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const { toCommit, toDone, batches } = await consume(messages, deps, ledger, batchSize, maximumConcurrency);
    const cpu = process.cpuUsage(cpuBefore);
    const seconds = (performance.now() - started) / 1000;

    const soloCpuBefore = process.cpuUsage();
    const solo = await consume(
      Array.from({ length: SOLO_PURCHASES }, (_, n) => message("solo", n, "pi")),
      deps,
      ledger,
      batchSize,
      1,
    );
    const soloCpu = process.cpuUsage(soloCpuBefore);

    const balances = await Promise.all(Array.from({ length: CUSTOMERS }, (_, c) => ledger.getBalance(`C-run-${c}`)));
    const figures = {
      purchases: PURCHASES,
      duplicates: DUPLICATES,
      customers: CUSTOMERS,
      batchSize,
      consumers: maximumConcurrency,
      dequeueToCommittedBalanceMs: summary(toCommit),
      dequeueToRecordDoneMs: summary(toDone),
      dequeueToBatchDoneMs: summary(batches),
      cpuPerMessageMs: Number(((cpu.user + cpu.system) / 1000 / messages.length).toFixed(2)),
      oneConsumerDequeueToCommittedBalanceMs: summary(solo.toCommit),
      oneConsumerDequeueToRecordDoneMs: summary(solo.toDone),
      oneConsumerDequeueToBatchDoneMs: summary(solo.batches),
      oneConsumerCpuPerMessageMs: Number(((soloCpu.user + soloCpu.system) / 1000 / SOLO_PURCHASES).toFixed(2)),
      accrualsPerSecond: Math.round(PURCHASES / seconds),
      messagesPerSecond: Math.round(messages.length / seconds),
      creditedPurchases: balances.reduce((sum, balance) => sum + balance.purchases, 0),
      workflowsStarted: workflows.sfn.executions().length - WARM_UP - SOLO_PURCHASES,
      dynamoRequests: tables.engine.stats().requests,
    };
    console.log(
      `loyalty accrual, local DynamoDB: ${PURCHASES} purchases + ${DUPLICATES} duplicates, ${maximumConcurrency} consumers × batches of ${batchSize}`,
    );
    console.table({
      "dequeue → committed balance (ms)": figures.dequeueToCommittedBalanceMs,
      "dequeue → record done (ms)": figures.dequeueToRecordDoneMs,
      "dequeue → batch done (ms)": figures.dequeueToBatchDoneMs,
      "one consumer: dequeue → committed (ms)": figures.oneConsumerDequeueToCommittedBalanceMs,
      "one consumer: dequeue → record done (ms)": figures.oneConsumerDequeueToRecordDoneMs,
      "one consumer: dequeue → batch done (ms)": figures.oneConsumerDequeueToBatchDoneMs,
    });
    console.log(`CPU per message (whole process: consumer, engines, bus): ${figures.cpuPerMessageMs} ms, one consumer ${figures.oneConsumerCpuPerMessageMs} ms; load average ${loadavg()[0]!.toFixed(1)}`);
    console.log(`${figures.accrualsPerSecond} accruals/s (${figures.messagesPerSecond} messages/s); credited ${figures.creditedPurchases}, workflows ${figures.workflowsStarted}`);
    return figures;
  } finally {
    await Promise.all([tables.close(), workflows.close(), bus.close()]);
  }
}

await runStandalone(import.meta.url, "loyalty", run);
