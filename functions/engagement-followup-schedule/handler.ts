/** Lambda entry point of the `FollowupSchedule` task (`lambda:invoke.waitForTaskToken`, see workflows/index.ts). */
import { createLogger } from "../common/logger.ts";
import { loyaltyTable, taskHandler } from "../common/task.ts";
import { followupRequest, scheduleFollowup } from "./core.ts";

const logger = createLogger("engagement-followup-schedule");

export const handler = taskHandler(logger, followupRequest, async (request) => {
  const outcome = await scheduleFollowup(request, Date.now() / 1000, loyaltyTable());
  logger.info("follow-up scheduled", { executionName: request.executionName, dueAt: outcome.dueAt });
  return outcome;
});
