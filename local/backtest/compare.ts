/**
 * The differences between two sides of a backtest: `base` (what runs today) and `candidate` (the
 * change). "Missing" is what base did and the candidate would not; "extra" what the candidate
 * would do and base did not.
 */
import type { SideResult } from "./collect.ts";

export interface Totals {
  readonly events: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly ruleMatches: number;
  readonly emails: number;
  readonly pushes: number;
  readonly points: number;
  readonly workflows: number;
  readonly dlq: number;
}

export interface EventDifference {
  readonly stripeEventId: string;
  readonly type: string;
  readonly missingRules: string[];
  readonly extraRules: string[];
  readonly missingDlq: string[];
  readonly extraDlq: string[];
}

export interface CountDifference {
  readonly key: string;
  readonly base: number;
  readonly candidate: number;
}

export interface CustomerDifference {
  readonly customerId: string;
  readonly base: { readonly points: number; readonly tier: string } | null;
  readonly candidate: { readonly points: number; readonly tier: string } | null;
}

export interface PurchaseDifference {
  readonly purchaseId: string;
  readonly customerId?: string | undefined;
  readonly base: { readonly status: string; readonly points?: number | undefined } | null;
  readonly candidate: { readonly status: string; readonly points?: number | undefined } | null;
}

export interface BacktestComparison {
  readonly totals: { readonly base: Totals; readonly candidate: Totals };
  readonly events: EventDifference[];
  /** Emails (`<recipients> | <subject>`) sent a different number of times. */
  readonly emails: CountDifference[];
  /** Pushes (`<customer> | <title>`) delivered a different number of times. */
  readonly pushes: CountDifference[];
  readonly customers: CustomerDifference[];
  readonly purchases: PurchaseDifference[];
  readonly workflows: { readonly missing: string[]; readonly extra: string[] };
  readonly dlq: CountDifference[];
  /** True when both sides did exactly the same. */
  readonly identical: boolean;
  /** Errors that escaped a local engine on either side (the differences may then not all be the change's). */
  readonly engineErrors: { readonly base: number; readonly candidate: number; readonly samples: string[] };
  /** Consumer invocations that timed out on either side (load can cause them; their retries can end in a DLQ). */
  readonly timeouts: { readonly base: number; readonly candidate: number; readonly samples: string[] };
}

export function compareSides(base: SideResult, candidate: SideResult): BacktestComparison {
  const events: EventDifference[] = [];
  for (const id of union(Object.keys(base.perEvent), Object.keys(candidate.perEvent))) {
    const a = base.perEvent[id];
    const b = candidate.perEvent[id];
    const difference = {
      stripeEventId: id,
      type: a?.type ?? b?.type ?? "?",
      missingRules: minus(a?.rules ?? [], b?.rules ?? []),
      extraRules: minus(b?.rules ?? [], a?.rules ?? []),
      missingDlq: minus(a?.dlq ?? [], b?.dlq ?? []),
      extraDlq: minus(b?.dlq ?? [], a?.dlq ?? []),
    };
    if (difference.missingRules.length + difference.extraRules.length + difference.missingDlq.length + difference.extraDlq.length > 0) events.push(difference);
  }

  const customers: CustomerDifference[] = [];
  for (const id of union(Object.keys(base.customers), Object.keys(candidate.customers))) {
    const a = base.customers[id];
    const b = candidate.customers[id];
    if (a?.points !== b?.points || a?.tier !== b?.tier) {
      customers.push({ customerId: id, base: a ? { points: a.points, tier: a.tier } : null, candidate: b ? { points: b.points, tier: b.tier } : null });
    }
  }

  const purchases: PurchaseDifference[] = [];
  for (const id of union(Object.keys(base.purchases), Object.keys(candidate.purchases))) {
    const a = base.purchases[id];
    const b = candidate.purchases[id];
    if (a?.status !== b?.status || a?.points !== b?.points) {
      purchases.push({
        purchaseId: id,
        customerId: a?.customerId ?? b?.customerId,
        base: a ? { status: a.status, points: a.points } : null,
        candidate: b ? { status: b.status, points: b.points } : null,
      });
    }
  }

  const comparison = {
    totals: { base: totals(base), candidate: totals(candidate) },
    events,
    emails: countDifferences(base.emails, candidate.emails),
    pushes: countDifferences(base.pushes, candidate.pushes),
    customers,
    purchases,
    workflows: { missing: multisetMinus(base.workflows, candidate.workflows), extra: multisetMinus(candidate.workflows, base.workflows) },
    dlq: countDifferences(base.dlq, candidate.dlq),
  };
  const identical =
    events.length + comparison.emails.length + comparison.pushes.length + customers.length + purchases.length + comparison.dlq.length === 0 &&
    comparison.workflows.missing.length + comparison.workflows.extra.length === 0;
  return { ...comparison, identical, engineErrors: incidents(base, candidate, "engineErrors"), timeouts: incidents(base, candidate, "timeouts") };
}

/** How often something that is not the change's doing happened on each side, with a few samples. */
function incidents(base: SideResult, candidate: SideResult, kind: "engineErrors" | "timeouts") {
  return {
    base: base[kind]?.count ?? 0,
    candidate: candidate[kind]?.count ?? 0,
    samples: [...(base[kind]?.samples ?? []), ...(candidate[kind]?.samples ?? [])].slice(0, 5),
  };
}

