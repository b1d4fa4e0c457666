/**
 * Lambda entry point of the lifecycle notices (queue `lifecycle`): wiring only. Each SQS record goes
 * to {@link notifyLifecycle}; failures are reported per record by the shared batch handler.
 */
import { NOTIFICATION_DELAY_METRIC } from "../common/metrics.ts";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { createMetrics } from "../common/immediate-metrics.ts";
import { sqsBatchHandler } from "../common/batch.ts";
import { invocationOf } from "../common/invocation.ts";
import { dynamo } from "../common/clients/dynamodb.ts";
import { ses } from "../common/clients/ses.ts";
import { sns } from "../common/clients/sns.ts";
import { createLogger } from "../common/logger.ts";
import { getProfile } from "../common/profiles.ts";
import { awsChannels } from "../notifications/channels.ts";
import { SLA_SECONDS } from "../notifications/config.ts";
import { dynamoDeliveryClaims, invoiceRecordedPaid } from "../notifications/store.ts";
import { loadConfig } from "./config.ts";
import { notifyLifecycle, type LifecycleDependencies, type LifecycleOutcome } from "./core.ts";
import { lifecycleNotices } from "./notices/index.ts";

const logger = createLogger("lifecycle");
// Same service as the invoice notices: one NotificationDelay alarm per channel covers both.
const metrics = createMetrics("notifications");

/** Logs every outcome (ids only) and emits the same `NotificationDelay` metric as the invoice notices. */
function report(outcome: LifecycleOutcome): void {
  if (outcome.kind !== "attempted") {
    logger.info(`lifecycle notice ${outcome.kind}`, { ...outcome });
    return;
  }
  for (const delivery of outcome.deliveries) {
    const details = { ...outcome.fact, channel: delivery.channel, status: delivery.status };
    if (delivery.status === "sent") {
      const single = metrics.singleMetric();
      single.addDimension("channel", delivery.channel);
      single.addMetric(NOTIFICATION_DELAY_METRIC, MetricUnit.Seconds, delivery.delaySeconds);
      if (delivery.delaySeconds > SLA_SECONDS) logger.warn("lifecycle notice sent late", { ...details, delaySeconds: delivery.delaySeconds });
      else logger.info("lifecycle notice sent", { ...details, delaySeconds: delivery.delaySeconds });
    } else if (delivery.status === "failed") {
      logger.warn("lifecycle notice send failed", details);
    } else {
      logger.info("lifecycle notice not sent", details);
    }
  }
}

let built: LifecycleDependencies | undefined;
function dependencies(): LifecycleDependencies {
  if (built) return built;
  const config = loadConfig(lifecycleNotices);
  const now = Date.now;
  built = {
    notices: lifecycleNotices,
    claims: dynamoDeliveryClaims({
      client: dynamo(),
      tableName: config.notificationsTable,
      retentionSeconds: config.retentionSeconds,
      leaseSeconds: config.sendLeaseSeconds,
      now,
    }),
    profiles: (customerId) => getProfile(customerId, { client: dynamo(), tableName: config.profilesTable }),
    invoicePaid: (invoiceId) => invoiceRecordedPaid({ client: dynamo(), tableName: config.notificationsTable }, invoiceId),
    channels: awsChannels({ ses: ses(), sns: sns() }, config.emailFrom),
    config,
    now,
    report,
  };
  return built;
}

/** SQS batch handler with partial batch failures. */
export const handler = sqsBatchHandler(logger, (record, context) => notifyLifecycle(record.body, dependencies(), invocationOf(context)));
