/**
 * The core against the local runtime's engines: local DynamoDB for the send records, local SES
 * (aws-ses-v2-local) for email and local SNS for push, through the real SDK clients. Only the
 * clock is the test's.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EventContractError } from "../../events/errors.ts";
import { fixtureText } from "../../fixtures/index.ts";
import { classifyError } from "../common/errors.ts";
import { SEND_TIME_BUDGET_MS } from "../common/invocation.ts";
import { getProfile, putProfile, type CustomerProfileInput } from "../common/profiles.ts";
import { awsChannels } from "./channels.ts";
import { dynamoContactStore } from "../customers/contact.ts";
import { DeliveryFailedError, DeliveryRejectedError, notify, type NotifyDependencies, type NotifyOutcome } from "./core.ts";
import { noticeFrom, invoiceMessage, type EventPatch } from "../../test/support/invoice-events.ts";
import { startNotificationEngines, type NotificationEngines } from "../../test/support/notification-engines.ts";
import { dynamoNotificationStore } from "./store.ts";
import { recordRequests } from "../../test/support/request-count.ts";

const LEASE_SECONDS = 60;

/** Push endpoints registered in the local SNS for every test. */
let PHONE: string;
let TABLET: string;

let engines: NotificationEngines;
let clock: number;
let outcomes: NotifyOutcome[];
let deps: NotifyDependencies;
let sequence = 0;

beforeAll(async () => {
  engines = await startNotificationEngines();
  PHONE = engines.device("phone");
  TABLET = engines.device("tablet");
  const now = () => clock;
  const profiles = { client: engines.documents, tableName: engines.profilesTable };
  deps = {
    store: dynamoNotificationStore({
      client: engines.documents,
      tableName: engines.notificationsTable,
      retentionSeconds: 86_400,
      leaseSeconds: LEASE_SECONDS,
      now,
    }),
    profiles: (customerId) => getProfile(customerId, profiles),
    channels: awsChannels({ ses: engines.sesClient, sns: engines.snsClient }, "billing@example.com"),
    config: { billingPortalUrl: "https://billing.example.com/payment-method", defaultLocale: "en-US" },
    now,
    report: (outcome) => outcomes.push(outcome),
    contacts: dynamoContactStore(profiles, now),
  };
});

afterAll(async () => {
  await engines?.close();
});

beforeEach(async () => {
  await engines.reset();
  outcomes = [];
  // 30 s after fixture 01's detail.created.
  clock = 1785751235_000;
});

/** A fresh invoice and customer per test, so tests share engines without sharing state. */
function freshIds(): { invoice: string; customer: string } {
  sequence += 1;
  return { invoice: `in_test${sequence}`, customer: `cus_test${sequence}` };
}

function message(fixture: string, ids: { invoice: string; customer: string }, patch: EventPatch = {}): string {
  return invoiceMessage(fixture, { ...patch, invoice: { id: ids.invoice, customer: ids.customer, ...patch.invoice } });
}

async function seedProfile(customerId: string, fields: Partial<CustomerProfileInput> = {}): Promise<void> {
  await putProfile({ customerId, ...fields }, { client: engines.documents, tableName: engines.profilesTable });
}

async function sendRecord(invoiceId: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await engines.documents.send(
    new GetCommand({ TableName: engines.notificationsTable, Key: { pk: `invoice#${invoiceId}`, sk } }),
  );
  return Item;
}

