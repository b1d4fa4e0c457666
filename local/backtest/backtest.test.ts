/**
 * `paybus backtest` end to end: two real runtimes (child processes, real SDK clients, the
 * unmodified consumers) replay the same synthetic events under two rule sets, and the report must
 * name exactly the events, purchases and customers the rule change affects, in the right direction.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ruleList } from "../../declarations/rules.ts";
import { fixtureNames, loadFixture } from "../../fixtures/index.ts";
import { formatComparison } from "./compare.ts";
import { backtest, type BacktestReport } from "./index.ts";
import { syntheticEvents } from "./input.ts";

const SOURCE = "synthetic:80:7";
let work: string;
let report: BacktestReport;

/** The shipped rules, with LoyaltyAccrual narrowed to purchases of the given categories. */
function rulesFile(name: string, categories: string[]): string {
  const rules = ruleList.map((rule) =>
    rule.name === "LoyaltyAccrual"
      ? { ...rule, pattern: { ...rule.pattern, detail: { data: { object: { metadata: { product_category: categories } } } } } }
      : rule,
  );
  const file = join(work, name);
  writeFileSync(file, JSON.stringify(rules));
  return file;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "paybus-backtest-test-"));
  // Base credits premium and standard purchases; the candidate premium and basic ones instead.
  report = await backtest({
    events: SOURCE,
    base: { label: "premium+standard", rulesFile: rulesFile("base.json", ["premium", "standard"]) },
    candidate: { label: "premium+basic", rulesFile: rulesFile("candidate.json", ["premium", "basic"]) },
    timeoutMs: 240_000,
  });
}, 300_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const purchases = syntheticEvents(80, 7).filter((event) => event["detail-type"] === "payment_intent.succeeded");
const byCategory = (category: string) => purchases.filter((event) => event.detail.data.object.metadata.product_category === category);

describe("paybus backtest of a narrowed rule", () => {
  it("lists the events whose rules changed, each in the right direction, and no other", () => {
    // Arrange
    const standard = byCategory("standard").map((event) => event.detail.id).sort();
    const basic = byCategory("basic").map((event) => event.detail.id).sort();

    // Act
    const { events } = report.comparison;

    // Assert
    expect(standard.length).toBeGreaterThan(0);
    expect(basic.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.missingRules.includes("LoyaltyAccrual")).map((e) => e.stripeEventId).sort()).toEqual(standard);
    expect(events.filter((e) => e.extraRules.includes("LoyaltyAccrual")).map((e) => e.stripeEventId).sort()).toEqual(basic);
    expect(events).toHaveLength(standard.length + basic.length);
    expect(report.comparison.totals.base.events).toBe(80);
    expect(report.comparison.totals.base.ruleMatches - report.comparison.totals.candidate.ruleMatches).toBe(standard.length - basic.length);
  });

  it("lists the points the candidate would not award (standard) and would award (basic)", () => {
    // Arrange
    const ids = (category: string) => new Set(byCategory(category).map((event) => event.detail.data.object.id as string));
    const standard = ids("standard");
    const basic = ids("basic");
    const { base, candidate } = report.sides;

    // Act
    const missing = report.comparison.purchases.filter((p) => p.base?.status === "awarded" && p.candidate?.status !== "awarded");
    const extra = report.comparison.purchases.filter((p) => p.candidate?.status === "awarded" && p.base?.status !== "awarded");

    // Assert: exactly the awards of the affected categories, with their points.
    const awarded = (side: typeof base, in_: Set<string>) => Object.entries(side.purchases).filter(([id, p]) => in_.has(id) && p.status === "awarded").map(([id]) => id).sort();
    expect(missing.map((p) => p.purchaseId).sort()).toEqual(awarded(base, standard));
    expect(extra.map((p) => p.purchaseId).sort()).toEqual(awarded(candidate, basic));
    expect(missing.length + extra.length).toBeGreaterThan(0);
    for (const p of missing) expect(p.base?.points).toBeGreaterThan(0);
    for (const p of report.comparison.purchases) expect(standard.has(p.purchaseId) || basic.has(p.purchaseId)).toBe(true);
  });

  it("reports customers' balances as each side computed them, and the text report says what is missing", () => {
    // Act
    const text = formatComparison(report.comparison, report.labels, 1000);

    // Assert
    for (const customer of report.comparison.customers) {
      expect(customer.base?.points ?? 0).toBe(report.sides.base.customers[customer.customerId]?.points ?? 0);
      expect(customer.candidate?.points ?? 0).toBe(report.sides.candidate.customers[customer.customerId]?.points ?? 0);
    }
    expect(report.comparison.customers.length).toBeGreaterThan(0);
    const firstMissing = report.comparison.events.find((e) => e.missingRules.length > 0)!;
    expect(text).toContain(`${firstMissing.stripeEventId} payment_intent.succeeded: missing rules LoyaltyAccrual`);
    expect(text).toMatch(/purchases credited differently \(\d+\)/);
    expect(report.comparison.identical).toBe(false);
  });

  it("says where each side's time and CPU went: its phases from the process's start, its threads, and the run's own phases", () => {
    // Act
    const { base, candidate } = report.sides;

    // Assert
    for (const side of [base, candidate]) {
      expect(Object.keys(side.phases ?? {})).toEqual(["boot", "start", "seed", "feed", "drain", "collect"]);
      expect(side.phases!.boot.seconds).toBeGreaterThan(0);
      expect(side.phases!.boot.cpuSeconds).toBeGreaterThan(0);
      // Linux (/proc): the main thread and the consumers that ran, by logical name.
      expect(side.cpuByThread?.["main thread"]).toBeGreaterThan(0);
      expect(side.cpuByThread?.["function LoyaltyConsumer"]).toBeGreaterThan(0);
    }
    expect(report.phases.sides).toBeGreaterThan(0);
    expect(report.phases.prepare + report.phases.sides + report.phases.compare).toBeLessThanOrEqual(report.seconds + 0.2);
  });
});

