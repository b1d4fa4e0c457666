/**
 * Lambda entry point of the spending-milestone consumer (queue `loyaltyMilestones`, rule
 * `LoyaltySpendingMilestones`: `PointsAwarded` events from `paybus.loyalty`).
 */
import { dynamo } from "../common/clients/dynamodb.ts";
import { ses } from "../common/clients/ses.ts";
import { sqsBatchHandler } from "../common/batch.ts";
import { EMAIL_FROM_ENV } from "../common/environment.ts";
import { createLogger } from "../common/logger.ts";
import { tableName } from "../common/tables.ts";
import { LOYALTY_MILESTONES_TIMEOUT_SECONDS } from "../common/timeouts.ts";
import { DEFAULT_EMAIL_FROM } from "../engagement-email/config.ts";
import { loadLoyaltyConfig, type LoyaltyConfig } from "../loyalty/config.ts";
import { processMilestoneMessage } from "./core.ts";
import { invocationOf } from "../common/invocation.ts";

const logger = createLogger("loyalty-milestones");
let config: LoyaltyConfig | undefined;

export const handler = sqsBatchHandler(logger, async (record, context) => {
  const outcome = await processMilestoneMessage(record.body, {
    invocation: invocationOf(context),
    config: (config ??= loadLoyaltyConfig()),
    table: { client: dynamo(), tableName: tableName("loyalty") },
    profiles: { client: dynamo(), tableName: tableName("profiles") },
    ses: ses(),
    from: process.env[EMAIL_FROM_ENV] || DEFAULT_EMAIL_FROM,
    leaseSeconds: LOYALTY_MILESTONES_TIMEOUT_SECONDS,
  });
  logger.info("spending milestones", { ...outcome });
  return outcome;
});
