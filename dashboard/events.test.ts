import { describe, expect, it } from "vitest";
import { ruleList } from "../declarations/rules.ts";
import { loadFixture } from "../fixtures/index.ts";
import { Journal, type JournalEntry } from "../local/journal.ts";
import { Lifecycles } from "../local/lifecycle.ts";
import { eventBody, EventRows, moneyText, summarizeEnvelope, summarizeText, timeline } from "./events.ts";

/** Records entries in a real journal, folds them into the lifecycle projection, and reads its rows, as the server does. */
function fold(entries: JournalEntry[]): { index: EventRows; lifecycles: Lifecycles; journal: Journal } {
  const journal = new Journal();
  const lifecycles = new Lifecycles(ruleList);
  const index = new EventRows(lifecycles);
  for (const entry of entries) lifecycles.apply(journal.record(entry));
  return { index, lifecycles, journal };
}

const accepted = (eventId: string, matchedRules: string[], stripeEventId = "evt_1", envelope?: unknown): JournalEntry => ({
  kind: "bus.accepted",
  eventId,
  stripeEventId,
  detailType: "payment_intent.succeeded",
  source: "aws.partner/stripe.com/ed_test_1",
  matchedRules,
  ...(envelope === undefined ? {} : { envelope: JSON.stringify(envelope) }),
});

describe("summarizeEnvelope", () => {
  it.each([
    ["01", { type: "invoice.paid", stripeEventId: "evt_1RK2A95kb18UZlUmKogTQMTK", customer: "cus_AbIItO38LiTlry", amountText: "$15.00" }],
    ["02", { type: "invoice.payment_failed", customer: "cus_rr45S67CzesPOY", amountText: "$15.00" }],
    ["03", { type: "payment_intent.succeeded", customer: "cus_Qul9Qa3lJkatBi", appCustomer: "C-100877", amountText: "$20.00" }],
    ["05", { type: "checkout.session.completed", appCustomer: "C-101034", amountText: "$30.00" }],
    ["06", { type: "charge.refunded", amountText: "$20.00" }],
    ["08", { type: "customer.subscription.created", appCustomer: "C-101220", amountText: "$15.00" }],
    ["11", { type: "payment_intent.succeeded", amount: { amount: 4800, currency: "jpy" }, amountText: "¥4,800" }],
    ["12", { type: "charge.succeeded", amount: { amount: 12350, currency: "kwd" }, amountText: "KWD\u00a012.350" }],
    ["14", { type: "checkout.session.completed", amountText: "BHD\u00a025.000" }],
  ])("reads fixture %s: type, ids, customer and the amount in its currency", (fixture, expected) => {
    const summary = summarizeEnvelope(loadFixture(fixture));

    expect(summary).toMatchObject(expected);
  });

  it("reads a loyalty event's customers and, for points awarded, the purchase's amount", () => {
    const detail = { id: "PointsAwarded:pi_1", customerId: "C-1", purchaseId: "pi_1", stripeCustomerId: "cus_1", points: 40, basePoints: 20, amount: 2000, currency: "usd", promotion: null };
    const tier = { id: "TierChanged:C-1:silver", customerId: "C-1", previousTier: "member", newTier: "silver" };

    expect(summarizeEnvelope({ source: "paybus.loyalty", "detail-type": "PointsAwarded", detail })).toEqual({ type: "PointsAwarded", stripeEventId: "PointsAwarded:pi_1", objectId: "pi_1", customer: "cus_1", appCustomer: "C-1", amount: { amount: 2000, currency: "usd" }, amountText: "$20.00" });
    expect(summarizeEnvelope({ source: "paybus.loyalty", "detail-type": "TierChanged", detail: tier })).toEqual({ type: "TierChanged", stripeEventId: "TierChanged:C-1:silver", objectId: undefined, customer: undefined, appCustomer: "C-1" });
  });

  it("reads the amount due of a failed invoice, not the (zero) amount paid", () => {
    const envelope = loadFixture("02");
    expect(envelope.detail.data.object.amount_paid).toBe(0);

    expect(summarizeEnvelope(envelope).amount).toEqual({ amount: 1500, currency: "usd" });
  });

  it("gives a thin event its related object and no amount", () => {
    const summary = summarizeEnvelope(loadFixture("16"));

    expect(summary.type).toBe("v2.core.event_destination.ping");
    expect(summary.objectId).toMatch(/^ed_/);
    expect(summary.amount).toBeUndefined();
  });

  it("never guesses an amount that is not an integer of minor units", () => {
    const envelope = loadFixture("03");
    envelope.detail.data.object.amount = "20.00";
    envelope.detail.data.object.amount_received = 20.5;

    expect(summarizeEnvelope(envelope).amountText).toBeUndefined();
  });

  it("summarises anything, even what is not an event", () => {
    expect(summarizeEnvelope(null)).toEqual({ type: "(no detail-type)" });
    expect(summarizeText("{not json", "(unreadable)")).toEqual({ type: "(unreadable)" });
  });
});

describe("moneyText", () => {
  it("formats with Intl, and falls back to the exact decimal for a code Intl refuses", () => {
    expect(moneyText(2099, "usd")).toBe("$20.99");
    expect(moneyText(1234, "zz")).toBe("12.34 ZZ");
  });
});