describe("paybus backtest of one version against itself", () => {
  let same: BacktestReport;

  beforeAll(async () => {
    // The shipped fixtures: one customer's events go to different consumers (the customer's update
    // to the customers consumer, the trial's end after it to notifications), so in which order they
    // are handled decides the notice's address and language. Before each customer's events were
    // sent one after another (order.ts), this run reported differences every time.
    // Read from a bus archive as `paybus dev` writes it, with one of the programme's own events in
    // it, which a backtest leaves out (each side publishes its own).
    const own = { version: "0", id: "own-1", "detail-type": "PointsAwarded", source: "paybus.loyalty", account: "000000000000", time: "2026-08-03T23:39:24Z", region: "us-east-1", resources: [], detail: { id: "PointsAwarded:pi_own1", customerId: "C-100877", purchaseId: "pi_own1", points: 5000 } };
    const archive = join(work, "archive.jsonl");
    const lines = [...fixtureNames.map((name) => loadFixture(name)), own].map((event) => JSON.stringify({ archivedAt: "2026-08-04T00:00:00Z", event: JSON.stringify(event) }));
    writeFileSync(archive, `${lines.join("\n")}\n`);
    same = await backtest({ events: archive, base: { label: "one" }, candidate: { label: "same" }, timeoutMs: 240_000 });
  }, 300_000);

  it("leaves the programme's own events out of the input", () => {
    expect(same.events).toBe(fixtureNames.length);
    expect(same.ownEventsLeftOut).toBe(1);
  });

  it("reports no difference on the shipped fixtures", () => {
    expect(formatComparison(same.comparison, same.labels)).not.toMatch(/missing|extra/);
    expect(same.comparison.identical).toBe(true);
    expect(same.comparison.totals.base).toEqual(same.comparison.totals.candidate);
    expect(same.comparison.totals.base.emails).toBeGreaterThan(0);
  });
});

