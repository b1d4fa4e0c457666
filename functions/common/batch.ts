/**
 * The SQS batch wiring every consumer shares: each record is processed on its own, failures are
 * reported per record (`batchItemFailures`), and each failure is logged with its class.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { classifyError, toRecordError, type ErrorClass } from "./errors.ts";

export type RecordHandler = (record: SQSRecord) => Promise<unknown>;

type FailureListener = (failure: { messageId: string; error: unknown; errorClass: ErrorClass }) => void;
const failureListeners = new Set<FailureListener>();

/**
 * Observes every record failure in this process. In AWS the same facts go to the logs; the local
 * runtime subscribes so that reports and DLQ listings can say why a message failed.
 */
export function onRecordFailure(listener: FailureListener): () => void {
  failureListeners.add(listener);
  return () => failureListeners.delete(listener);
}

/** An SQS Lambda handler that reports partial batch failures. */
export function sqsBatchHandler(
  logger: Logger,
  handleRecord: RecordHandler,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const logged: RecordHandler = async (record) => {
    try {
      return await handleRecord(record);
    } catch (thrown) {
      // A bad value is reported as poison with a one-line reason, not as a multi-line dump.
      const error = toRecordError(thrown);
      const errorClass = classifyError(error);
      const receiveCount = Number(record.attributes.ApproximateReceiveCount);
      const log = errorClass === "poison" ? logger.error.bind(logger) : logger.warn.bind(logger);
      log("record failed", { messageId: record.messageId, errorClass, receiveCount, error });
      for (const listener of failureListeners) listener({ messageId: record.messageId, error, errorClass });
      throw error;
    }
  };
  // One processor per invocation: a processor holds the batch it is working on, and the local
  // runtime runs concurrent invocations of one handler in the same module instance.
  return (event, context) =>
    processPartialResponse(event, logged, new BatchProcessor(EventType.SQS), { context, throwOnFullBatchFailure: false });
}
