/** Lambda entry point of the `EngagementEmail` task (see workflows/index.ts). */
import { createLogger } from "../common/logger.ts";
import { stateMachines } from "../../workflows/index.ts";
import { taskHandler } from "../../workflows/task.ts";
import { emailDepsFromEnvironment } from "./config.ts";
import { engagementEmailRequest, sendEngagementEmail, type EmailDeps } from "./core.ts";

const logger = createLogger("engagement-email");
let deps: EmailDeps | undefined;

export const handler = taskHandler(logger, engagementEmailRequest, async (request, context) => {
  const invocation = context && { remainingMs: () => context.getRemainingTimeInMillis() };
  const outcome = await sendEngagementEmail(request, (deps ??= emailDepsFromEnvironment(stateMachines.engagement.functions.EngagementEmail.timeoutSeconds)), invocation);
  logger.info("engagement email", { template: request.template, executionName: request.executionName, ...outcome });
  return outcome;
});
