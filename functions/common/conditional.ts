/** DynamoDB conditional writes whose failed condition is an answer, not an error. */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";

/**
 * The write's result, or `"condition-failed"` when DynamoDB refused it for its
 * `ConditionExpression` (someone else's write came first: the caller decides what that means).
 * Any other error propagates.
 */
export async function unlessConditionFails<T>(operation: Promise<T>): Promise<T | "condition-failed"> {
  try {
    return await operation;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return "condition-failed";
    throw error;
  }
}