describe("EventRows (on the lifecycle projection)", () => {
  it("follows an event from the bus through failures, the DLQ, a redrive and success", () => {
    const messageId = "m-1";
    const steps: Array<[JournalEntry, string, string]> = [
      [accepted("e-1", ["LoyaltyAccrual"]), "in-flight", "pending"],
      [{ kind: "target.delivered", eventId: "e-1", rule: "LoyaltyAccrual", target: "arn:aws:sqs:us-east-1:000000000000:paybus-loyalty", attempt: 1 }, "in-flight", "queued"],
      [{ kind: "consumer.attempt", queue: "loyalty", messageId, eventId: "e-1", receiveCount: 1, outcome: "failed", error: "ThrottlingException: slow down" }, "retrying", "retrying"],
      [{ kind: "queue.dlq", queue: "loyalty", messageId, eventId: "e-1", error: "ThrottlingException: slow down" }, "dlq", "dlq"],
      // A redrive names only the message; the index knows which event it carried.
      [{ kind: "queue.redrive", queue: "loyalty", messageId }, "in-flight", "redriven"],
      [{ kind: "consumer.attempt", queue: "loyalty", messageId: "m-2", eventId: "e-1", receiveCount: 1, outcome: "succeeded" }, "done", "consumed"],
    ];
    const journal = new Journal();
    const lifecycles = new Lifecycles(ruleList);
    const index = new EventRows(lifecycles);

    const seen = steps.map(([entry]) => {
      lifecycles.apply(journal.record(entry));
      const row = index.row("e-1")!;
      return [row.status, row.destinations[0]!.state];
    });

    expect(seen).toEqual(steps.map(([, status, state]) => [status, state]));
    const row = index.row("e-1")!;
    expect(row.destinations).toEqual([{ kind: "queue", target: "loyalty", rules: ["LoyaltyAccrual"], state: "consumed", attempts: 2 }]);
    expect(row.error).toBeUndefined();
  });

  it("marks an event discarded from a DLQ, not as still in it", () => {
    const { index } = fold([
      accepted("e-1", ["LoyaltyAccrual"]),
      { kind: "consumer.attempt", queue: "loyalty", messageId: "m", eventId: "e-1", receiveCount: 5, outcome: "failed", error: "PoisonRecordError: no" },
      { kind: "queue.dlq", queue: "loyalty", messageId: "m", eventId: "e-1", error: "PoisonRecordError: no" },
      { kind: "queue.discard", queue: "loyalty", messageId: "m" },
    ]);

    expect(index.row("e-1")).toMatchObject({ status: "discarded", destinations: [expect.objectContaining({ state: "discarded" })] });
  });

  it("keeps the last error while an event is not done", () => {
    const { index } = fold([
      accepted("e-1", ["LoyaltyAccrual"]),
      { kind: "consumer.attempt", queue: "loyalty", messageId: "m", eventId: "e-1", receiveCount: 1, outcome: "timed-out", error: "Task timed out after 20.00 seconds" },
    ]);

    expect(index.row("e-1")).toMatchObject({ status: "retrying", error: "Task timed out after 20.00 seconds" });
  });

  it("marks an event no rule matched, and one the bus refused with its reason and contents", () => {
    const detail = JSON.stringify(loadFixture("03").detail);
    const { index } = fold([
      accepted("e-1", []),
      { kind: "bus.rejected", index: 0, errorCode: "NotAuthorizedForSourceException", errorMessage: "Not authorized for the source.", source: "aws.evil", detailType: "payment_intent.succeeded", detail },
    ]);

    const [unmatched, rejected] = index.rows();
    expect(unmatched).toMatchObject({ id: "e-1", status: "unmatched", destinations: [] });
    expect(rejected).toMatchObject({
      id: "rejected-2",
      status: "rejected",
      error: "NotAuthorizedForSourceException: Not authorized for the source.",
      stripeEventId: "evt_37fjqh5kb18UZlUmtsR6YiyU",
      amountText: "$20.00",
    });
  });

  it("summarises a row from the envelope the journal recorded, and keeps the bus's facts without one", () => {
    const envelope = loadFixture("03");
    const { index, lifecycles } = fold([accepted("e-1", ["LoyaltyAccrual"], "evt_37fjqh5kb18UZlUmtsR6YiyU", envelope), accepted("e-2", [])]);

    expect(index.row("e-1")).toMatchObject({ appCustomer: "C-100877", amountText: "$20.00" });
    expect(eventBody(lifecycles, "e-1")).toEqual(envelope);
    expect(index.row("e-2")).toMatchObject({ type: "payment_intent.succeeded", stripeEventId: "evt_1" });
    expect(eventBody(lifecycles, "e-2")).toBeUndefined();
    expect(index.row("unknown")).toBeUndefined();
  });

  it("ignores entries about events it never saw accepted", () => {
    const { index } = fold([{ kind: "target.delivered", eventId: "ghost", rule: "LoyaltyAccrual", target: "t", attempt: 1 }]);

    expect(index.rows()).toEqual([]);
  });
});

describe("timeline", () => {
  it("tells each step in words, with its tone", () => {
    const { index } = fold([
      accepted("e-1", ["LoyaltyAccrual"]),
      { kind: "target.delivered", eventId: "e-1", rule: "LoyaltyAccrual", target: "arn:aws:sqs:us-east-1:000000000000:paybus-loyalty", attempt: 1 },
      { kind: "consumer.attempt", queue: "loyalty", messageId: "m", eventId: "e-1", receiveCount: 1, outcome: "failed", error: "boom" },
      { kind: "queue.dlq", queue: "loyalty", messageId: "m", eventId: "e-1", error: "boom" },
    ]);

    const items = timeline(index.entries("e-1"));

    expect(items.map(({ title, detail, tone }) => ({ title, detail, tone }))).toEqual([
      { title: "Accepted by the bus", detail: "matched LoyaltyAccrual", tone: "info" },
      { title: "Delivered to paybus-loyalty", detail: "rule LoyaltyAccrual, attempt 1", tone: "info" },
      { title: "loyalty consumer: failed (receive 1)", detail: "boom", tone: "warn" },
      { title: "Moved to the loyalty DLQ", detail: "boom", tone: "bad" },
    ]);
  });
});
