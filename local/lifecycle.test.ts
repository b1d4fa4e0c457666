/**
 * The lifecycle projection: the one fold of the journal that the run report, `paybus status` and
 * the dashboard read. Envelopes come from a real bus through the real EventBridge client.
 */
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ruleList } from "../declarations/rules.ts";
import { startTestBus, TEST_BUS_NAME, type TestBus } from "../test/support/eventbridge.ts";
import { Journal, type JournalEntry } from "./journal.ts";
import { Lifecycles, lifecyclesOf } from "./lifecycle.ts";

const accepted = (eventId: string, matchedRules: string[]): JournalEntry => ({
  kind: "bus.accepted",
  eventId,
  stripeEventId: `evt_${eventId}`,
  detailType: "invoice.paid",
  source: "aws.partner/stripe.com/ed_test_1",
  matchedRules,
});

function fold(entries: JournalEntry[]): Lifecycles {
  const journal = new Journal();
  const lifecycles = new Lifecycles(ruleList);
  for (const entry of entries) lifecycles.apply(journal.record(entry));
  return lifecycles;
}

describe("the lifecycle projection", () => {
  it("tells each rule's delivery: attempts, and whether it was delivered, gave up to the rule's DLQ, or is pending", () => {
    const lifecycles = fold([
      accepted("e-1", ["InvoiceNotifications", "LoyaltyAccrual", "SubscriptionEngagement"]),
      { kind: "target.failed", eventId: "e-1", rule: "InvoiceNotifications", target: "t", attempt: 1, error: "throttled" },
      { kind: "target.delivered", eventId: "e-1", rule: "InvoiceNotifications", target: "t", attempt: 2 },
      { kind: "target.dlq", eventId: "e-1", rule: "LoyaltyAccrual", target: "t", error: "gone" },
    ]);

    expect(lifecycles.ruleDeliveries("e-1")).toEqual([
      { rule: "InvoiceNotifications", attempts: 2, outcome: "delivered" },
      { rule: "LoyaltyAccrual", attempts: 0, outcome: "target-dlq" },
      { rule: "SubscriptionEngagement", attempts: 0, outcome: "pending" },
    ]);
    expect(lifecycles.status("e-1")).toBe("dlq");
    expect(lifecycles.lastError("e-1")).toBe("gone");
  });

  it("counts events by where they stand, for paybus status", () => {
    const lifecycles = fold([
      accepted("done", ["LoyaltyAccrual"]),
      { kind: "target.delivered", eventId: "done", rule: "LoyaltyAccrual", target: "t", attempt: 1 },
      { kind: "consumer.attempt", queue: "loyalty", messageId: "m1", eventId: "done", receiveCount: 1, outcome: "succeeded" },
      accepted("flying", ["LoyaltyAccrual"]),
      accepted("nowhere", []),
      { kind: "bus.rejected", index: 0, errorCode: "ValidationException", errorMessage: "no" },
    ]);

    expect(lifecycles.counts()).toEqual({ done: 1, "in-flight": 1, unmatched: 1, rejected: 1 });
  });

  it("ties a redrive, known only by its message id, back to its event", () => {
    const lifecycles = fold([
      accepted("e-1", ["LoyaltyAccrual"]),
      { kind: "queue.dlq", queue: "loyalty", messageId: "m", eventId: "e-1", error: "boom" },
    ]);
    const journal = new Journal();
    const redrive = journal.record({ kind: "queue.redrive", queue: "loyalty", messageId: "m" });

    lifecycles.apply(redrive);

    expect(lifecycles.eventOf(redrive)).toBe("e-1");
    expect(lifecycles.destinations("e-1")).toEqual([{ kind: "queue", target: "loyalty", rules: ["LoyaltyAccrual"], state: "redriven", attempts: 0 }]);
  });

  it("keeps each email the runtime recorded, and finds those a Stripe event caused", () => {
    const lifecycles = fold([
      { kind: "effect.email", to: ["a@example.com"], subject: "Paid", messageId: "ses-1", cause: { stripeEventId: "evt_1" } },
      { kind: "effect.email", to: ["b@example.com"], subject: "Welcome", messageId: "ses-2", cause: { executionName: "purchase-pi_1" } },
    ]);

    expect(lifecycles.emails().map((email) => email.messageId)).toEqual(["ses-1", "ses-2"]);
    expect(lifecycles.emailsCausedBy("evt_1").map((email) => email.subject)).toEqual(["Paid"]);
    expect(lifecycles.emailsCausedBy("evt_2")).toEqual([]);
  });

  it("is one projection per journal, folding what was recorded before and after it was first asked for", () => {
    const journal = new Journal();
    journal.record(accepted("before", []));
    const runtime = { journal, options: {} };

    const first = lifecyclesOf(runtime);
    journal.record(accepted("after", []));

    expect(lifecyclesOf(runtime)).toBe(first);
    expect(first.ids()).toEqual(["before", "after"]);
  });
});

describe("envelopes recorded by the bus", () => {
  let bus: TestBus;
  beforeAll(async () => {
    bus = await startTestBus();
  });
  afterAll(() => bus?.close());

  it("keeps the envelope each accepted event was routed with, and a replay's under its own id and name", async () => {
    const lifecycles = lifecyclesOf({ journal: bus.journal, options: { rules: [] } });
    const detail = JSON.stringify({ id: "evt_recorded", object: "event", type: "invoice.paid" });

    const answer = await bus.client.send(new PutEventsCommand({ Entries: [{ EventBusName: TEST_BUS_NAME, Source: "paybus.test", DetailType: "invoice.paid", Detail: detail }] }));
    const id = answer.Entries![0]!.EventId!;
    bus.bus.replay({ stripeEventIds: ["evt_recorded"] }, "replay-1");
    const replayedId = lifecycles.ids().find((other) => other !== id)!;

    const envelope = JSON.parse(lifecycles.envelope(id)!) as Record<string, unknown>;
    expect(envelope).toMatchObject({ id, source: "paybus.test", "detail-type": "invoice.paid", detail: JSON.parse(detail) });
    expect(lifecycles.envelope(id)).toBe(bus.delivered[0]);
    expect(lifecycles.envelope(id)).toBe(bus.archive.read()[0]!.event);
    expect(JSON.parse(lifecycles.envelope(replayedId)!)).toMatchObject({ id: replayedId, "replay-name": "replay-1", detail: JSON.parse(detail) });
  });
});
