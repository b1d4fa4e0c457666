/**
 * What happened on one side of a backtest ({@link SideResult}), read from its runtime once the
 * pipeline is quiet: the journal's facts (events accepted and the rules they matched, DLQ entries,
 * emails, pushes, workflows started, consumer attempts) and the loyalty tables' snapshot.
 */
import { LOYALTY_SOURCE } from "../../events/loyalty-events.ts";
import type { Phase } from "./metrics.ts";

type AnyRuntime = import("../runtime.ts").Runtime;

/** What happened on one side, keyed so that two sides can be compared. */
export interface SideResult {
  readonly events: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Per Stripe event id: its type, the rules it matched, the queues whose DLQ it ended in. */
  readonly perEvent: Record<string, { readonly type: string; readonly rules: string[]; readonly dlq: string[] }>;
  /** `<recipients> | <subject>` -> how many were sent. */
  readonly emails: Record<string, number>;
  /** `<customer> | <title>` -> how many were delivered. */
  readonly pushes: Record<string, number>;
  readonly customers: Record<string, { readonly points: number; readonly lifetimePoints?: number | undefined; readonly tier: string }>;
  /** Per purchase: ledger status and points awarded. */
  readonly purchases: Record<string, { readonly customerId?: string | undefined; readonly status: string; readonly points?: number | undefined; readonly skipReason?: string | undefined }>;
  /** `<state machine>/<execution name>` of every workflow started. */
  readonly workflows: string[];
  /** Messages that ended in a DLQ (consumer queues and rule target DLQs), by queue. */
  readonly dlq: Record<string, number>;
  /**
   * Errors a local engine let escape (e.g. a connection reset inside an emulator): the run goes on
   * (the affected request fails or times out and is retried like any other), but the sides may
   * then differ for reasons that are not the change being tested.
   */
  readonly engineErrors: { readonly count: number; readonly samples: string[] };
  /**
   * Consumer invocations that ran out of their (wall-clock) function timeout: a loaded machine can
   * cause them, and their retries can end in a DLQ, so the sides may then differ for reasons that
   * are not the change being tested.
   */
  readonly timeouts?: { readonly count: number; readonly samples: string[] } | undefined;
  /** Where this side's time went: wall and CPU seconds (all threads of its process) per phase. */
  readonly phases?: Record<Phase, { readonly seconds: number; readonly cpuSeconds: number }> | undefined;
  /**
   * Consumer records handled (each attempt of each message) and how many of them were a message's
   * second or later receive: work the pipeline did more than once.
   */
  readonly attempts?: { readonly records: number; readonly redelivered: number } | undefined;
  /** The feed's window (messages allowed outstanding) over the feed phase. */
  readonly feedWindow?: { readonly min: number; readonly max: number; readonly mean: number } | undefined;
  /** CPU seconds of the side's process by kind of thread (main, each function, engine, helpers; see `cpuByThread`), up to the end of the collect phase. */
  readonly cpuByThread?: Record<string, number> | undefined;
  /** AWS calls through the gateway, in all and per function (plan logical name; "other" for the seeding). */
  readonly awsCalls?: { readonly total: number; readonly byFunction: Record<string, number> } | undefined;
  readonly seconds: number;
}

/**
 * The side's result but for what the worker adds (timings, engine errors): per input event, per
 * customer and purchase, and the effects counted by recipient.
 */
export async function collect(
  runtime: AnyRuntime,
  events: number,
  devices: ReadonlyMap<string, string>,
  loyalty: Awaited<ReturnType<typeof import("../state.ts").loyaltySnapshot>>,
): Promise<Omit<SideResult, "seconds" | "engineErrors" | "phases">> {
  const timeouts = { count: 0, samples: [] as string[] };
  const attempts = { records: 0, redelivered: 0 };
  for (const attempt of runtime.journal.list("consumer.attempt")) {
    attempts.records++;
    if (attempt.receiveCount > 1) attempts.redelivered++;
    if (attempt.outcome !== "timed-out") continue;
    timeouts.count++;
    if (timeouts.samples.length < 5) timeouts.samples.push(`${attempt.queue}: ${attempt.error ?? "timed out"}`);
  }
  const perEvent: Record<string, { type: string; rules: string[]; dlq: string[] }> = {};
  const stripeIdOf = new Map<string, string>();
  let accepted = 0;
  for (const entry of runtime.journal.list("bus.accepted")) {
    // The programme's own events (PointsAwarded, TierChanged, …) follow from the Stripe events:
    // the comparison is per input event; their effects (emails, pushes) are counted below.
    if (entry.source === LOYALTY_SOURCE) continue;
    accepted++;
    const id = entry.stripeEventId ?? entry.eventId;
    stripeIdOf.set(entry.eventId, id);
    const record = (perEvent[id] ??= { type: entry.detailType, rules: [], dlq: [] });
    for (const rule of entry.matchedRules) if (!record.rules.includes(rule)) record.rules.push(rule);
  }
  const dlq: Record<string, number> = {};
  for (const entry of runtime.journal.list("queue.dlq")) {
    dlq[entry.queue] = (dlq[entry.queue] ?? 0) + 1;
    const id = entry.stripeEventId ?? (entry.eventId && stripeIdOf.get(entry.eventId));
    if (id && perEvent[id]) perEvent[id].dlq.push(entry.queue);
  }
  for (const entry of runtime.journal.list("target.dlq")) {
    const queue = `${entry.rule} target`;
    dlq[queue] = (dlq[queue] ?? 0) + 1;
    const id = stripeIdOf.get(entry.eventId);
    if (id && perEvent[id]) perEvent[id].dlq.push(queue);
  }
  for (const record of Object.values(perEvent)) record.rules.sort();

  const emails: Record<string, number> = {};
  for (const { to, subject } of runtime.journal.list("effect.email")) count(emails, `${to.join(", ")} | ${subject}`);
  const pushes: Record<string, number> = {};
  for (const push of runtime.journal.list("effect.push")) {
    if (push.status === "delivered") count(pushes, `${devices.get(push.targetArn) ?? push.targetArn} | ${push.title ?? ""}`);
  }

  return {
    events,
    accepted,
    rejected: runtime.journal.list("bus.rejected").length,
    perEvent,
    emails,
    pushes,
    customers: Object.fromEntries(loyalty.customers.map((c) => [c.customerId, { points: c.points, lifetimePoints: c.lifetimePoints, tier: c.tier }])),
    purchases: Object.fromEntries(
      loyalty.purchases.map((p) => [p.purchaseId, { customerId: p.customerId, status: p.status, points: p.points, skipReason: p.skipReason }]),
    ),
    workflows: runtime.journal
      .list("workflow.started")
      .map((w) => `${w.stateMachine.split(":").pop()}/${w.name}`)
      .sort(),
    dlq,
    timeouts,
    attempts,
  };
}

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}
