/**
 * The `PointsCommitDelay` line of the `paybus run` report: percentiles of Stripe `created` → balance
 * committed over the run's live awards, replayed fixtures (created long before) left out and said so.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadFixture } from "../fixtures/index.ts";
import type { PurchaseRecord } from "../functions/loyalty/ledger.ts";
import type { Recorded } from "./journal.ts";
import { formatNotificationDelay, formatPointsCommitDelay, notificationDelay, pointsCommitDelay } from "./points-delay.ts";
import { formatReport, runEvents } from "./run.ts";

const award = (occurredAt: number, committedAt: number): PurchaseRecord => ({
  purchaseId: `pi_${occurredAt}_${committedAt}`,
  status: "awarded",
  version: 1,
  occurredAt,
  committedAt,
  refundedAmount: 0,
  refundBasis: 0,
  chargedBack: false,
  reversedPoints: 0,
});

describe("PointsCommitDelay and NotificationDelay in the run report", () => {
  it("gives nearest-rank percentiles over live awards and leaves replays out", () => {
    const t = 1_800_000_000;
    const live = Array.from({ length: 20 }, (_, i) => award(t, t * 1000 + 100 + i * 10)); // 100..290 ms
    const replayed = award(t - 86_400, t * 1000 + 50);

    const summary = pointsCommitDelay([...live, replayed, { ...award(t, t * 1000), status: "pending" }]);

    expect(summary).toEqual({ count: 20, replayed: 1, p50Ms: 190, p95Ms: 280, maxMs: 290 });
    expect(formatPointsCommitDelay(summary)).toBe(
      "PointsCommitDelay (Stripe created → balance committed, ±1 s resolution): p50 190 ms, p95 280 ms, max 290 ms over 20 award(s) (1 replayed award(s) left out: created before the run)",
    );
    expect(formatPointsCommitDelay(pointsCommitDelay([]))).toBe("PointsCommitDelay: no award in this run");
  });

  it("gives NotificationDelay from the journal: the accepted event's created to the email its tags name", () => {
    const t = 1_800_000_000;
    const entry = (seq: number, at: number, fields: Record<string, unknown>) => ({ seq, at: new Date(at).toISOString(), ...fields }) as unknown as Recorded;
    const journal = [
      entry(1, t * 1000 + 10, { kind: "bus.accepted", eventId: "e1", stripeEventId: "evt_1", detailType: "invoice.paid", source: "s", matchedRules: [], envelope: JSON.stringify({ detail: { created: t } }) }),
      entry(2, t * 1000 + 420, { kind: "effect.email", to: ["a@example.com"], subject: "Paid", cause: { stripeEventId: "evt_1" } }),
      entry(3, t * 1000 + 900, { kind: "effect.email", to: ["b@example.com"], subject: "Points", cause: { executionName: "purchase-pi_1" } }),
    ];

    expect(notificationDelay(journal)).toEqual({ count: 1, replayed: 0, p50Ms: 420, p95Ms: 420, maxMs: 420 });
    expect(formatNotificationDelay(notificationDelay(journal))).toBe(
      "NotificationDelay (Stripe created → email sent, ±1 s resolution): p50 420 ms, p95 420 ms, max 420 ms over 1 email(s)",
    );
  });

  it("appears in `paybus run`'s text report for a purchase made now", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "paybus-delay-"));
    try {
      const now = loadFixture("03");
      now.detail.created = Math.floor(Date.now() / 1000);
      const invoice = loadFixture("01");
      invoice.detail.created = Math.floor(Date.now() / 1000);
      const report = await runEvents(
        [{ file: "now.json", events: [now] }, { file: "05.json", events: [loadFixture("05")] }, { file: "invoice.json", events: [invoice] }],
        { dataDir, inMemory: true },
      );

      expect(formatReport(report)).toMatch(/PointsCommitDelay \(Stripe created → balance committed, ±1 s resolution\): p50 \d+ ms, p95 \d+ ms, max \d+ ms over 1 award\(s\) \(1 replayed award\(s\) left out/);
      expect(report.delays?.pointsCommit).toMatchObject({ count: 1, replayed: 1 });
      // The invoice's email is tagged with its Stripe event; the engagement emails with their execution.
      expect(formatReport(report)).toMatch(/NotificationDelay \(Stripe created → email sent, ±1 s resolution\): p50 \d+ ms, p95 \d+ ms, max \d+ ms over 1 email\(s\)/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
