/**
 * `PointsCommitDelay` for the `paybus run` report: what the loyalty consumer emits as an EMF metric
 * in AWS (Stripe `created` → balance committed), read back locally from the ledger entries
 * (`occurredAt`, `committedAt`), since EMF lines go nowhere locally.
 */
import type { PurchaseRecord } from "../functions/loyalty/ledger.ts";

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

/** The delays of the awards committed in the run; `null` when none was measured. */
export function pointsCommitDelay(purchases: readonly PurchaseRecord[]): DelaySummary | null {
  const awarded = purchases.filter((p) => p.status === "awarded" && p.committedAt !== undefined && p.occurredAt !== undefined);
  if (awarded.length === 0) return null;
  const firstCommit = Math.min(...awarded.map((p) => p.committedAt!));
  const live = awarded.filter((p) => p.occurredAt! * 1000 >= firstCommit - REPLAY_MARGIN_MS);
  const delays = live.map((p) => Math.max(0, p.committedAt! - p.occurredAt! * 1000)).sort((a, b) => a - b);
  if (delays.length === 0) return { count: 0, replayed: awarded.length, p50Ms: 0, p95Ms: 0, maxMs: 0 };
  return { count: delays.length, replayed: awarded.length - live.length, p50Ms: percentile(delays, 50), p95Ms: percentile(delays, 95), maxMs: delays.at(-1)! };
}

/** The report line. Stripe's `created` has whole seconds: every figure may over-state by up to 1 s. */
export function formatPointsCommitDelay(summary: DelaySummary | null): string {
  if (!summary) return "PointsCommitDelay: no award in this run";
  const replayed = summary.replayed > 0 ? ` (${summary.replayed} replayed award(s) left out: created before the run)` : "";
  if (summary.count === 0) return `PointsCommitDelay: no live award measured${replayed}`;
  return `PointsCommitDelay (Stripe created → balance committed, ±1 s resolution): p50 ${summary.p50Ms} ms, p95 ${summary.p95Ms} ms, max ${summary.maxMs} ms over ${summary.count} award(s)${replayed}`;
}
