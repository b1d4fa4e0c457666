/**
 * End to end through the embedded local runtime: fixtures put on the local EventBridge bus, routed
 * by the real rules to the `notifications` queue (with its DLQ), consumed by the unmodified handler
 * through the event source mapping, sending with local SES and SNS.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../../fixtures/index.ts";
import { queues } from "../../declarations/rules.ts";
import type { InjectedFault } from "../../local/faults.ts";
import type { Runtime } from "../../local/runtime.ts";
import { startTestRuntime } from "../../test/support/runtime.ts";
import { putProfile } from "../common/profiles.ts";

let runtime: Runtime;
let jennysPhone: string;

beforeAll(async () => {
  // Visibility timeouts scaled to about a second, so retries and DLQ moves happen within the test.
  runtime = await startTestRuntime({ dataDir: null, port: 0, timeScale: 0.01, workflowTimeScale: 0.0001, prefix: "e2e" });
  jennysPhone = runtime.sns.createEndpoint(`${runtime.prefix}-app`, "token-jenny");
  await putProfile({ customerId: "cus_AbIItO38LiTlry", pushEndpoints: [jennysPhone] }, runtime.profileTable);
  await putProfile({ customerId: "cus_61BSXNh6V2pQ3q", locale: "ja-JP", pushEndpoints: [] }, runtime.profileTable);
  // A first invocation imports the handler and builds its clients, which can outlast the scaled
  // (1 s) visibility timeout and let SQS hand the message out twice; warm up so tests see steady state.
  runtime.sendEnvelopes([invoiceEvent("01", "warmup", { customer: "cus_e2ewarmup", customer_email: null })]);
  await runtime.waitForQuiet(20_000, 100);
});

afterAll(async () => {
  await runtime?.stop();
});

/** A fixture as a new invoice event: its own Stripe event id and invoice id, other fields patched. */
function invoiceEvent(fixture: string, suffix: string, invoice: Record<string, unknown> = {}): Record<string, any> {
  const envelope = loadFixture(fixture);
  envelope.detail.id = `evt_e2e${suffix}`;
  Object.assign(envelope.detail.data.object, { id: `in_e2e${suffix}`, ...invoice });
  return envelope;
}

// Under load a first attempt can outlast the scaled visibility timeout, so SQS may hand a message
// out twice at once (as it would in AWS): tests assert effects and final outcomes, not how many
// attempts it took.
function attemptsOf(stripeEventId: string) {
  return runtime.journal.list("consumer.attempt").filter((entry) => entry.stripeEventId === stripeEventId);
}

function deadLetters(stripeEventId: string) {
  return runtime.sqs.dlqMessages("notifications").filter((message) => message.body.includes(stripeEventId));
}

