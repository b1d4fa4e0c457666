/**
 * The engagement workflow's failure path: what failed and why, kept for the operator in the
 * loyalty table (`ENGAGEMENT#<execution>` / `FAILURE`), before the execution ends as failed.
 */
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import type { TaskTable } from "../common/task.ts";
import { redactEmail } from "../common/redact.ts";

/** Step Functions' caught error (`Catch` with `ResultPath: "$.error"`). */
export const failureRequest = z.object({
  executionName: z.string().min(1),
  purchaseId: z.string().min(1),
  customerId: z.string().min(1),
  error: z.object({ Error: z.string(), Cause: z.string().optional() }),
});
export type FailureRequest = z.infer<typeof failureRequest>;

export const failureKey = (executionName: string) => ({ pk: `ENGAGEMENT#${executionName}`, sk: "FAILURE" });

/** Causes can be long stack traces; the first few KB say what happened. */
const MAX_CAUSE_LENGTH = 4000;

export async function recordFailure(request: FailureRequest, table: TaskTable): Promise<{ readonly recorded: true }> {
  await table.client.send(
    new PutCommand({
      TableName: table.tableName,
      Item: {
        ...failureKey(request.executionName),
        purchaseId: request.purchaseId,
        customerId: request.customerId,
        error: request.error.Error,
        // A cause may quote an address from a message; it is stored redacted like a log line.
        cause: redactEmail(request.error.Cause ?? "").slice(0, MAX_CAUSE_LENGTH),
      },
    }),
  );
  return { recorded: true };
}
