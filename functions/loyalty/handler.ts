/**
 * Lambda entry point of the loyalty consumer (queue `loyalty`, rules `LoyaltyAccrual` and
 * `LoyaltyReversal`): SQS batch in, partial batch failures out; the logic is in `core.ts`.
 */
import { createMetrics } from "../common/immediate-metrics.ts";
import { dynamo } from "../common/clients/dynamodb.ts";
import { eventBridge } from "../common/clients/eventbridge.ts";
import { sfn } from "../common/clients/sfn.ts";
import { sqsBatchHandler } from "../common/batch.ts";
import { createLogger } from "../common/logger.ts";
import { tableName } from "../common/tables.ts";
import { dynamoContactStore, rememberingContactStore } from "../customers/contact.ts";
import { loadLoyaltyConfig, lotExpirySeconds } from "./config.ts";
import { processLoyaltyMessage, type LoyaltyDeps } from "./core.ts";
import { engagementStateMachineArn } from "./engagement.ts";
import { LoyaltyLedger } from "./ledger.ts";
import { CachedPromotions, promotionsCacheSeconds, PromotionStore } from "./promotions.ts";
import { eventBusName } from "./publish.ts";

const logger = createLogger("loyalty");
const metrics = createMetrics("loyalty");

let deps: LoyaltyDeps | undefined;
/** Built on first use, so that importing the module (tests, the local runtime) needs no environment. */
function dependencies(): LoyaltyDeps {
  if (deps) return deps;
  const config = loadLoyaltyConfig();
  const ledger = new LoyaltyLedger(dynamo(), tableName("loyalty"), { lotExpirySeconds: lotExpirySeconds(config) });
  return (deps = {
    config,
    ledger,
    publish: { eventBridge: eventBridge(), eventBusName: eventBusName(), ledger },
    sfn: sfn(),
    stateMachineArn: engagementStateMachineArn(),
    logger,
    // Returning customers cost no stub write: remembered per execution environment (exact, see there).
    contacts: rememberingContactStore(dynamoContactStore({ client: dynamo(), tableName: tableName("profiles") })),
    // One cache per execution environment: a window added through the API applies within the cache time.
    promotions: new CachedPromotions(new PromotionStore(dynamo(), tableName("promotions")), promotionsCacheSeconds()),
    metrics,
  });
}

export const handler = sqsBatchHandler(logger, (record) => processLoyaltyMessage(record.body, dependencies()));
