/**
 * The SQS batch wiring every consumer shares: each record is processed on its own, failures are
 * reported per record (`batchItemFailures`), and each failure is logged with its class. The log line
 * is the one record of why a record failed, in AWS (CloudWatch Logs) as locally (the local runtime
 * reads it from the function's output).
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { classifyError, toRecordError } from "./errors.ts";

/** Handles one record; `context` is the invocation's (Powertools passes it along). */
export type RecordHandler = (record: SQSRecord, context?: Context) => Promise<unknown>;

/** The message of the log line {@link sqsBatchHandler} writes for each failed record. */
export const RECORD_FAILED = "record failed";

/** An SQS Lambda handler that reports partial batch failures. */
export function sqsBatchHandler(
  logger: Logger,
  handleRecord: RecordHandler,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const logged: RecordHandler = async (record, context) => {
    try {
      return await handleRecord(record, context);
    } catch (thrown) {
      // A bad value is reported as poison with a one-line reason, not as a multi-line dump.
      const error = toRecordError(thrown);
      const errorClass = classifyError(error);
      const receiveCount = Number(record.attributes.ApproximateReceiveCount);
      const log = errorClass === "poison" ? logger.error.bind(logger) : logger.warn.bind(logger);
      log(RECORD_FAILED, { messageId: record.messageId, errorClass, receiveCount, error });
      throw error;
    }
  };
  // One processor per invocation: a processor holds the batch it is working on, and the local
  // runtime runs concurrent invocations of one handler in the same execution environment.
  return (event, context) =>
    processPartialResponse(event, logged, new BatchProcessor(EventType.SQS), { context, throwOnFullBatchFailure: false });
}
