/**
 * What operators see: one log line per send (never the address or the name), and EMF metrics —
 * above all `NotificationDelay`, the seconds from Stripe's `detail.created` to the send, against the
 * one-minute SLA.
 */
import { NOTIFICATION_DELAY_METRIC } from "../common/metrics.ts";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import type { MetricUnit as MetricUnitValue } from "@aws-lambda-powertools/metrics/types";
import { SLA_SECONDS } from "./config.ts";
import { describeError, type DeliveryResult, type NoticeRef, type NotifyOutcome } from "./core.ts";

export interface ReporterOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly slaSeconds?: number;
}

/** Emits one metric now (a count unless told otherwise), with the channel as a dimension so dashboards can split email and push. */
function emitMetric(metrics: Metrics, name: string, channel: string, unit: MetricUnitValue = MetricUnit.Count, value = 1): void {
  const single = metrics.singleMetric();
  single.addDimension("channel", channel);
  single.addMetric(name, unit, value);
}

function reportDelivery(notice: NoticeRef, result: DeliveryResult, options: ReporterOptions): void {
  const { logger, metrics } = options;
  const context = { ...notice, channel: result.channel, target: result.target };
  switch (result.status) {
    case "sent": {
      emitMetric(metrics, NOTIFICATION_DELAY_METRIC, result.channel, MetricUnit.Seconds, result.delaySeconds);
      emitMetric(metrics, "NotificationsSent", result.channel);
      logger.info("notification sent", { ...context, messageId: result.messageId, delaySeconds: result.delaySeconds });
      const sla = options.slaSeconds ?? SLA_SECONDS;
      if (result.delaySeconds > sla) {
        logger.warn("notification sent later than the SLA", { ...context, delaySeconds: result.delaySeconds, slaSeconds: sla });
      }
      return;
    }
    case "duplicate":
      emitMetric(metrics, "NotificationsDuplicate", result.channel);
      logger.info("notification already handled", { ...context, previously: result.previously });
      return;
    case "undeliverable":
      emitMetric(metrics, "NotificationsUndeliverable", result.channel);
      logger.warn("push endpoint unusable: recorded, not retried", { ...context, reason: result.reason });
      return;
    case "failed": {
      emitMetric(metrics, "NotificationSendFailures", result.channel);
      // Not the error itself: its stack repeats a message that may quote the address.
      logger.warn("notification send failed", { ...context, ...describeError(result.error) });
      return;
    }
  }
}

/** A `report` for the core that logs and emits metrics for every outcome. */
export function createReporter(options: ReporterOptions): (outcome: NotifyOutcome) => void {
  const { logger, metrics } = options;
  return (outcome) => {
    switch (outcome.kind) {
      case "ignored":
        logger.info("event ignored", { eventId: outcome.eventId, reason: outcome.reason });
        return;
      case "skipped":
        emitMetric(metrics, "NotificationsSkipped", "none");
        logger.info("notice skipped", { ...outcome.notice, reason: outcome.reason });
        return;
      case "attempted":
        for (const result of outcome.deliveries) reportDelivery(outcome.notice, result, options);
        return;
    }
  };
}
