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

function sources(overrides: Partial<OutboxSources>): OutboxSources {
  return {
    emails: [],
    pushes: [],
    notices: [],
    claims: [],
    executions: [],
    purchaseEvents: new Map(),
    profiles: new Map([["cus_Qul9Qa3lJkatBi", profile]]),
    eventTypes: new Map(),
    sendTimes: [],
    ...overrides,
  };
}

describe("outboxEmails", () => {
  it("ties a notification email to its Stripe event through the recorded message id", () => {
    const email: SentEmail = { messageId: "ses-1", from: "billing@example.com", destination: { to: ["jenny.rosen@example.com"], cc: [], bcc: [] }, subject: "Payment received", body: { text: "Thanks" }, at: 1_785_800_000 };

    const [view] = outboxEmails(sources({ emails: [email], notices: [{ messageId: "ses-1", stripeEventId: "evt_paid" }], eventTypes: new Map([["evt_paid", "invoice.paid"]]) }));

    expect(view).toEqual({
      messageId: "ses-1",
      to: ["jenny.rosen@example.com"],
      subject: "Payment received",
      at: "2026-08-03T23:33:20.000Z",
      hasHtml: false,
      cause: { stripeEventId: "evt_paid", eventType: "invoice.paid", via: "notification" },
    });
  });

  it("finds the execution behind an engagement email by rendering its claimed template again", () => {
    const small = input("pi_small", 2000, 40);
    const large = input("pi_large", 60000, 1200, "silver");
    const emails = [engagementEmail("ses-a", "confirmation", small), engagementEmail("ses-b", "tier-upgrade", large)];

    const views = outboxEmails(
      sources({
        emails,
        claims: [
          { executionName: "purchase-pi_small", template: "confirmation" },
          { executionName: "purchase-pi_large", template: "tier-upgrade" },
        ],
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

  it("uses each claim once when two executions sent identical emails", () => {
    const first = input("pi_1", 2000, 40);
    const second = input("pi_2", 2000, 40);
    const emails = [engagementEmail("ses-1", "confirmation", first), engagementEmail("ses-2", "confirmation", second)];

    const views = outboxEmails(
      sources({
        emails,
        claims: [
          { executionName: "purchase-pi_1", template: "confirmation" },
          { executionName: "purchase-pi_2", template: "confirmation" },
        ],
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
  });

  it("takes the send time to the millisecond from the journal, pairing equal emails in send order", () => {
    const email = (messageId: string): SentEmail => ({ messageId, from: "f@example.com", destination: { to: ["a@example.com"], cc: [], bcc: [] }, subject: "Same", body: { text: "t" }, at: 1_785_800_000 });
    const sendTimes = [
      { to: ["b@example.com"], subject: "Same", at: "2026-08-03T23:33:20.100Z" },
      { to: ["a@example.com"], subject: "Same", at: "2026-08-03T23:33:20.250Z" },
      { to: ["a@example.com"], subject: "Same", at: "2026-08-03T23:33:20.750Z" },
    ];

    const views = outboxEmails(sources({ emails: [email("first"), email("second"), email("third")], sendTimes }));

    expect(views.map((view) => [view.messageId, view.at])).toEqual([
      ["third", "2026-08-03T23:33:20.000Z"],
      ["second", "2026-08-03T23:33:20.750Z"],
      ["first", "2026-08-03T23:33:20.250Z"],
    ]);
  });

  it("leaves the cause unknown rather than guessing", () => {
    const stray = engagementEmail("ses-x", "confirmation", input("pi_x", 2000, 40));

    const [view] = outboxEmails(sources({ emails: [stray], claims: [{ executionName: "purchase-pi_x", template: "confirmation" }] }));

    expect(view!.cause).toBeUndefined();
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
