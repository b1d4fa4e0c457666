/**
 * The CRM/profile update of a tier upgrade: the customer's loyalty profile as the CRM sees it
 * (`CUSTOMER#<id>` / `CRM` in the loyalty table). Replace `updateCrmProfile` with a call to your
 * CRM's API; keep the rule that a profile only ever moves up a tier, so that a retried or late
 * task cannot overwrite a newer promotion.
 */
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { tier } from "../../events/engagement-input.ts";
import type { TaskTable } from "../common/task.ts";
import { tierRank } from "../loyalty/points.ts";

export const crmUpdateRequest = z.object({
  executionName: z.string().min(1),
  purchaseId: z.string().min(1),
  customerId: z.string().min(1),
  previousTier: tier,
  newTier: tier,
  occurredAt: z.iso.datetime(),
});
export type CrmUpdateRequest = z.infer<typeof crmUpdateRequest>;

export const crmProfileKey = (customerId: string) => ({ pk: `CUSTOMER#${customerId}`, sk: "CRM" });

/** Records the new tier unless the profile already shows it or a higher one. */
export async function updateCrmProfile(request: CrmUpdateRequest, table: TaskTable): Promise<{ readonly updated: boolean }> {
  try {
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: crmProfileKey(request.customerId),
        UpdateExpression: "SET tier = :tier, tierRank = :rank, tierSince = :since, promotedBy = :purchase",
        ConditionExpression: "attribute_not_exists(tierRank) OR tierRank < :rank",
        ExpressionAttributeValues: {
          ":tier": request.newTier,
          ":rank": tierRank(request.newTier),
          ":since": request.occurredAt,
          ":purchase": request.purchaseId,
        },
      }),
    );
    return { updated: true };
  } catch (error) {
    if ((error as { name?: string }).name === "ConditionalCheckFailedException") return { updated: false };
    throw error;
  }
}
