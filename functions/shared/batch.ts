/**
 * The SQS batch wiring every consumer shares: each record is processed on its own, failures are
 * reported per record (`batchItemFailures`), and each failure is logged with its class.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { classifyError } from "./errors.ts";

export type RecordHandler = (record: SQSRecord) => Promise<unknown>;

/** An SQS Lambda handler that reports partial batch failures. */
export function sqsBatchHandler(
  logger: Logger,
  handleRecord: RecordHandler,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  const logged: RecordHandler = async (record) => {
    try {
      return await handleRecord(record);
    } catch (error) {
      const errorClass = classifyError(error);
      const receiveCount = Number(record.attributes.ApproximateReceiveCount);
      const log = errorClass === "poison" ? logger.error.bind(logger) : logger.warn.bind(logger);
      log("record failed", { messageId: record.messageId, errorClass, receiveCount, error });
      throw error;
    }
  };
  return (event, context) =>
    processPartialResponse(event, logged, processor, { context, throwOnFullBatchFailure: false });
}
