/**
 * The one error idiom of the local services. An engine raises an {@link AwsServiceError} (or a
 * subclass: `SqsError`, `SesError`, `SnsError`) naming AWS's error code; the protocol layer turns any
 * thrown value into one with {@link asAwsError} and writes it as the client's protocol expects:
 * - AWS JSON (awsJson1.0/1.1): `{"__type": <type>, "message": …}` ({@link writeJsonError});
 * - query (SQS query, SES v1, SNS): `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code>…`
 *   ({@link writeQueryError});
 * - REST JSON (SES v2): `{"message": …}` with the code in `x-amzn-errortype` ({@link writeRestError}).
 * The SDK turns each back into the named exception (`err.name === code`). A value that is not an AWS
 * error is a bug of the local engine, reported as AWS reports its own failures (HTTP 500).
 *
 * DynamoDB keeps its own wire errors (`local/dynamodb/errors.ts`: namespaces and extra members such as
 * `CancellationReasons`); Step Functions' API errors name their code in `type`, which
 * {@link asAwsError} reads.
 */
import { randomUUID } from "node:crypto";
import type { AnswerSink } from "./answer-sink.ts";
import type { InjectedFault } from "./faults.ts";

/** An AWS error a local service answers; the client SDK turns it into a named exception (`err.name === code`). */
export class AwsServiceError extends Error {
  /** The JSON protocol's `__type` (the code, or a namespaced shape such as `com.amazonaws.sqs#QueueDoesNotExist`). */
  readonly type: string;
  /** The query protocol's `<Code>` (the code, or a legacy spelling such as `AWS.SimpleQueueService.NonExistentQueue`). */
  readonly queryCode: string;

  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    spelling: { readonly type?: string; readonly queryCode?: string } = {},
  ) {
    super(message);
    this.name = code;
    this.type = spelling.type ?? code;
    this.queryCode = spelling.queryCode ?? code;
  }

  /** AWS's fault side: the caller's (4xx) or the service's (5xx). */
  get senderFault(): boolean {
    return this.status < 500;
  }
}

/** The error a service answers for an injected fault. */
export function faultError(fault: InjectedFault): AwsServiceError {
  return new AwsServiceError(fault.code, fault.message, fault.status);
}

/**
 * Any thrown value as an {@link AwsServiceError}: AWS errors as they are, errors naming their code in
 * `type` (Step Functions) or carrying a client status (4xx) under their name; anything else is a
 * bug of `service`, answered as `internalCode` (AWS's `InternalFailure`, SNS's `InternalError`) with 500.
 */
export function asAwsError(error: unknown, service = "service", internalCode = "InternalFailure"): AwsServiceError {
  if (error instanceof AwsServiceError) return error;
  if (error instanceof Error) {
    const { type, status } = error as { type?: unknown; status?: unknown };
    if (typeof type === "string") return new AwsServiceError(type, error.message, typeof status === "number" ? status : 400);
    if (typeof status === "number" && status < 500) return new AwsServiceError(error.name, error.message, status);
  }
  return new AwsServiceError(internalCode, `The local ${service} failed: ${(error as Error)?.message ?? String(error)}`, 500);
}

/**
 * False when the answer already started: an unfinished one is cut (the client sees a broken answer,
 * never a wrong one), a finished one is left alone.
 */
function writable(res: AnswerSink): boolean {
  if (!res.headersSent) return true;
  if (!res.writableEnded) res.destroy();
  return false;
}

/** Writes an AWS JSON protocol error. */
export function writeJsonError(res: AnswerSink, error: AwsServiceError, contentType = "application/x-amz-json-1.1"): void {
  if (!writable(res)) return;
  const body = JSON.stringify({ __type: error.type, message: error.message });
  const requestId = randomUUID();
  res.writeHead(error.status, { "content-type": contentType, "content-length": Buffer.byteLength(body), "x-amzn-requestid": requestId, "x-amzn-errortype": error.code });
  res.end(body);
}

/** Writes an AWS query protocol error (`<ErrorResponse>`). */
export function writeQueryError(res: AnswerSink, error: Pick<AwsServiceError, "queryCode" | "message" | "status">): void {
  if (!writable(res)) return;
  const requestId = randomUUID();
  const body =
    `<ErrorResponse><Error><Type>${error.status >= 500 ? "Receiver" : "Sender"}</Type>` +
    `<Code>${xmlEscape(error.queryCode)}</Code><Message>${xmlEscape(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`;
  res.writeHead(error.status, { "content-type": "text/xml", "content-length": Buffer.byteLength(body), "x-amzn-requestid": requestId });
  res.end(body);
}

/** Writes a REST JSON error (SES v2): the message in the body, the code in `x-amzn-errortype`. */
export function writeRestError(res: AnswerSink, error: AwsServiceError): void {
  if (!writable(res)) return;
  const body = JSON.stringify({ message: error.message });
  res.writeHead(error.status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-amzn-requestid": randomUUID(), "x-amzn-errortype": error.code });
  res.end(body);
}

export function xmlEscape(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!);
}
