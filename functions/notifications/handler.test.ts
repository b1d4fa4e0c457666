/**
 * The Lambda handler as SQS invokes it, configured only through its environment (table names and
 * `AWS_ENDPOINT_URL_<SERVICE>`), against the local runtime's DynamoDB, SES and SNS.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { fixtureText } from "../../fixtures/index.ts";
import { putProfile } from "../common/profiles.ts";
import { invoiceMessage } from "../../test/support/invoice-events.ts";
import { startNotificationEngines, type NotificationEngines } from "../../test/support/notification-engines.ts";

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

let engines: NotificationEngines;
let handler: Handler;
let output: string[];
let phone: string;

beforeAll(async () => {
  engines = await startNotificationEngines();
  for (const [name, value] of Object.entries(engines.env)) vi.stubEnv(name, value);
  vi.stubEnv("PAYBUS_EMAIL_FROM", "receipts@paybus.example.com");
  ({ handler } = await import("./handler.ts"));
  phone = engines.device("phone");
  await putProfile(
    { customerId: "cus_AbIItO38LiTlry", pushEndpoints: [phone] },
    { client: engines.documents, tableName: engines.profilesTable },
  );
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await engines?.close();
});

beforeEach(async () => {
  await engines.reset();
  output = [];
  // Powertools writes logs and EMF metrics to stdout (warnings and errors to stderr): read them
  // there, and keep the run quiet.
  const capture = (chunk: string | Uint8Array) => {
    output.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(capture);
  vi.spyOn(process.stderr, "write").mockImplementation(capture);
  return () => vi.restoreAllMocks();
});

function sqsEvent(bodies: readonly string[], receiveCount = 1): SQSEvent {
  return {
    Records: bodies.map((body, index) => ({
      messageId: `m${index}-${randomUUID()}`,
      receiptHandle: randomUUID(),
      body,
      attributes: {
        ApproximateReceiveCount: String(receiveCount),
        SentTimestamp: "1785751207000",
        SenderId: "AIDAEXAMPLE",
        ApproximateFirstReceiveTimestamp: "1785751207100",
      },
      messageAttributes: {},
      md5OfBody: createHash("md5").update(body).digest("hex"),
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:111122223333:paybus-notifications",
      awsRegion: "us-east-1",
    })),
  };
}

const context = { functionName: "paybus-notifications", awsRequestId: "req-1" } as Context;

function logLines(): Record<string, unknown>[] {
  return output
    .flatMap((chunk) => chunk.split("\n"))
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("notifications handler", () => {
  it("notifies every invoice event of a batch and fails only the invalid record", async () => {
    // Arrange
    const event = sqsEvent([fixtureText("01"), fixtureText("02"), fixtureText("13"), fixtureText("16"), "{not json"]);

    // Act
    const response = await handler(event, context);

    // Assert
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[4]?.messageId }]);
    const emails = await engines.ses.emails();
    expect(emails.map((email) => [email.from, email.destination.to[0], email.subject]).sort()).toEqual([
      ["receipts@paybus.example.com", "jenny.rosen@example.com", "Payment failed for invoice 31A191F8-0024"],
      ["receipts@paybus.example.com", "jenny.rosen@example.com", "Payment received for invoice F8C76741-0032"],
      ["receipts@paybus.example.com", "taro.suzuki@example.jp", "Payment received for invoice B5953531-0033"],
    ]);
    expect(engines.sns.outbox.map((publish) => publish.targetArn)).toEqual([phone]);
  });

  it("sends nothing again when a batch is redelivered, with invoice.payment_succeeded added", async () => {
    // Arrange
    const paid = invoiceMessage("01", { invoice: { id: "in_redelivered1" } });
    const failed = invoiceMessage("02", { invoice: { id: "in_redelivered2" } });
    const succeeded = invoiceMessage("15", { invoice: { id: "in_redelivered1" } });
    await handler(sqsEvent([paid, failed]), context);
    const firstDelivery = { emails: (await engines.ses.emails()).length, pushes: engines.sns.outbox.length };
    await engines.reset();

    // Act
    const response = await handler(sqsEvent([paid, failed, succeeded], 2), context);

    // Assert
    expect(firstDelivery).toEqual({ emails: 2, pushes: 1 });
    expect(response.batchItemFailures).toEqual([]);
    expect(await engines.ses.emails()).toEqual([]);
    expect(engines.sns.outbox).toEqual([]);
  });

  it("returns a throttled record for a retry, which then sends only what is missing", async () => {
    // Arrange
    const body = invoiceMessage("02", { invoice: { attempt_count: 3 }, detail: { created: 1786207300 } });
    engines.faults.failNext("SendEmail", 1, { status: 400, code: "Throttling", message: "Maximum sending rate exceeded." });

    // Act
    const first = await handler(sqsEvent([body]), context);
    const retry = await handler(sqsEvent([body], 2), context);

    // Assert
    expect(first.batchItemFailures).toHaveLength(1);
    expect(retry.batchItemFailures).toEqual([]);
    expect((await engines.ses.emails()).map((email) => email.body.text?.includes("(attempt 3)"))).toEqual([true]);
  });

  it("returns a record reached at the end of its invocation for a retry, with nothing sent, which then sends once", async () => {
    // Arrange: the invocation's context tells how long it may still run, as Lambda's does
    const body = invoiceMessage("02", { invoice: { attempt_count: 4 }, detail: { created: 1786207400 } });
    const ending = { ...context, getRemainingTimeInMillis: () => 1_000 } as Context;
    const fresh = { ...context, getRemainingTimeInMillis: () => 20_000 } as Context;

    // Act
    const first = await handler(sqsEvent([body]), ending);
    const sentByFirst = (await engines.ses.emails()).length + engines.sns.outbox.length;
    const retry = await handler(sqsEvent([body], 2), fresh);

    // Assert
    expect(first.batchItemFailures).toHaveLength(1);
    expect(sentByFirst).toBe(0);
    expect(logLines()).toContainEqual(expect.objectContaining({ message: "record failed", errorClass: "retryable" }));
    expect(retry.batchItemFailures).toEqual([]);
    expect((await engines.ses.emails()).map((email) => email.body.text?.includes("(attempt 4)"))).toEqual([true]);
  });

  it("logs why a record is poison, and logs sends and their delay without emails or names", async () => {
    // Arrange
    const invalid = invoiceMessage("01", { invoice: { id: "in_logs1", currency: "US Dollar" } });
    const valid = invoiceMessage("01", { invoice: { id: "in_logs2" } });

    // Act
    await handler(sqsEvent([invalid, valid]), context);

    // Assert
    const lines = logLines();
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: "ERROR",
        message: "record failed",
        errorClass: "poison",
        error: expect.objectContaining({
          name: "EventContractError",
          message: "detail.data.object.currency: expected a lower-case ISO 4217 code (evt_1RK2A95kb18UZlUmKogTQMTK)",
        }),
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        message: "notification sent",
        invoiceId: "in_logs2",
        channel: "email",
        delaySeconds: expect.any(Number),
      }),
    );
    const metrics = lines.filter((line) => "_aws" in line);
    expect(metrics).toContainEqual(expect.objectContaining({ channel: "email", NotificationDelay: expect.any(Number) }));
    const everything = output.join("");
    expect(everything).not.toContain("jenny.rosen@example.com");
    expect(everything).not.toContain("Jenny Rosen");
  });

  it("keeps the address out of the logs when SES quotes it in an error", async () => {
    // Arrange
    const body = invoiceMessage("01", { invoice: { id: "in_logs3" } });
    engines.faults.failNext("SendEmail", 1, {
      status: 400,
      code: "MessageRejected",
      message: "Email address is not verified. The following identities failed the check: jenny.rosen@example.com",
    });

    // Act
    const response = await handler(sqsEvent([body]), context);

    // Assert
    expect(response.batchItemFailures).toHaveLength(1);
    expect(logLines()).toContainEqual(
      expect.objectContaining({
        message: "notification send failed",
        errorName: "MessageRejected",
        errorMessage: expect.stringContaining("failed the check: j***@example.com"),
      }),
    );
    expect(output.join("")).not.toContain("jenny.rosen@example.com");
  });

  it("warns when a notice goes out more than a minute after Stripe created the event", async () => {
    // Arrange: fixture 01 was created in August 2026, long before this run
    const late = invoiceMessage("01", { invoice: { id: "in_late1" } });

    // Act
    await handler(sqsEvent([late]), context);

    // Assert
    expect(logLines()).toContainEqual(
      expect.objectContaining({ level: "WARN", message: "notification sent later than the SLA", invoiceId: "in_late1", slaSeconds: 60 }),
    );
  });

});
