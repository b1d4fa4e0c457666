/**
 * Lambda entry point of the notifications consumer (queue `notifications`): wiring only. Each SQS
 * record goes to {@link notify}; failures are reported per record by the shared batch handler.
 */
import { createMetrics } from "../common/immediate-metrics.ts";
import { sqsBatchHandler } from "../common/batch.ts";
import { dynamo } from "../common/clients/dynamodb.ts";
import { ses } from "../common/clients/ses.ts";
import { sns } from "../common/clients/sns.ts";
import { invocationOf } from "../common/invocation.ts";
import { createLogger } from "../common/logger.ts";
import { getProfile } from "../common/profiles.ts";
import { dynamoContactStore } from "../customers/contact.ts";
import { awsChannels } from "./channels.ts";
import { loadConfig } from "./config.ts";
import { notify, type NotifyDependencies } from "./core.ts";
import { dynamoNotificationStore } from "./store.ts";
import { createReporter } from "./telemetry.ts";

const logger = createLogger("notifications");
const metrics = createMetrics("notifications");

let built: NotifyDependencies | undefined;
// Built on first use, once per execution environment: a bad environment then fails records (and
// says why in the log) instead of the import.
function dependencies(): NotifyDependencies {
  if (built) return built;
  const config = loadConfig();
  const now = Date.now;
  built = {
    store: dynamoNotificationStore({
      client: dynamo(),
      tableName: config.notificationsTable,
      retentionSeconds: config.retentionSeconds,
      leaseSeconds: config.sendLeaseSeconds,
      now,
    }),
    profiles: (customerId) => getProfile(customerId, { client: dynamo(), tableName: config.profilesTable }),
    channels: awsChannels({ ses: ses(), sns: sns() }, config.emailFrom),
    config,
    now,
    report: createReporter({ logger, metrics }),
    contacts: dynamoContactStore({ client: dynamo(), tableName: config.profilesTable }, now),
  };
  return built;
}

/** SQS batch handler with partial batch failures. */
export const handler = sqsBatchHandler(logger, (record, context) => notify(record.body, dependencies(), invocationOf(context)));