function totals(side: SideResult): Totals {
  const sum = (values: Iterable<number>) => [...values].reduce((total, value) => total + value, 0);
  return {
    events: side.events,
    accepted: side.accepted,
    rejected: side.rejected,
    ruleMatches: sum(Object.values(side.perEvent).map((event) => event.rules.length)),
    emails: sum(Object.values(side.emails)),
    pushes: sum(Object.values(side.pushes)),
    points: sum(Object.values(side.customers).map((customer) => customer.points)),
    workflows: side.workflows.length,
    dlq: sum(Object.values(side.dlq)),
  };
}

function countDifferences(base: Record<string, number>, candidate: Record<string, number>): CountDifference[] {
  return union(Object.keys(base), Object.keys(candidate))
    .map((key) => ({ key, base: base[key] ?? 0, candidate: candidate[key] ?? 0 }))
    .filter((difference) => difference.base !== difference.candidate);
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

function minus(a: readonly string[], b: readonly string[]): string[] {
  return a.filter((value) => !b.includes(value));
}

/** `a` minus `b`, counting repeats. */
function multisetMinus(a: readonly string[], b: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const value of b) left.set(value, (left.get(value) ?? 0) + 1);
  return a.filter((value) => {
    const n = left.get(value) ?? 0;
    if (n === 0) return true;
    left.set(value, n - 1);
    return false;
  });
}

/** The comparison for people; each section lists at most `limit` lines. */
export function formatComparison(comparison: BacktestComparison, labels: { base: string; candidate: string }, limit = 20): string {
  const lines: string[] = [];
  const { base, candidate } = comparison.totals;
  lines.push(`base: ${labels.base}`, `candidate: ${labels.candidate}`, "");
  const warn = ({ base, candidate, samples }: BacktestComparison["timeouts"], what: string, consequence: string) => {
    if (base + candidate > 0) lines.push(`warning: ${what} ${base} time(s) on base and ${candidate} on the candidate (${samples.join("; ")});`, consequence, "");
  };
  warn(comparison.engineErrors, "a local engine failed", "some differences below may come from those failures rather than from the change");
  warn(
    comparison.timeouts,
    "consumer invocations timed out",
    "a busy machine can cause that, and the retries can end in a DLQ: DLQ differences below may come from those timeouts rather than from the change",
  );
  lines.push(`${"".padEnd(14)}${"base".padStart(10)}${"candidate".padStart(11)}${"change".padStart(9)}`);
  for (const key of Object.keys(base) as (keyof Totals)[]) {
    const change = candidate[key] - base[key];
    lines.push(`${key.padEnd(14)}${String(base[key]).padStart(10)}${String(candidate[key]).padStart(11)}${(change === 0 ? "" : change > 0 ? `+${change}` : String(change)).padStart(9)}`);
  }
  if (comparison.identical) {
    lines.push("", "no differences: the candidate does exactly what base does on these events");
    return `${lines.join("\n")}\n`;
  }
  const section = <T>(title: string, items: readonly T[], line: (item: T) => string) => {
    if (items.length === 0) return;
    lines.push("", `${title} (${items.length})`);
    for (const item of items.slice(0, limit)) lines.push(`  ${line(item)}`);
    if (items.length > limit) lines.push(`  … ${items.length - limit} more (--json lists them all)`);
  };
  const list = (prefix: string, values: readonly string[]) => (values.length ? `${prefix}${values.join(", ")}` : "");
  section("events handled differently", comparison.events, (e) =>
    [`${e.stripeEventId} ${e.type}:`, list("missing rules ", e.missingRules), list("extra rules ", e.extraRules), list("no longer in DLQ ", e.missingDlq), list("new in DLQ ", e.extraDlq)]
      .filter(Boolean)
      .join(" "),
  );
  section("purchases credited differently", comparison.purchases, (p) => `${p.purchaseId} (${p.customerId ?? "?"}): ${ledger(p.base)} → ${ledger(p.candidate)}`);
  section("customers whose points or tier differ", comparison.customers, (c) => `${c.customerId}: ${balance(c.base)} → ${balance(c.candidate)}`);
  const counted = (d: { key: string; base: number; candidate: number }) =>
    `${d.candidate > d.base ? `extra ×${d.candidate - d.base}` : `missing ×${d.base - d.candidate}`}  ${d.key}`;
  section("emails", comparison.emails, counted);
  section("pushes", comparison.pushes, counted);
  section("workflows missing", comparison.workflows.missing, (w) => w);
  section("workflows extra", comparison.workflows.extra, (w) => w);
  section("DLQ entries", comparison.dlq, counted);
  return `${lines.join("\n")}\n`;
}

function ledger(entry: PurchaseDifference["base"]): string {
  return entry ? `${entry.status}${entry.points === undefined ? "" : ` ${entry.points} points`}` : "no ledger entry (missing points)";
}

function balance(entry: CustomerDifference["base"]): string {
  return entry ? `${entry.points} points (${entry.tier})` : "no balance";
}
