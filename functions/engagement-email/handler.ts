/** Lambda entry point of the `EngagementEmail` task (see workflows/index.ts). */
import { invocationOf } from "../common/invocation.ts";
import { createLogger } from "../common/logger.ts";
import { taskHandler } from "../common/task.ts";
import { ENGAGEMENT_EMAIL_TIMEOUT_SECONDS } from "../common/timeouts.ts";
import { emailDepsFromEnvironment } from "./config.ts";
import { engagementEmailRequest, sendEngagementEmail, type EmailDeps } from "./core.ts";

const logger = createLogger("engagement-email");
let deps: EmailDeps | undefined;

export const handler = taskHandler(logger, engagementEmailRequest, async (request, context) => {
  const outcome = await sendEngagementEmail(request, (deps ??= emailDepsFromEnvironment(ENGAGEMENT_EMAIL_TIMEOUT_SECONDS)), invocationOf(context));
  logger.info("engagement email", { template: request.template, executionName: request.executionName, ...outcome });
  return outcome;
});