describe("a paid invoice", () => {
  it("sends one email to the invoice's address and one push per registered device", async () => {
    // Arrange
    const ids = freshIds();
    await seedProfile(ids.customer, { pushEndpoints: [PHONE, TABLET] });

    // Act
    const outcome = await notify(message("01", ids), deps);

    // Assert
    const emails = await engines.ses.emails();
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({
      from: "billing@example.com",
      destination: { to: ["jenny.rosen@example.com"] },
      subject: "Payment received for invoice F8C76741-0032",
    });
    expect(emails[0]?.body.text).toContain("We received your payment of $15.00");
    expect(engines.sns.outbox.map((publish) => publish.targetArn)).toEqual(expect.arrayContaining([PHONE, TABLET]));
    expect(engines.sns.outbox.every((publish) => publish.messageStructure === "json")).toBe(true);
    const platforms = engines.sns.outbox[0]?.message as Record<string, string>;
    expect(JSON.parse(platforms.GCM ?? "").fcmV1Message.message.notification).toEqual({
      title: "Payment received",
      body: "$15.00 paid for invoice F8C76741-0032. Thank you!",
    });
    expect(outcome).toMatchObject({ kind: "attempted", notice: { invoiceId: ids.invoice, key: "paid" }, locale: "en-US" });
    const sent = (outcome as Extract<NotifyOutcome, { kind: "attempted" }>).deliveries;
    expect(sent.map((result) => [result.target, result.status])).toEqual([
      ["email", "sent"],
      [`push#${PHONE}`, "sent"],
      [`push#${TABLET}`, "sent"],
    ]);
    expect(sent[0]).toMatchObject({ delaySeconds: 30, messageId: emails[0]?.messageId });
    expect(outcomes).toEqual([outcome]);
  });

  it("is told once despite redeliveries and invoice.payment_succeeded for the same invoice", async () => {
    // Arrange
    const ids = freshIds();
    await seedProfile(ids.customer, { pushEndpoints: [PHONE] });
    await notify(message("01", ids), deps);

    // Act: the same event redelivered (EventBridge gives it a new envelope id), then payment_succeeded
    const again = await notify(message("01", ids, { envelope: { id: "5d9c1f4e-2b7a-4c3e-9f10-8a6b5c4d3e2f" } }), deps);
    const succeeded = await notify(message("15", ids), deps);

    // Assert
    expect(await engines.ses.emails()).toHaveLength(1);
    expect(engines.sns.outbox).toHaveLength(1);
    for (const outcome of [again, succeeded]) {
      expect(outcome).toMatchObject({
        kind: "attempted",
        deliveries: [
          { channel: "email", status: "duplicate", previously: "sent" },
          { channel: "push", status: "duplicate", previously: "sent" },
        ],
      });
    }
  });

  it("takes the profile from the contact stub's write that found it: no read of its own", async () => {
    // Arrange: the invoice carries an address, so the contact stub's conditional write finds the profile.
    const ids = freshIds();
    await seedProfile(ids.customer, { pushEndpoints: [PHONE] });
    const requests = recordRequests(engines.documents, engines.sesClient, engines.snsClient);

    // Act
    let outcome: NotifyOutcome;
    try {
      outcome = await notify(message("01", ids), deps);
    } finally {
      requests.stop();
    }

    // Assert: the push went to the device only the profile names, and nothing read the profile.
    expect(engines.sns.outbox.map((publish) => publish.targetArn)).toEqual([PHONE]);
    expect(outcome).toMatchObject({ kind: "attempted" });
    expect(requests.list().sort()).toEqual([
      "DynamoDB.PutItem", // email sent
      "DynamoDB.PutItem", // push sent
      "DynamoDB.UpdateItem", // contact stub (the profile exists: refused, with the item)
      "DynamoDB.UpdateItem", // invoice state
      "DynamoDB.UpdateItem", // email claim
      "DynamoDB.UpdateItem", // push claim
      "SES.SendEmail",
      "SNS.Publish",
    ]);
  });

  it("records the invoice's state while the contact stub is being written, and reads the profile only after", async () => {
    // Arrange: a contact store held until the test lets it write.
    const ids = freshIds();
    await seedProfile(ids.customer, { pushEndpoints: [PHONE] });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const contacts: NotifyDependencies["contacts"] = async (stub) => {
      await held;
      return deps.contacts(stub);
    };
    const requests = recordRequests(engines.documents, engines.sesClient, engines.snsClient);

    // Act
    let outcome: NotifyOutcome;
    try {
      const notifying = notify(message("01", ids), { ...deps, contacts });
      // Assert: the invoice's state does not wait for the stub; nothing else goes before it.
      await expect.poll(() => requests.list(), { timeout: 20_000 }).toEqual(["DynamoDB.UpdateItem"]);
      release();
      outcome = await notifying;
    } finally {
      requests.stop();
    }

    // The stub's refused write brought the profile (its push endpoint), so nothing read it.
    expect(outcome).toMatchObject({ kind: "attempted" });
    expect(engines.sns.outbox.map((publish) => publish.targetArn)).toEqual([PHONE]);
    expect(requests.list()).not.toContain("DynamoDB.GetItem");
  });

  it("sends only the push when no email address is known", async () => {
    // Arrange
    const ids = freshIds();
    await seedProfile(ids.customer, { pushEndpoints: [PHONE] });

    // Act
    await notify(message("01", ids, { invoice: { customer_email: null } }), deps);

    // Assert
    expect(await engines.ses.emails()).toHaveLength(0);
    expect(engines.sns.outbox.map((publish) => publish.targetArn)).toEqual([PHONE]);
  });

  it("writes in the profile's language to the profile's address when the invoice has neither", async () => {
    // Arrange
    const ids = freshIds();
    await seedProfile(ids.customer, { email: "jeanne@example.fr", locale: "fr-FR", name: "Jeanne" });

    // Act
    await notify(message("01", ids, { invoice: { customer_email: null, customer_name: null } }), deps);

    // Assert
    const [email] = await engines.ses.emails();
    expect(email?.destination.to).toEqual(["jeanne@example.fr"]);
    expect(email?.subject).toBe("Paiement reçu pour la facture F8C76741-0032");
    expect(email?.body.text).toMatch(/^Bonjour Jeanne,/);
  });

  it("records a customer who cannot be reached as skipped, without failing", async () => {
    // Arrange
    const ids = freshIds();

    // Act
    const outcome = await notify(message("01", ids, { invoice: { customer_email: null } }), deps);

    // Assert
    expect(outcome).toMatchObject({ kind: "skipped", reason: "no email address and no push endpoint" });
    expect(await sendRecord(ids.invoice, "notice#paid#skipped")).toMatchObject({
      status: "skipped",
      reason: "no email address and no push endpoint",
      eventId: "evt_1RK2A95kb18UZlUmKogTQMTK",
    });
    expect(await engines.ses.emails()).toHaveLength(0);
  });

  it("does not confirm an invoice of zero", async () => {
    // Arrange
    const ids = freshIds();

    // Act
    const outcome = await notify(message("01", ids, { invoice: { amount_paid: 0, amount_due: 0 } }), deps);

    // Assert
    expect(outcome).toMatchObject({ kind: "skipped", reason: "nothing was charged" });
    expect(await engines.ses.emails()).toHaveLength(0);
  });
});

