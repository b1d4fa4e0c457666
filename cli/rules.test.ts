import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { queues, ruleList, rules as literalRules, type RuleDeclaration } from "../declarations/rules.ts";
import { acceptedEventTypes, type ConsumerAgreement } from "../declarations/consumers.ts";
import { stripeEventTypes } from "../events/stripe-event-types.ts";
import { lintRules, rulesLint, rulesTest } from "./rules.ts";

const dir = mkdtempSync(join(tmpdir(), "paybus-rules-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Runs a command with stdout and stderr captured. */
async function capture(command: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => err.push(String(chunk)) > 0);
  const code = await command();
  return { code, out: out.join(""), err: err.join("") };
}

const paid = file("paid.json", JSON.stringify({ "detail-type": "invoice.paid", detail: { amount_paid: 1500 } }));
const refunded = file("refunded.json", JSON.stringify({ "detail-type": "charge.refunded" }));

describe("paybus rules test", () => {
  it("prints match or no-match per event file and exits 0", async () => {
    const pattern = file("pattern.json", '{"detail-type": ["invoice.paid"]}');

    const { code, out } = await capture(() => rulesTest(["--pattern", pattern, paid, refunded]));

    expect(code).toBe(0);
    expect(out).toBe(`match      ${paid}\nno-match   ${refunded}\n`);
  });

  it("accepts an inline pattern and flags unreadable or invalid event files", async () => {
    const broken = file("broken.json", '{"detail-type": ');
    const missing = join(dir, "missing.json");

    const { code, out } = await capture(() =>
      rulesTest(["--pattern", '{"detail": {"amount_paid": [{"numeric": [">", 1000]}]}}', paid, broken, missing]),
    );

    expect(code).toBe(1);
    expect(out).toContain(`match      ${paid}`);
    expect(out).toContain(`invalid    ${broken}: Event is not valid JSON`);
    expect(out).toContain(`unreadable ${missing}`);
  });

  it("reports an invalid pattern with AWS's wording and exits 1", async () => {
    const { code, out } = await capture(() => rulesTest(["--pattern", '{"source": []}', paid]));

    expect(code).toBe(1);
    expect(out).toBe("invalid pattern: Event pattern is not valid. Reason: Empty arrays are not allowed\n");
  });

  it("exits 2 without a pattern or event files", async () => {
    const { code, err } = await capture(() => rulesTest([paid]));

    expect(code).toBe(2);
    expect(err).toContain("usage: paybus rules test --pattern");
  });
});

describe("paybus rules lint", () => {
  it("lists what each declared rule catches, overlaps and uncaught event types", async () => {
    const { code, out } = await capture(() => rulesLint());

    expect(code).toBe(0);
    expect(out).toContain("RecurringPaymentNotifications: 2 event types\n    invoice.paid\n    invoice.payment_failed\n");
    expect(out).toContain(
      "LoyaltyReversal: 4 event types\n    charge.dispute.closed\n    charge.dispute.created\n    charge.dispute.funds_reinstated\n    charge.refunded\n",
    );
    expect(out).toContain("Overlaps: none");
    expect(out).toContain("CustomerProfileSync: 3 event types\n    customer.created\n    customer.deleted\n    customer.updated\n");
    // 10 payment types, 3 customer types, 5 lifecycle-notice types (and any rule added since).
    const routed = new Set(ruleList.flatMap((rule) => rule.pattern["detail-type"] as string[]).filter((type) => (stripeEventTypes as readonly string[]).includes(type)));
    expect(routed.size).toBeGreaterThanOrEqual(18);
    expect(out).toContain(`Uncaught: ${stripeEventTypes.length - routed.size} of ${stripeEventTypes.length} event types`);
    expect(out).toMatch(/^ {2}invoice: created, deleted, .*payment_succeeded/m);
  });

  it("flags invalid patterns, overlaps and source-restricted rules, and exits 1", async () => {
    const base = ruleList[0] as RuleDeclaration;
    const rules: RuleDeclaration[] = [
      ...ruleList,
      { ...base, name: "Broken", pattern: { source: [] } },
      { ...base, name: "WebhookPaid", pattern: { source: ["paybus.stripe"], "detail-type": ["invoice.paid"] } },
    ];

    const { code, out, err } = await capture(() => rulesLint(rules));

    expect(code).toBe(1);
    expect(out).toContain("Broken: INVALID PATTERN: Empty arrays are not allowed");
    expect(out).toContain("WebhookPaid: 1 event type\n    invoice.paid (only from paybus.stripe)\n");
    expect(out).toContain("Overlap: RecurringPaymentNotifications and WebhookPaid both catch invoice.paid");
    expect(err).toContain("1 invalid pattern(s)");
  });

  it("fails when a rule routes a detail-type its queue's consumer does not accept, naming rule, queue, consumer and types", async () => {
    // The loyalty accrual rule with one more type, as a contributor would add it without consumer support.
    const accrual = ruleList.find((rule) => rule.name === "LoyaltyAccrual")!;
    const widened: RuleDeclaration = {
      ...accrual,
      pattern: { ...accrual.pattern, "detail-type": [...(accrual.pattern["detail-type"] as string[]), "charge.captured", "charge.updated"] },
    };
    const rules = ruleList.map((rule) => (rule === accrual ? widened : rule));

    const { code, err, out } = await capture(() => rulesLint(rules));

    expect(code).toBe(1);
    const message =
      'rule LoyaltyAccrual routes charge.captured, charge.updated to queue "loyalty", but its consumer ' +
      "functions/loyalty/handler.handler does not accept them";
    expect(err).toContain(message);
    expect(out).toContain(`Consumer mismatch: ${message}`);
    expect(out).not.toContain("every routed event type is accepted");
  });

  it("reports no consumer mismatch for the shipped declarations, and one for a queue without a consumer contract", () => {
    expect(lintRules(ruleList).unaccepted).toEqual([]);

    const base = ruleList[0] as RuleDeclaration;
    const orphan: RuleDeclaration = { ...base, name: "Orphan", target: { queue: "refunds" as never } };
    const report = lintRules([orphan], undefined, { queues, accepted: acceptedEventTypes });

    expect(report.unaccepted).toEqual([
      { rule: "Orphan", queue: "refunds", consumer: "(no consumer declared)", missing: ["invoice.paid", "invoice.payment_failed"] },
    ]);
  });

  it("rejects the same mismatch at type-check time (npm run typecheck)", () => {
    // Two queues are enough to show it; declarations/consumers.ts checks every queue the same way.
    type Checked = Pick<typeof acceptedEventTypes, "loyalty" | "notifications">;
    // The shipped literal rules agree with the consumers: every queue is `true`.
    const agreed: ConsumerAgreement<typeof literalRules, Checked> = { loyalty: true, notifications: true };
    // A modified declaration routing charge.captured to the loyalty queue does not type-check.
    type Widened = readonly [
      ...typeof literalRules,
      { readonly name: "Captured"; readonly target: { readonly queue: "loyalty" }; readonly pattern: { readonly "detail-type": readonly ["charge.captured"] } },
    ];
    const rejected: ConsumerAgreement<Widened, Checked> = {
      // @ts-expect-error loyalty's consumer does not accept charge.captured (rule Captured)
      loyalty: true,
      notifications: true,
    };
    expect(agreed).toEqual({ loyalty: true, notifications: true });
    expect(rejected.loyalty).toBe(true);
  });
});
