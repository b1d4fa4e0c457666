import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { ruleList, type RuleDeclaration } from "../events/rules.ts";
import { stripeEventTypes } from "../events/stripe-event-types.ts";
import { rulesLint, rulesTest } from "./rules.ts";

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
    // 10 payment types, 3 customer types, 5 lifecycle-notice types.
    expect(out).toContain(`Uncaught: ${stripeEventTypes.length - 18} of ${stripeEventTypes.length} event types`);
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
});
