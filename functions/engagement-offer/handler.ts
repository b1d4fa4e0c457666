/** Lambda entry point of the `EngagementOffer` task (see workflows/index.ts): the tier reward, in Stripe. */
import { dynamo } from "../common/clients/dynamodb.ts";
import { createLogger } from "../common/logger.ts";
import { tableName } from "../common/tables.ts";
import { stripeClient } from "../common/stripe.ts";
import { loyaltyTable, taskHandler } from "../common/task.ts";
import { applyOffer, offerRequest } from "./core.ts";
import { loadTierRewardsConfig, type TierRewardsConfig } from "./rewards.ts";

const logger = createLogger("engagement-offer");
let config: TierRewardsConfig | undefined;

export const handler = taskHandler(logger, offerRequest, async (request) => {
  const outcome = await applyOffer(request, {
    table: loyaltyTable(),
    profiles: { client: dynamo(), tableName: tableName("profiles") },
    config: (config ??= loadTierRewardsConfig()),
    stripe: () => stripeClient(),
  });
  logger.info("tier reward", { customerId: request.customerId, tier: request.newTier, applied: outcome.applied, kind: outcome.reward.kind });
  return outcome;
});
