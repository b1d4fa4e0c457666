/**
 * Alarms: a depth alarm per dead-letter queue (and the routing DLQ), the service-level alarms of
 * the functions the stage deploys (notification delay, points commit delay, oversized webhooks),
 * and the failures of the functions no queue watches (function URLs, scheduled functions).
 */
import type { StageConfig } from "../stage-config.ts";
import {
  METRICS_NAMESPACE,
  NOTIFICATION_CHANNELS,
  NOTIFICATION_DELAY_METRIC,
  OVERSIZED_WEBHOOK_EVENTS_METRIC,
  POINTS_COMMIT_ALARM_MS,
  POINTS_COMMIT_DELAY_METRIC,
  WEBHOOK_BRIDGE,
} from "./constants.ts";
import { pascalCase, ROUTING_DLQ } from "./names.ts";
import type { AlarmPlan, FunctionPlan, QueuePlan } from "./shapes.ts";

/** The alarms of one stage, from its planned queues and functions. */
export function alarmsFor(queues: readonly QueuePlan[], functions: readonly FunctionPlan[], stage: StageConfig): AlarmPlan[] {
  const depth = (logicalName: string, queueLogical: string, what: string): AlarmPlan => ({
    logicalName,
    description: `${what} holds messages: inspect them, fix the cause, then redrive.`,
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: [{ nameOf: { kind: "queue", queue: queueLogical } }] },
    statistic: { kind: "statistic", name: "Maximum" },
    comparison: "GreaterThanThreshold",
    threshold: 0,
    periodSeconds: 60,
    evaluationPeriods: 1,
    treatMissingData: "notBreaching",
  });
  const alarms = [
    ...queues.map((queue) => depth(`${queue.deadLetter.logicalName}Depth`, queue.deadLetter.logicalName, `The ${queue.queue} DLQ`)),
    depth(`${ROUTING_DLQ}Depth`, ROUTING_DLQ, "The routing DLQ (events EventBridge could not deliver)"),
  ];
  const notifications = functions.find((fn) => fn.context === "notifications");
  if (notifications) {
    for (const channel of stage.push ? NOTIFICATION_CHANNELS : NOTIFICATION_CHANNELS.filter((c) => c !== "push")) {
      alarms.push({
        logicalName: `NotificationSla${pascalCase(channel)}`,
        description: `p99 delay from Stripe event to ${channel} notification above ${stage.notificationSlaSeconds} s.`,
        namespace: METRICS_NAMESPACE,
        metricName: NOTIFICATION_DELAY_METRIC,
        // Powertools adds the service (POWERTOOLS_SERVICE_NAME) to every metric; the function adds the channel.
        dimensions: { service: notifications.environment.POWERTOOLS_SERVICE_NAME!, channel: [channel] },
        statistic: { kind: "percentile", name: "p99" },
        comparison: "GreaterThanThreshold",
        threshold: stage.notificationSlaSeconds,
        periodSeconds: 300,
        evaluationPeriods: 1,
        treatMissingData: "notBreaching",
      });
    }
  }
  const loyalty = functions.find((fn) => fn.handler === "functions/loyalty/handler.handler");
  if (loyalty) {
    alarms.push({
      logicalName: "PointsCommitSla",
      description: `p95 delay from Stripe event to committed loyalty balance above ${POINTS_COMMIT_ALARM_MS} ms (the 200 ms promise plus the 1 s resolution of Stripe's created).`,
      namespace: METRICS_NAMESPACE,
      metricName: POINTS_COMMIT_DELAY_METRIC,
      dimensions: { service: loyalty.environment.POWERTOOLS_SERVICE_NAME! },
      statistic: { kind: "percentile", name: "p95" },
      comparison: "GreaterThanThreshold",
      threshold: POINTS_COMMIT_ALARM_MS,
      periodSeconds: 300,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    });
  }
  alarms.push(...functionAlarms(functions));
  const bridge = functions.find((fn) => fn.logicalName === WEBHOOK_BRIDGE);
  if (bridge) {
    alarms.push({
      logicalName: "OversizedWebhookEvents",
      description: "The webhook bridge refused Stripe events too large for EventBridge: they never reached the bus.",
      namespace: METRICS_NAMESPACE,
      metricName: OVERSIZED_WEBHOOK_EVENTS_METRIC,
      dimensions: { service: bridge.environment.POWERTOOLS_SERVICE_NAME! },
      statistic: { kind: "statistic", name: "Sum" },
      comparison: "GreaterThanThreshold",
      threshold: 0,
      periodSeconds: 300,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    });
  }
  return alarms;
}

/**
 * Alarms of the functions no queue watches. A queue's consumer fails into its DLQ (depth alarm);
 * a function URL answers its caller, so its failures are the 5xx it returns (`Url5xxCount`: handled
 * 500s, crashes and timeouts alike) and the requests Lambda throttled (`Throttles`: the reserved
 * concurrency reached); a scheduled function's failures are its `Errors` (the next run retries, so
 * one alarm a period is enough to say a run failed).
 */
function functionAlarms(functions: readonly FunctionPlan[]): AlarmPlan[] {
  const lambda = (fn: FunctionPlan, suffix: string, metricName: string, description: string): AlarmPlan => ({
    logicalName: `${fn.logicalName}${suffix}`,
    description: `${fn.logicalName}: ${description}`,
    namespace: "AWS/Lambda",
    metricName,
    dimensions: {},
    functionName: fn.logicalName,
    statistic: { kind: "statistic", name: "Sum" },
    comparison: "GreaterThanThreshold",
    threshold: 0,
    periodSeconds: 300,
    evaluationPeriods: 1,
    treatMissingData: "notBreaching",
  });
  return functions.flatMap((fn) => {
    if (fn.trigger.kind === "url") {
      return [
        lambda(fn, "Url5xx", "Url5xxCount", "its function URL answered 5xx (a failure, crash or timeout): see the function's logs."),
        lambda(fn, "Throttles", "Throttles", "requests were throttled (the concurrency limit was reached): callers got 429."),
      ];
    }
    if (fn.trigger.kind === "schedule") return [lambda(fn, "Errors", "Errors", "a scheduled run failed: see the function's logs; the next run retries.")];
    return [];
  });
}
