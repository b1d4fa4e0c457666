/**
 * The delay metrics for the `paybus run` report, read back locally (EMF lines go nowhere locally):
 * `PointsCommitDelay` (Stripe `created` → balance committed) from the ledger entries (`occurredAt`,
 * `committedAt`), and `NotificationDelay` (Stripe `created` → email sent) from the journal (the
 * accepted envelope, and the email's recorded time and cause).
 */
import type { PurchaseRecord } from "../functions/loyalty/layout.ts";
import type { Recorded } from "./journal.ts";

export interface DelaySummary {
  /** Awards measured. */
  readonly count: number;
  /** Awards left out: their event was created long before the run (a replayed fixture measures its age, not the pipeline). */
  readonly replayed: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

/** Events created more than this before the run's first commit are replays, not live traffic. */
const REPLAY_MARGIN_MS = 60_000;

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Percentiles of `(createdMs, doneMs)` pairs; pairs created long before the first `done` are replays, left out. */
function summarize(pairs: readonly (readonly [createdMs: number, doneMs: number])[]): DelaySummary | null {
  if (pairs.length === 0) return null;
  const first = Math.min(...pairs.map(([, done]) => done));
  const live = pairs.filter(([created]) => created >= first - REPLAY_MARGIN_MS);
  const delays = live.map(([created, done]) => Math.max(0, done - created)).sort((a, b) => a - b);
  if (delays.length === 0) return { count: 0, replayed: pairs.length, p50Ms: 0, p95Ms: 0, maxMs: 0 };
  return { count: delays.length, replayed: pairs.length - live.length, p50Ms: percentile(delays, 50), p95Ms: percentile(delays, 95), maxMs: delays.at(-1)! };
}

/** The delays of the awards committed in the run; `null` when none was measured. */
export function pointsCommitDelay(purchases: readonly PurchaseRecord[]): DelaySummary | null {
  const awarded = purchases.filter((p) => p.status === "awarded" && p.committedAt !== undefined && p.occurredAt !== undefined);
  return summarize(awarded.map((p) => [p.occurredAt! * 1000, p.committedAt!] as const));
}

/** The delays of the emails sent in the run because of a Stripe event (their tagged cause). */
export function notificationDelay(journal: readonly Recorded[]): DelaySummary | null {
  const created = new Map<string, number>();
  for (const entry of journal) {
    if (entry.kind !== "bus.accepted" || !entry.stripeEventId || !entry.envelope) continue;
    const detail = (JSON.parse(entry.envelope) as { detail?: { created?: unknown } }).detail;
    if (typeof detail?.created === "number") created.set(entry.stripeEventId, detail.created * 1000);
  }
  const pairs = journal.flatMap((entry) => {
    if (entry.kind !== "effect.email" || !entry.cause?.stripeEventId) return [];
    const at = created.get(entry.cause.stripeEventId);
    return at === undefined ? [] : [[at, Date.parse(entry.at)] as const];
  });
  return summarize(pairs);
}

/** A report line. Stripe's `created` has whole seconds: every figure may over-state by up to 1 s. */
function formatDelay(metric: string, what: string, unit: string, summary: DelaySummary | null): string {
  if (!summary) return `${metric}: no ${unit} in this run`;
  const replayed = summary.replayed > 0 ? ` (${summary.replayed} replayed ${unit}(s) left out: created before the run)` : "";
  if (summary.count === 0) return `${metric}: no live ${unit} measured${replayed}`;
  return `${metric} (${what}, ±1 s resolution): p50 ${summary.p50Ms} ms, p95 ${summary.p95Ms} ms, max ${summary.maxMs} ms over ${summary.count} ${unit}(s)${replayed}`;
}

export const formatPointsCommitDelay = (summary: DelaySummary | null) =>
  formatDelay("PointsCommitDelay", "Stripe created → balance committed", "award", summary);
export const formatNotificationDelay = (summary: DelaySummary | null) =>
  formatDelay("NotificationDelay", "Stripe created → email sent", "email", summary);