describe("failed payment attempts", () => {
  it("are told once per attempt", async () => {
    // Arrange
    const ids = freshIds();
    const attempt2 = message("02", ids);
    const attempt3 = message("02", ids, { detail: { created: 1786207300 }, invoice: { attempt_count: 3 } });

    // Act
    await notify(attempt2, deps);
    await notify(attempt2, deps);
    await notify(attempt3, deps);

    // Assert
    const subjects = (await engines.ses.emails()).map((email) => email.body.text?.match(/\(attempt \d\)/)?.[0]);
    expect(subjects).toEqual(["(attempt 2)", "(attempt 3)"]);
  });

  it("is not told when it arrives after the invoice was recorded as paid", async () => {
    // Arrange: the failure happened first (earlier detail.created) but is delivered last
    const ids = freshIds();
    await notify(message("02", ids, { type: "invoice.paid", detail: { created: 1785774000 }, invoice: { status: "paid" } }), deps);
    await engines.reset();

    // Act
    const outcome = await notify(message("02", ids), deps);

    // Assert
    expect(outcome).toMatchObject({ kind: "skipped", notice: { key: "failed#2" } });
    expect((outcome as { reason: string }).reason).toMatch(/^superseded by the invoice's later paid state/);
    expect(await engines.ses.emails()).toHaveLength(0);
  });

  it("is not told when a later attempt was told first", async () => {
    // Arrange
    const ids = freshIds();
    await notify(message("02", ids, { detail: { created: 1786207300 }, invoice: { attempt_count: 3 } }), deps);

    // Act
    const outcome = await notify(message("02", ids), deps);

    // Assert
    expect(outcome).toMatchObject({ kind: "skipped", notice: { key: "failed#2" } });
    expect((outcome as { reason: string }).reason).toMatch(/^superseded by the invoice's later failed state/);
    expect(await engines.ses.emails()).toHaveLength(1);
  });

  it("is told, and so is the payment, when they arrive in order", async () => {
    // Arrange
    const ids = freshIds();

    // Act
    await notify(message("02", ids), deps);
    await notify(message("02", ids, { type: "invoice.paid", detail: { created: 1785774000 } }), deps);

    // Assert
    expect((await engines.ses.emails()).map((email) => email.subject)).toEqual([
      "Payment failed for invoice 31A191F8-0024",
      "Payment received for invoice 31A191F8-0024",
    ]);
  });
});

describe("faults", () => {
  it("retries only the push when the email went out and SNS failed", async () => {
    // Arrange
    const ids = freshIds();
    await seedProfile(ids.customer, { pushEndpoints: [PHONE] });
    engines.faults.failNext("Publish", 1, { status: 500, code: "InternalError", message: "Internal error" });

    // Act
    const first = await notify(message("01", ids), deps).catch((error: unknown) => error);
    const retry = await notify(message("01", ids), deps);

    // Assert
    expect(first).toBeInstanceOf(DeliveryFailedError);
    expect(classifyError(first)).toBe("retryable");
    expect((first as Error).message).toBe(
      `1 of 2 sends failed for ${ids.invoice} paid: push#${PHONE}: InternalErrorException: Internal error`,
    );
    expect(retry).toMatchObject({
      deliveries: [
        { channel: "email", status: "duplicate" },
        { channel: "push", status: "sent" },
      ],
    });
    expect(await engines.ses.emails()).toHaveLength(1);
    expect(engines.sns.outbox).toHaveLength(1);
  });

  it("treats SES throttling as retryable and still sends the push", async () => {
    // Arrange
    const ids = freshIds();
    await seedProfile(ids.customer, { pushEndpoints: [PHONE] });
    engines.faults.failNext("SendEmail", 1, { status: 400, code: "Throttling", message: "Maximum sending rate exceeded." });

    // Act
    const first = await notify(message("02", ids), deps).catch((error: unknown) => error);
    const afterFirst = { emails: (await engines.ses.emails()).length, pushes: engines.sns.outbox.length };
    await notify(message("02", ids), deps);

    // Assert
    expect(first).toBeInstanceOf(DeliveryFailedError);
    expect(afterFirst).toEqual({ emails: 0, pushes: 1 });
    expect(await engines.ses.emails()).toHaveLength(1);
    expect(engines.sns.outbox).toHaveLength(1);
  });

  it("treats an SES rejection as poison, without the address in the reason", async () => {
    // Arrange
    const ids = freshIds();
    engines.faults.failNext("SendEmail", 1, {
      status: 400,
      code: "MessageRejected",
      message: "Email address is not verified: jenny.rosen@example.com",
    });

    // Act
    const error = await notify(message("01", ids), deps).catch((caught: unknown) => caught);

    // Assert
    expect(error).toBeInstanceOf(DeliveryRejectedError);
    expect(classifyError(error)).toBe("poison");
    expect((error as Error).message).toContain("MessageRejected: Email address is not verified: j***@example.com");
  });

  it("records a disabled endpoint once and never retries it, while other devices get the push", async () => {
    // Arrange
    const ids = freshIds();
    const broken = engines.device("broken");
    await seedProfile(ids.customer, { pushEndpoints: [broken, TABLET] });
    engines.sns.setEnabled(broken, false);

    // Act
    const first = await notify(message("01", ids), deps);
    const redelivery = await notify(message("01", ids), deps);

    // Assert
    expect(first).toMatchObject({
      deliveries: [
        { status: "sent" },
        { target: `push#${broken}`, status: "undeliverable", reason: "endpoint-disabled" },
        { target: `push#${TABLET}`, status: "sent" },
      ],
    });
    expect(redelivery).toMatchObject({
      deliveries: [{ status: "duplicate" }, { status: "duplicate", previously: "undeliverable" }, { status: "duplicate" }],
    });
    expect(engines.sns.outbox.map((publish) => publish.targetArn)).toEqual([TABLET]);
    expect(await sendRecord(ids.invoice, `notice#paid#push#${broken}`)).toMatchObject({
      status: "undeliverable",
      reason: "endpoint-disabled",
    });
  });

  it("records an endpoint SNS no longer knows as undeliverable", async () => {
    // Arrange
    const ids = freshIds();
    const deleted = "arn:aws:sns:us-east-1:111122223333:endpoint/GCM/paybus-app/5a0c7e2b-0d6f-4b7e-9c3a-2f1e0d9c8b7a";
    await seedProfile(ids.customer, { pushEndpoints: [deleted] });

    // Act
    const outcome = await notify(message("01", ids), deps);

    // Assert
    expect(outcome).toMatchObject({
      deliveries: [{ status: "sent" }, { target: `push#${deleted}`, status: "undeliverable", reason: "endpoint-not-found" }],
    });
  });

  it("leaves a send claimed by a live attempt alone, and takes it over once the lease has run out", async () => {
    // Arrange: another attempt claimed the email and crashed before recording it
    const ids = freshIds();
    const crashed = await deps.store.claimDelivery(noticeFrom("01", { invoice: { id: ids.invoice } }), {
      channel: "email",
      key: "email",
      address: "jenny.rosen@example.com",
    });

    // Act
    const whileLeased = await notify(message("01", ids), deps).catch((error: unknown) => error);
    clock += (LEASE_SECONDS + 1) * 1000;
    const afterLease = await notify(message("01", ids), deps);

    // Assert
    expect(crashed.kind).toBe("claimed");
    expect(whileLeased).toBeInstanceOf(DeliveryFailedError);
    expect((whileLeased as Error).message).toContain("email: SendInProgressError");
    expect(afterLease).toMatchObject({ deliveries: [{ channel: "email", status: "sent" }] });
    expect(await engines.ses.emails()).toHaveLength(1);
  });

  it("starts no send with too little of the invocation left to record it, so its retry sends once", async () => {
    // Arrange: an invocation about to time out (a slow batch ahead of this record)
    const ids = freshIds();
    await seedProfile(ids.customer, { pushEndpoints: [PHONE] });
    const ending = { remainingMs: () => SEND_TIME_BUDGET_MS - 1 };
    const fresh = { remainingMs: () => 20_000 };

    // Act
    const late = await notify(message("01", ids), deps, ending).catch((error: unknown) => error);
    const sentBeforeRetry = { emails: (await engines.ses.emails()).length, pushes: engines.sns.outbox.length };
    const claimBeforeRetry = await sendRecord(ids.invoice, "notice#paid#email");
    const retry = await notify(message("01", ids), deps, fresh);

    // Assert: nothing was claimed, so the retry does not wait for a lease
    expect(late).toBeInstanceOf(DeliveryFailedError);
    expect(classifyError(late)).toBe("retryable");
    expect((late as Error).message).toContain("email: InvocationEndingError");
    expect(sentBeforeRetry).toEqual({ emails: 0, pushes: 0 });
    expect(claimBeforeRetry).toBeUndefined();
    expect(retry).toMatchObject({ deliveries: [{ channel: "email", status: "sent" }, { channel: "push", status: "sent" }] });
    expect(await engines.ses.emails()).toHaveLength(1);
    expect(engines.sns.outbox).toHaveLength(1);
  });
});

describe("messages that are not invoice events", () => {
  it("ignores a thin event", async () => {
    // Act
    const outcome = await notify(fixtureText("16"), deps);

    // Assert
    expect(outcome).toEqual({
      kind: "ignored",
      eventId: "evt_test_65UUKdqPhhmSBKhPncPmishYRWnkTiaIfHsTuux2VGKz",
      reason: "thin event v2.core.event_destination.ping carries no invoice",
    });
  });

  it("refuses an invalid invoice as poison, naming the field and the Stripe event", async () => {
    // Arrange
    const ids = freshIds();

    // Act
    const error = await notify(message("01", ids, { invoice: { amount_paid: "15.00" } }), deps).catch((caught: unknown) => caught);

    // Assert
    expect(error).toBeInstanceOf(EventContractError);
    expect(classifyError(error)).toBe("poison");
    expect((error as Error).message).toBe(
      "detail.data.object.amount_paid: Invalid input: expected number, received string (evt_1RK2A95kb18UZlUmKogTQMTK)",
    );
    expect(outcomes).toEqual([]);
  });

  it("refuses an event of another type as a routing mistake", async () => {
    // Act
    const error = await notify(fixtureText("03"), deps).catch((caught: unknown) => caught);

    // Assert
    expect(classifyError(error)).toBe("poison");
    expect((error as Error).message).toMatch(/^event type "payment_intent.succeeded" is not handled here/);
  });
});
