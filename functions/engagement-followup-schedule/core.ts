/**
 * The follow-up campaign's wait: the workflow's `.waitForTaskToken` task hands its token here, and
 * it is stored with the time the follow-up is due. The dispatcher
 * (`functions/engagement-followup-dispatch`) sends what is due and completes the task.
 *
 * Pending follow-ups share one partition (`FOLLOWUP`), sorted by due time, so the dispatcher finds
 * everything due with one Query. Volume is one item per tier upgrade or high-value purchase.
 */
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { purchaseFacts } from "../../events/engagement-input.ts";
import type { TaskTable } from "../common/task.ts";

export const FOLLOWUP_PARTITION = "FOLLOWUP";

/** The payload the ASL sends to the `FollowupSchedule` task. */
export const followupRequest = purchaseFacts.extend({
  taskToken: z.string().min(1),
  executionName: z.string().min(1),
  /** How long after scheduling the follow-up goes out (the ASL says 72 h). */
  delaySeconds: z.number().int().nonnegative(),
});
export type FollowupRequest = z.infer<typeof followupRequest>;

/** A stored follow-up: the request and when it is due (epoch seconds). */
export type ScheduledFollowup = Omit<FollowupRequest, "delaySeconds"> & { readonly dueAt: number };

/** Sort keys compare as strings, so the due time is zero-padded: `000001786012345#purchase-pi_…`. */
export function followupSortKey(dueAt: number, executionName: string): string {
  return `${String(dueAt).padStart(12, "0")}#${executionName}`;
}

/**
 * Stores the follow-up. A retried task gets a new token and stores a second item; the dispatcher
 * completes the live token and drops the dead one, and the email is claimed once per execution.
 */
export async function scheduleFollowup(request: FollowupRequest, nowSeconds: number, table: TaskTable): Promise<{ readonly dueAt: number }> {
  const { delaySeconds, ...followup } = request;
  const dueAt = Math.floor(nowSeconds) + delaySeconds;
  const item: ScheduledFollowup = { ...followup, dueAt };
  await table.client.send(
    new PutCommand({
      TableName: table.tableName,
      Item: { pk: FOLLOWUP_PARTITION, sk: followupSortKey(dueAt, request.executionName), ...item },
    }),
  );
  return { dueAt };
}
