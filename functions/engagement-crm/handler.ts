/** Lambda entry point of the `EngagementCrm` task (see workflows/index.ts). */
import { createLogger } from "../common/logger.ts";
import { loyaltyTable, taskHandler } from "../common/task.ts";
import { crmUpdateRequest, updateCrmProfile } from "./core.ts";

const logger = createLogger("engagement-crm");

export const handler = taskHandler(logger, crmUpdateRequest, async (request) => {
  const outcome = await updateCrmProfile(request, loyaltyTable());
  logger.info("crm profile", { customerId: request.customerId, newTier: request.newTier, ...outcome });
  return outcome;
});
