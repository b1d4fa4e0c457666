import { Metrics } from "@aws-lambda-powertools/metrics";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../common/logger.ts";
import type { DeliveryResult, NotifyOutcome } from "./core.ts";
import { createReporter } from "./telemetry.ts";

const notice = { invoiceId: "in_1", key: "paid", eventId: "evt_1", eventCreated: 1785751205 };

let lines: Record<string, unknown>[];

beforeEach(() => {
  lines = [];
  // Powertools writes JSON lines to stdout and stderr.
  const capture = (chunk: string | Uint8Array) => {
    for (const line of String(chunk).split("\n")) if (line.startsWith("{")) lines.push(JSON.parse(line));
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(capture);
  vi.spyOn(process.stderr, "write").mockImplementation(capture);
});

afterEach(() => {
  vi.restoreAllMocks();
});

function report(...deliveries: DeliveryResult[]): void {
  const reporter = createReporter({
    logger: createLogger("notifications-test"),
    metrics: new Metrics({ namespace: "paybus-test", serviceName: "notifications-test" }),
    slaSeconds: 60,
  });
  reporter({ kind: "attempted", notice, locale: "en-US", deliveries });
}

const sent = (delaySeconds: number): DeliveryResult => ({
  channel: "email",
  target: "email",
  status: "sent",
  messageId: "m-1",
  delaySeconds,
});

describe("createReporter", () => {
  it("emits the delay from detail.created to the send as an EMF metric per channel", () => {
    // Act
    report(sent(12.5));

    // Assert
    const delay = lines.find((line) => "NotificationDelay" in line);
    expect(delay).toMatchObject({
      NotificationDelay: 12.5,
      channel: "email",
      _aws: { CloudWatchMetrics: [{ Namespace: "paybus-test", Metrics: [{ Name: "NotificationDelay", Unit: "Seconds" }] }] },
    });
    expect(lines).toContainEqual(expect.objectContaining({ message: "notification sent", delaySeconds: 12.5, ...notice }));
  });

  it.each([
    [60, false],
    [60.001, true],
  ])("after %s s warns: %s", (delaySeconds, warns) => {
    // Act
    report(sent(delaySeconds));

    // Assert
    const warning = lines.find((line) => line.message === "notification sent later than the SLA");
    expect(warning !== undefined).toBe(warns);
  });

  it("warns about an unusable endpoint and counts failures without failing itself", () => {
    // Act
    report(
      { channel: "push", target: "push#arn:1", status: "undeliverable", reason: "endpoint-disabled" },
      { channel: "email", target: "email", status: "failed", error: new Error("Rate exceeded") },
    );

    // Assert
    expect(lines).toContainEqual(
      expect.objectContaining({ level: "WARN", message: "push endpoint unusable: recorded, not retried", reason: "endpoint-disabled" }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ NotificationsUndeliverable: 1, channel: "push" }));
    expect(lines).toContainEqual(expect.objectContaining({ NotificationSendFailures: 1, channel: "email" }));
  });

  it("counts skipped notices with their reason in the log", () => {
    // Arrange
    const outcome: NotifyOutcome = { kind: "skipped", notice, reason: "nothing was charged" };
    const reporter = createReporter({
      logger: createLogger("notifications-test"),
      metrics: new Metrics({ namespace: "paybus-test", serviceName: "notifications-test" }),
    });

    // Act
    reporter(outcome);

    // Assert
    expect(lines).toContainEqual(expect.objectContaining({ message: "notice skipped", reason: "nothing was charged" }));
    expect(lines).toContainEqual(expect.objectContaining({ NotificationsSkipped: 1 }));
  });
});
