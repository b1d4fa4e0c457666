/**
 * Lambda entry point of the VIP push consumer (queue `loyaltyVip`, rule `LoyaltyTierChangedVip`:
 * `TierChanged` events from `paybus.loyalty`): SQS batch in, partial batch failures out.
 */
import { dynamo } from "../common/clients/dynamodb.ts";
import { ses } from "../common/clients/ses.ts";
import { sns } from "../common/clients/sns.ts";
import { sqsBatchHandler } from "../common/batch.ts";
import { createLogger } from "../common/logger.ts";
import { tableName } from "../common/tables.ts";
import { LOYALTY_VIP_TIMEOUT_SECONDS } from "../common/timeouts.ts";
import { awsChannels } from "../notifications/channels.ts";
import { processVipMessage } from "./core.ts";
import { invocationOf } from "../common/invocation.ts";

const logger = createLogger("loyalty-vip");

export const handler = sqsBatchHandler(logger, async (record, context) => {
  const outcome = await processVipMessage(record.body, {
    invocation: invocationOf(context),
    // Only the push channel is used here: the promotion's email is the engagement workflow's.
    channels: awsChannels({ sns: sns(), ses: ses() }, ""),
    profiles: { client: dynamo(), tableName: tableName("profiles") },
    claims: { client: dynamo(), tableName: tableName("loyalty") },
    leaseSeconds: LOYALTY_VIP_TIMEOUT_SECONDS,
  });
  logger.info("vip notification", { ...outcome });
  return outcome;
});
