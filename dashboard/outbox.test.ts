import { describe, expect, it } from "vitest";
import { renderEngagementEmail } from "../functions/engagement-email/templates.ts";
import type { SentEmail } from "../local/ses.ts";
import type { PushRecord } from "../local/sns.ts";
import { outboxEmails, outboxPushes, pushText, type OutboxSources } from "./outbox.ts";

const profile = { name: "Alex Martin", locale: "fr-FR" };

/** An execution input as the loyalty consumer starts it. */
const input = (purchaseId: string, amount: number, pointsEarned: number, newTier: string | null = null) => ({
  purchaseId,
  stripeCustomerId: "cus_Qul9Qa3lJkatBi",
  pointsEarned,
  amount,
  currency: "usd",
  newTier,
});

/** The email SES stored for an engagement template, rendered by the real template code. */
function engagementEmail(messageId: string, template: "confirmation" | "tier-upgrade", facts: ReturnType<typeof input>): SentEmail {
  const rendered = renderEngagementEmail({ template, pointsEarned: facts.pointsEarned, amount: facts.amount, currency: facts.currency, newTier: facts.newTier as "silver" | null }, profile);
  return { messageId, from: "hello@example.com", destination: { to: ["alex.martin@example.com"], cc: [], bcc: [] }, subject: rendered.subject, body: { html: rendered.html, text: rendered.text }, at: 1_785_800_000 };
}

/** The journal's record of a send tagged with the execution that made it. */
const sentBy = (messageId: string, executionName: string, at = "2026-08-03T23:33:20.000Z") => ({ messageId, cause: { executionName }, at });

function sources(overrides: Partial<OutboxSources>): OutboxSources {
  return {
    emails: [],
    sends: [],
    pushes: [],
    notices: [],
    executions: [],
    purchaseEvents: new Map(),
    eventTypes: new Map(),
    ...overrides,
  };
}

