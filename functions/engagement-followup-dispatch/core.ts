/**
 * Sends the follow-up campaigns that are due and completes their workflow tasks. Runs on a
 * schedule in AWS; `now` is a parameter, so the local runtime can send everything at once ("send
 * now": pass a time 72 h ahead) or run on a scaled clock.
 */
import { SendTaskSuccessCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { DeleteCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { TaskTable } from "../common/task.ts";
import { sendEngagementEmail, type EmailDeps } from "../engagement-email/core.ts";
import { FOLLOWUP_PARTITION, followupSortKey, type ScheduledFollowup } from "../engagement-followup-schedule/core.ts";
import type { InvocationBounds } from "../common/invocation.ts";

export interface DispatchDeps {
  readonly table: TaskTable;
  readonly sfn: SFNClient;
  readonly email: EmailDeps;
  readonly logger: Logger;
}

export interface DispatchSummary {
  /** Follow-ups whose task was completed. */
  readonly completed: number;
  /** Follow-ups whose workflow no longer waits (timed out, stopped, or a superseded token): dropped. */
  readonly expired: number;
  /** Follow-ups left for the next run after a failure. */
  readonly failed: number;
}

/** The task token can never be completed: the workflow timed out, was stopped, or retried the task. */
const DEAD_TOKEN_ERRORS = new Set(["TaskTimedOut", "InvalidToken", "TaskDoesNotExist"]);

async function dueFollowups(table: TaskTable, nowSeconds: number, limit: number): Promise<ScheduledFollowup[]> {
  const { Items = [] } = await table.client.send(
    new QueryCommand({
      TableName: table.tableName,
      KeyConditionExpression: "pk = :pk AND sk <= :last",
      // `~` sorts after every execution name character, so everything due up to `now` is included.
      ExpressionAttributeValues: { ":pk": FOLLOWUP_PARTITION, ":last": followupSortKey(Math.floor(nowSeconds), "~") },
      Limit: limit,
      ConsistentRead: true,
    }),
  );
  return Items as ScheduledFollowup[];
}

/** Sends one follow-up and completes its task; returns what became of it. */
async function dispatchOne(followup: ScheduledFollowup, deps: DispatchDeps, invocation: InvocationBounds | undefined): Promise<"completed" | "expired"> {
  const email = await sendEngagementEmail({ ...followup, template: "follow-up" }, deps.email, invocation);
  deps.logger.info("follow-up email", { executionName: followup.executionName, ...email });
  try {
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: followup.taskToken, output: JSON.stringify({ email }) }));
    return "completed";
  } catch (error) {
    if (!DEAD_TOKEN_ERRORS.has((error as { name?: string }).name ?? "")) throw error;
    deps.logger.warn("follow-up task no longer waiting", { executionName: followup.executionName, error });
    return "expired";
  }
}

/**
 * Dispatches every follow-up due at `nowSeconds` (up to `limit` per run). A follow-up that fails
 * stays stored and is tried again on the next run; the others go ahead. With the run's `invocation`,
 * no email starts once too little of it is left to record the send (those wait for the next run).
 */
export async function dispatchDueFollowups(nowSeconds: number, deps: DispatchDeps, limit = 100, invocation?: InvocationBounds): Promise<DispatchSummary> {
  const counts = { completed: 0, expired: 0, failed: 0 };
  for (const followup of await dueFollowups(deps.table, nowSeconds, limit)) {
    try {
      counts[await dispatchOne(followup, deps, invocation)]++;
      await deps.table.client.send(
        new DeleteCommand({
          TableName: deps.table.tableName,
          Key: { pk: FOLLOWUP_PARTITION, sk: followupSortKey(followup.dueAt, followup.executionName) },
        }),
      );
    } catch (error) {
      counts.failed++;
      deps.logger.error("follow-up failed; retried on the next run", { executionName: followup.executionName, error });
    }
  }
  return counts;
}