describe("notifications through the local runtime", () => {
  it("tells each fixture invoice once, per channel, in the customer's language", async () => {
    // Arrange: besides the invoice events, 15 and 16 are not routed here by the rule
    const fixtures = ["01", "02", "13", "15", "16"].map((name) => loadFixture(name));
    const redelivered = { ...loadFixture("01"), id: crypto.randomUUID() };

    // Act: the fixtures, then EventBridge redelivering 01 (a new envelope id)
    runtime.sendEnvelopes(fixtures);
    await runtime.waitForQuiet(20_000, 100);
    runtime.sendEnvelopes([redelivered]);
    await runtime.waitForQuiet(20_000, 100);

    // Assert
    const emails = await runtime.ses.emails();
    expect(emails.map((email) => [email.destination.to[0], email.subject]).sort()).toEqual([
      ["jenny.rosen@example.com", "Payment failed for invoice 31A191F8-0024"],
      ["jenny.rosen@example.com", "Payment received for invoice F8C76741-0032"],
      ["taro.suzuki@example.jp", "請求書 B5953531-0033 のお支払いを受け付けました"],
    ]);
    expect(runtime.sns.outbox.map((push) => push.targetArn)).toEqual([jennysPhone]);
    expect(runtime.journal.list("effect.push").filter((entry) => entry.targetArn === jennysPhone).map((entry) => entry.messageId)).toEqual(runtime.sns.outbox.map((push) => push.messageId));
    // Each send names the Stripe event it answers (an SES message tag), recorded with SES's message id.
    const recorded = new Map(runtime.journal.list("effect.email").map((entry) => [entry.messageId, entry.cause?.stripeEventId]));
    expect(emails.map((email) => [email.subject, recorded.get(email.messageId)]).sort()).toEqual([
      ["Payment failed for invoice 31A191F8-0024", fixtures[1]!.detail.id],
      ["Payment received for invoice F8C76741-0032", fixtures[0]!.detail.id],
      ["請求書 B5953531-0033 のお支払いを受け付けました", fixtures[2]!.detail.id],
    ]);
    for (const stripeEventId of ["evt_1RK2A95kb18UZlUmKogTQMTK", "evt_178MIA5kb18UZlUmk4tcTECa", "evt_1kQC23vEVNipDJAFtw9WDSZm"]) {
      expect(attemptsOf(stripeEventId).at(-1)?.outcome).toBe("succeeded");
      expect(deadLetters(stripeEventId)).toEqual([]);
    }
  });

  it("retries a record SES throttled, and sends its email once", async () => {
    // Arrange: more throttling than the SDK's own three attempts absorb
    let sendEmails = 0;
    const throttling: InjectedFault = { code: "Throttling", message: "Maximum sending rate exceeded.", status: 400 };
    runtime.faults.ses.set({ decide: (operation) => (operation === "SendEmail" && ++sendEmails <= 3 ? throttling : undefined) });
    const event = invoiceEvent("02", "throttled", { attempt_count: 3 });

    // Act
    runtime.sendEnvelopes([event]);
    await runtime.waitForQuiet(20_000, 100);
    runtime.faults.ses.set(undefined);

    // Assert
    const attempts = attemptsOf("evt_e2ethrottled");
    expect(attempts).toContainEqual(expect.objectContaining({ outcome: "failed", error: expect.stringContaining("Throttling") }));
    expect(attempts.at(-1)?.outcome).toBe("succeeded");
    expect(deadLetters("evt_e2ethrottled")).toEqual([]);
    const emails = (await runtime.ses.emails()).filter((email) => email.body.text?.includes("(attempt 3)"));
    expect(emails).toHaveLength(1);
  });

  it("moves an invalid invoice event to the DLQ after maxReceiveCount, saying why", async () => {
    // Arrange
    const event = invoiceEvent("01", "invalid", { amount_paid: "15.00" });

    // Act
    runtime.sendEnvelopes([event]);
    await runtime.waitForQuiet(20_000, 100);

    // Assert
    const attempts = attemptsOf("evt_e2einvalid");
    expect(attempts.map((entry) => entry.outcome)).toEqual(Array(queues.notifications.maxReceiveCount).fill("failed"));
    expect(attempts.at(-1)?.error).toBe(
      "EventContractError: detail.data.object.amount_paid: Invalid input: expected number, received string (evt_e2einvalid)",
    );
    expect(deadLetters("evt_e2einvalid")).toHaveLength(1);
  });

  it("records a disabled device once and still emails, without failing the record", async () => {
    // Arrange
    const disabled = runtime.sns.createEndpoint(`${runtime.prefix}-app`, "token-stale");
    runtime.sns.setEnabled(disabled, false);
    await putProfile({ customerId: "cus_e2edisabled", pushEndpoints: [disabled] }, runtime.profileTable);
    const event = invoiceEvent("01", "disabled", { customer: "cus_e2edisabled", number: "E2E-0001" });

    // Act: the event, then its redelivery
    runtime.sendEnvelopes([event]);
    await runtime.waitForQuiet(20_000, 100);
    runtime.sendEnvelopes([{ ...event, id: crypto.randomUUID() }]);
    await runtime.waitForQuiet(20_000, 100);

    // Assert
    const refused = runtime.journal.list("effect.push").filter((entry) => entry.targetArn === disabled);
    expect(refused.map((entry) => entry.status)).toEqual(["endpoint-disabled"]);
    const emails = runtime.journal.list("effect.email").filter((entry) => entry.subject.includes("E2E-0001"));
    expect(emails).toHaveLength(1);
    expect(attemptsOf("evt_e2edisabled").at(-1)?.outcome).toBe("succeeded");
    expect(deadLetters("evt_e2edisabled")).toEqual([]);
  });
});
