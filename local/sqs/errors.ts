/**
 * SQS errors as AWS answers them. One code per error, and how each protocol spells it:
 * - JSON protocol: `__type: com.amazonaws.sqs#<Shape>` plus the header
 *   `x-amzn-query-error: <query code>;Sender` (SQS is `awsQueryCompatible`: SDK v3 reads the header
 *   first and maps it back to the modelled shape, so `err.name` is `QueueDoesNotExist`, and an
 *   unmodelled code such as `InvalidParameterValue` becomes `err.name` as is);
 * - query protocol: `<Error><Code><query code></Code>` (e.g. `AWS.SimpleQueueService.NonExistentQueue`).
 * The query codes come from the `awsQueryError` traits of the SQS service model.
 */
import { AwsServiceError } from "../aws-error.ts";

interface Spelling {
  /** Code of the query protocol and of the `x-amzn-query-error` header. */
  readonly query: string;
  readonly status: number;
}

const CATALOG: Record<string, Spelling> = {
  QueueDoesNotExist: { query: "AWS.SimpleQueueService.NonExistentQueue", status: 400 },
  QueueNameExists: { query: "QueueAlreadyExists", status: 400 },
  QueueDeletedRecently: { query: "AWS.SimpleQueueService.QueueDeletedRecently", status: 400 },
  PurgeQueueInProgress: { query: "AWS.SimpleQueueService.PurgeQueueInProgress", status: 403 },
  BatchEntryIdsNotDistinct: { query: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", status: 400 },
  BatchRequestTooLong: { query: "AWS.SimpleQueueService.BatchRequestTooLong", status: 400 },
  EmptyBatchRequest: { query: "AWS.SimpleQueueService.EmptyBatchRequest", status: 400 },
  InvalidBatchEntryId: { query: "AWS.SimpleQueueService.InvalidBatchEntryId", status: 400 },
  TooManyEntriesInBatchRequest: { query: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", status: 400 },
  MessageNotInflight: { query: "AWS.SimpleQueueService.MessageNotInflight", status: 400 },
  UnsupportedOperation: { query: "AWS.SimpleQueueService.UnsupportedOperation", status: 400 },
  OverLimit: { query: "OverLimit", status: 403 },
  ResourceNotFoundException: { query: "ResourceNotFoundException", status: 404 },
  InternalFailure: { query: "InternalFailure", status: 500 },
  AccessDenied: { query: "AccessDenied", status: 403 },
};

/** Shapes of the SQS model (a `__type` the SDK knows); the other codes are AWS's common errors. */
const MODELLED = new Set([
  ...Object.keys(CATALOG).filter((code) => code !== "InternalFailure" && code !== "AccessDenied"),
  "ReceiptHandleIsInvalid",
  "InvalidAttributeName",
  "InvalidAttributeValue",
  "InvalidMessageContents",
  "InvalidAddress",
  "InvalidSecurity",
  "RequestThrottled",
]);

/** An SQS error; `code` is the SDK v3 error name (`err.name`), spelled per protocol from the catalog. */
export class SqsError extends AwsServiceError {
  constructor(code: string, message: string) {
    super(code, message, CATALOG[code]?.status ?? 400, {
      type: MODELLED.has(code) ? `com.amazonaws.sqs#${code}` : `com.amazon.coral.service#${code}`,
      queryCode: CATALOG[code]?.query ?? code,
    });
  }

  /** The JSON protocol's `__type`. */
  get jsonType(): string {
    return this.type;
  }
}

export const invalidValue = (parameter: string, value: unknown, reason: string) =>
  new SqsError("InvalidParameterValue", `Value ${typeof value === "string" ? value : JSON.stringify(value)} for parameter ${parameter} is invalid. Reason: ${reason}`);

export const missing = (parameter: string) => new SqsError("MissingParameter", `The request must contain the parameter ${parameter}.`);

export const noQueue = () => new SqsError("QueueDoesNotExist", "The specified queue does not exist.");

export const invalidReceipt = (handle: string) => new SqsError("ReceiptHandleIsInvalid", `The input receipt handle "${handle}" is not a valid receipt handle.`);

/** Any thrown value as an SqsError: ours as is, anything else is a bug reported as InternalFailure. */
export function asSqsError(error: unknown): SqsError {
  if (error instanceof SqsError) return error;
  return new SqsError("InternalFailure", `The local SQS failed to process the request: ${(error as Error)?.message ?? String(error)}`);
}
