/**
 * Lambda entry point of `FollowupDispatch` (scheduled, see workflows/index.ts). The scheduled
 * event's `time` is "now": invoking it with a later `time` sends what is due by then, which is how
 * the local runtime sends a 72-hour follow-up at once.
 */
import type { Context, ScheduledEvent } from "aws-lambda";
import { invocationOf } from "../common/invocation.ts";
import { createLogger } from "../common/logger.ts";
import { sfn } from "../common/clients/sfn.ts";
import { loyaltyTable } from "../common/task.ts";
import { FOLLOWUP_DISPATCH_TIMEOUT_SECONDS } from "../common/timeouts.ts";
import { emailDepsFromEnvironment } from "../engagement-email/config.ts";
import { dispatchDueFollowups, type DispatchDeps } from "./core.ts";

const logger = createLogger("engagement-followup-dispatch");
let deps: DispatchDeps | undefined;

export async function handler(event: Partial<Pick<ScheduledEvent, "time">>, context?: Context) {
  const at = event.time ? Date.parse(event.time) : Date.now();
  const summary = await dispatchDueFollowups(
    (Number.isNaN(at) ? Date.now() : at) / 1000,
    (deps ??= { table: loyaltyTable(), sfn: sfn(), email: emailDepsFromEnvironment(FOLLOWUP_DISPATCH_TIMEOUT_SECONDS), logger }),
    undefined,
    invocationOf(context),
  );
  logger.info("follow-ups dispatched", { ...summary });
  return summary;
}
