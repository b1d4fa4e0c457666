/**
 * The plan's alarms against the EMF the functions really emit: an alarm whose namespace, metric or
 * dimension set differs from the emitted one by a single character never fires, and nothing else
 * would notice.
 */
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_MAX_ENTRY_BYTES } from "../../functions/ingest/config.ts";
import { createWebhookHandler } from "../../functions/ingest/handler.ts";
import { SIGNED_AT, sign, stripeEvent, testConfig, webhookBody } from "../support/webhook.ts";
import { createReporter } from "../../functions/notifications/telemetry.ts";
import { createLogger } from "../../functions/common/logger.ts";
import { buildPlan, type AlarmPlan, type FunctionPlan } from "../../stacks/plan.ts";
import { customStage } from "../support/stages.ts";

const plan = buildPlan(customStage);

interface Emf {
  readonly _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  readonly [key: string]: unknown;
}

/** The EMF documents written to stdout while `run` runs (stderr, the functions' error logs, is muted). */
async function emittedMetrics(run: () => unknown): Promise<Emf[]> {
  const lines: string[] = [];
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split("\n").filter((line) => line.trim() !== ""));
    return true;
  });
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    await run();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((doc): doc is Emf => "_aws" in doc);
}

/** Whether CloudWatch would feed `doc` into `alarm`: same namespace, metric and exact dimension set. */
function feeds(alarm: AlarmPlan, doc: Emf): boolean {
  const expected = Object.entries(alarm.dimensions).map(([key, template]) => [key, template.join("")]);
  return doc._aws.CloudWatchMetrics.some(
    (directive) =>
      directive.Namespace === alarm.namespace &&
      directive.Metrics.some((metric) => metric.Name === alarm.metricName) &&
      directive.Dimensions.some(
        (set) =>
          [...set].sort().join() === expected.map(([key]) => key).sort().join() &&
          expected.every(([key, value]) => doc[key!] === value),
      ),
  );
}

function alarm(logicalName: string): AlarmPlan {
  const found = plan.alarms.find((candidate) => candidate.logicalName === logicalName);
  if (!found) throw new Error(`no alarm ${logicalName}`);
  return found;
}

function functionPlan(logicalName: string): FunctionPlan {
  const found = plan.functions.find((candidate) => candidate.logicalName === logicalName);
  if (!found) throw new Error(`no function ${logicalName}`);
  return found;
}

const savedEnv = { ...process.env };
afterEach(() => {
  process.env = { ...savedEnv };
});

/** The environment the plan gives a function (its literal values: enough for Powertools). */
function useEnvironmentOf(fn: FunctionPlan): void {
  for (const [key, template] of Object.entries(fn.environment)) {
    if (template.every((part) => typeof part === "string")) process.env[key] = template.join("");
  }
}

describe("alarms match the metrics the functions emit", () => {
  it("feeds the per-channel SLA alarms from the notifications reporter's delay metric", async () => {
    useEnvironmentOf(functionPlan("NotificationsConsumer"));
    const report = createReporter({ logger: createLogger("notifications"), metrics: new Metrics() });
    const notice = { invoiceId: "in_1", key: "paid", eventId: "evt_1", eventCreated: 1_785_751_200 };

    const docs = await emittedMetrics(() =>
      report({
        kind: "attempted",
        notice,
        locale: "en-US",
        deliveries: [
          { channel: "email", target: "email", status: "sent", messageId: "m-1", delaySeconds: 4 },
          { channel: "push", target: "push#arn:aws:sns:eu-west-1:1:endpoint/GCM/app/1", status: "sent", messageId: "m-2", delaySeconds: 5 },
        ],
      }),
    );

    const email = alarm("NotificationSlaEmail");
    const push = alarm("NotificationSlaPush");
    expect(docs.filter((doc) => feeds(email, doc)).map((doc) => doc[email.metricName])).toEqual([4]);
    expect(docs.filter((doc) => feeds(push, doc)).map((doc) => doc[push.metricName])).toEqual([5]);
  });

  it("feeds OversizedWebhookEvents from the webhook bridge refusing an event too large for EventBridge", async () => {
    const event = stripeEvent("03");
    event.data.object.description = "x".repeat(DEFAULT_MAX_ENTRY_BYTES);
    const body = webhookBody(event);
    const request = {
      version: "2.0",
      routeKey: "$default",
      rawPath: "/",
      rawQueryString: "",
      headers: { "content-type": "application/json", "stripe-signature": sign(body) },
      requestContext: { http: { method: "POST", path: "/" }, timeEpoch: (SIGNED_AT + 1) * 1000 },
      body,
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2;
    const bridge = createWebhookHandler(testConfig());

    const docs = await emittedMetrics(() => bridge(request));

    const oversized = alarm("OversizedWebhookEvents");
    expect(docs.filter((doc) => feeds(oversized, doc)).map((doc) => doc[oversized.metricName])).toEqual([1]);
  });
});
