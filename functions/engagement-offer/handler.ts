/** Lambda entry point of the `EngagementOffer` task (see workflows/index.ts). */
import { createLogger } from "../common/logger.ts";
import { loyaltyTable, taskHandler } from "../../workflows/task.ts";
import { applyOffer, offerRequest } from "./core.ts";

const logger = createLogger("engagement-offer");

export const handler = taskHandler(logger, offerRequest, async (request) => {
  const outcome = await applyOffer(request, loyaltyTable());
  logger.info("tier offer", { customerId: request.customerId, applied: outcome.applied, code: outcome.offer.code });
  return outcome;
});
