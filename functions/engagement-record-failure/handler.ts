/** Lambda entry point of the `EngagementRecordFailure` task (see workflows/index.ts). */
import { createLogger } from "../common/logger.ts";
import { loyaltyTable, taskHandler } from "../common/task.ts";
import { failureRequest, recordFailure } from "./core.ts";

const logger = createLogger("engagement-record-failure");

export const handler = taskHandler(logger, failureRequest, async (request) => {
  logger.error("engagement workflow failed", { executionName: request.executionName, purchaseId: request.purchaseId, error: request.error.Error });
  return recordFailure(request, loyaltyTable());
});