describe("outboxEmails", () => {
  it("ties a notification email to its Stripe event through the cause its send recorded, and redacts the recipient", () => {
    const email: SentEmail = { messageId: "ses-1", from: "billing@example.com", destination: { to: ["jenny.rosen@example.com"], cc: [], bcc: [] }, subject: "Payment received", body: { text: "Thanks" }, at: 1_785_800_000 };

    const [view] = outboxEmails(
      sources({ emails: [email], sends: [{ messageId: "ses-1", cause: { stripeEventId: "evt_paid" }, at: "2026-08-03T23:33:20.000Z" }], eventTypes: new Map([["evt_paid", "invoice.paid"]]) }),
    );

    // Redacted as the Customers view and log lines redact addresses (functions/common/redact.ts).
    expect(view).toEqual({
      messageId: "ses-1",
      to: ["j***@example.com"],
      subject: "Payment received",
      at: "2026-08-03T23:33:20.000Z",
      hasHtml: false,
      cause: { stripeEventId: "evt_paid", eventType: "invoice.paid", via: "notification" },
    });
  });

  it("finds the execution behind an engagement email from the execution its send recorded", () => {
    const small = input("pi_small", 2000, 40);
    const large = input("pi_large", 60000, 1200, "silver");
    const emails = [engagementEmail("ses-a", "confirmation", small), engagementEmail("ses-b", "tier-upgrade", large)];

    const views = outboxEmails(
      sources({
        emails,
        sends: [sentBy("ses-a", "purchase-pi_small"), sentBy("ses-b", "purchase-pi_large")],
        executions: [
          { name: "purchase-pi_small", input: small },
          { name: "purchase-pi_large", input: large },
        ],
        purchaseEvents: new Map([
          ["pi_small", { eventId: "evt_small", eventType: "payment_intent.succeeded" }],
          ["pi_large", { eventId: "evt_large", eventType: "checkout.session.completed" }],
        ]),
      }),
    );

    // Newest first.
    expect(views.map((view) => [view.messageId, view.cause])).toEqual([
      ["ses-b", { stripeEventId: "evt_large", eventType: "checkout.session.completed", via: "workflow", executionName: "purchase-pi_large" }],
      ["ses-a", { stripeEventId: "evt_small", eventType: "payment_intent.succeeded", via: "workflow", executionName: "purchase-pi_small" }],
    ]);
  });

  it("tells apart identical emails from two executions by what each send recorded", () => {
    const first = input("pi_1", 2000, 40);
    const second = input("pi_2", 2000, 40);
    const emails = [engagementEmail("ses-1", "confirmation", first), engagementEmail("ses-2", "confirmation", second)];

    const views = outboxEmails(
      sources({
        emails,
        sends: [sentBy("ses-2", "purchase-pi_2"), sentBy("ses-1", "purchase-pi_1")],
        executions: [
          { name: "purchase-pi_1", input: first },
          { name: "purchase-pi_2", input: second },
        ],
        purchaseEvents: new Map([
          ["pi_1", { eventId: "evt_1", eventType: "payment_intent.succeeded" }],
          ["pi_2", { eventId: "evt_2", eventType: "payment_intent.succeeded" }],
        ]),
      }),
    );

    expect(views.map((view) => view.cause?.stripeEventId).sort()).toEqual(["evt_1", "evt_2"]);
    expect(views.map((view) => [view.messageId, view.cause?.stripeEventId])).toEqual([
      ["ses-2", "evt_2"],
      ["ses-1", "evt_1"],
    ]);
  });

  it("takes the send time to the millisecond from the journal, by message id", () => {
    const email = (messageId: string): SentEmail => ({ messageId, from: "f@example.com", destination: { to: ["a@example.com"], cc: [], bcc: [] }, subject: "Same", body: { text: "t" }, at: 1_785_800_000 });
    const sends = [
      { messageId: "other", at: "2026-08-03T23:33:20.100Z" },
      { messageId: "first", at: "2026-08-03T23:33:20.250Z" },
      { messageId: "second", at: "2026-08-03T23:33:20.750Z" },
    ];

    const views = outboxEmails(sources({ emails: [email("first"), email("second"), email("third")], sends }));

    expect(views.map((view) => [view.messageId, view.at])).toEqual([
      ["third", "2026-08-03T23:33:20.000Z"],
      ["second", "2026-08-03T23:33:20.750Z"],
      ["first", "2026-08-03T23:33:20.250Z"],
    ]);
  });

  it("leaves the cause unknown rather than guessing", () => {
    const stray = engagementEmail("ses-x", "confirmation", input("pi_x", 2000, 40));
    const orphan = engagementEmail("ses-y", "confirmation", input("pi_y", 2000, 40));

    const views = outboxEmails(
      sources({
        // ses-x: no send recorded (an earlier run's email); ses-y: an execution whose purchase names no event.
        emails: [stray, orphan],
        sends: [sentBy("ses-y", "purchase-pi_y")],
        executions: [{ name: "purchase-pi_y", input: input("pi_y", 2000, 40) }],
      }),
    );

    expect(views.map((view) => view.cause)).toEqual([undefined, undefined]);
  });
});

describe("outboxPushes and pushText", () => {
  it("reads title and body from FCM v1, legacy GCM, APNs and plain messages", () => {
    expect(pushText({ GCM: JSON.stringify({ fcmV1Message: { message: { notification: { title: "Paid", body: "$15.00 paid" } } } }) })).toEqual({ title: "Paid", body: "$15.00 paid" });
    expect(pushText({ GCM: JSON.stringify({ notification: { title: "Legacy" } }) })).toEqual({ title: "Legacy" });
    expect(pushText({ APNS: JSON.stringify({ aps: { alert: { title: "Apple", body: "b" } } }) })).toEqual({ title: "Apple", body: "b" });
    expect(pushText({ GCM: "{broken", default: "Fallback text" })).toEqual({ body: "Fallback text" });
    expect(pushText("just text")).toEqual({ body: "just text" });
  });

  it("ties a push to its Stripe event and shortens the device endpoint", () => {
    const push: PushRecord = {
      messageId: "push-1",
      targetArn: "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/paybus-demo/0b1c",
      message: { default: "Paid" },
      messageStructure: "json",
      at: "2026-08-04T12:00:00.000Z",
    };

    const [view] = outboxPushes(sources({ pushes: [push], notices: [{ messageId: "push-1", stripeEventId: "evt_paid" }] }));

    expect(view).toEqual({ messageId: "push-1", endpoint: "paybus-demo/0b1c", body: "Paid", at: push.at, cause: { stripeEventId: "evt_paid", eventType: undefined, via: "notification" } });
  });
});
