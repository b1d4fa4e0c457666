/**
 * What every engagement task function shares: its input validated against the payload the ASL
 * sends, errors named the way the ASL's `Retry` and `Catch` match them, and the loyalty table.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { z } from "zod";
import { dynamo } from "./clients/dynamodb.ts";
import { classifyError, PoisonRecordError, RetryableError } from "./errors.ts";
import { tableName } from "./tables.ts";

/** The task's payload does not match what the function expects: the ASL and the function drifted. */
export class TaskInputError extends PoisonRecordError {
  override name = "TaskInputError";
}

/** A DynamoDB table and the client to reach it. */
export interface TaskTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** The loyalty table from the environment, through the shared client. */
export function loyaltyTable(env: NodeJS.ProcessEnv = process.env): TaskTable {
  return { client: dynamo(), tableName: tableName("loyalty", env) };
}

/**
 * A Lambda handler for a Task state. A fault that may pass (throttling, a 5xx) is rethrown as
 * `RetryableError`, which the ASL retries with backoff; anything else fails the task at once and
 * goes to the workflow's failure path.
 */
export function taskHandler<S extends z.ZodType, R>(
  logger: Logger,
  schema: S,
  run: (input: z.infer<S>, context?: Context) => Promise<R>,
): (event: unknown, context?: Context) => Promise<R> {
  return async (event, context) => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TaskInputError(`task input ${issue?.path.join(".") || "payload"}: ${issue?.message ?? "invalid"}`, { cause: parsed.error });
    }
    try {
      return await run(parsed.data, context);
    } catch (error) {
      const errorClass = classifyError(error);
      logger.error("task failed", { errorClass, error });
      if (errorClass === "retryable" && !(error instanceof RetryableError)) {
        throw new RetryableError((error as Error).message ?? String(error), { cause: error });
      }
      throw error;
    }
  };
}
