/**
 * How the gateway answers what it does not forward: AWS-shaped errors in the caller's protocol,
 * JSON errors for its own routes, and answers a service computed elsewhere (another thread) relayed
 * within the request's timeout. Every writer takes an {@link AnswerSink}, so a request from the
 * gateway's port and one a function's worker thread handed over without a socket get the same bytes.
 */
import { writeJsonError, writeQueryError, writeRestError } from "./aws-error.ts";
import { AwsServiceError } from "./aws-json.ts";
import type { AnswerSink } from "./answer-sink.ts";
import type { Protocol, RequestHead, ServiceName } from "./gateway-routing.ts";

/** Writes an error the client of `protocol` parses into a named exception. */
export function sendAwsError(res: AnswerSink, protocol: Protocol, status: number, code: string, message: string): void {
  const error = new AwsServiceError(code, message, status);
  if (protocol === "query") writeQueryError(res, error);
  else if (protocol === "json") writeJsonError(res, error);
  else writeRestError(res, error);
}

/** Writes `{error}` with `status`; a response already under way is cut instead (the client sees it fail). */
export function sendJsonError(res: AnswerSink, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: message });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/**
 * An AWS request the gateway read and let through, handed to the handler of a service answered in
 * this process (`GatewayOptions.served`): the body is read, nothing is answered yet.
 */
export interface ServedRequest {
  /** The request's head: an `IncomingMessage`, or what a function's SDK client sent over its port. */
  readonly req: RequestHead;
  readonly url: URL;
  readonly body: Buffer;
  readonly protocol: Protocol;
  readonly service: ServiceName;
  /** How long the service may take before the client gets an AWS-shaped timeout, as for a forwarded request. */
  readonly timeoutMs: number;
}

/** Answers one {@link ServedRequest}; must answer every request (or let the error escape: a 500). */
export type ServeHandler = (request: ServedRequest, res: AnswerSink) => Promise<void>;

/** An answer a service computed away from the response (another thread): status, headers, body. */
export interface RelayedAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

/**
 * Writes the answer `work` resolves with, as the gateway writes a forwarded engine's: a
 * `RequestTimeout` (504) when it takes longer than the request's timeout, `ServiceUnavailable`
 * (502) when the engine fails, nothing when the client has gone.
 */
export function relayAnswer(request: ServedRequest, res: AnswerSink, work: Promise<RelayedAnswer>): Promise<void> {
  return new Promise<void>((resolve) => {
    let settled = false;
    const settle = (write: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!res.headersSent && !res.destroyed) write();
      resolve();
    };
    const timer = setTimeout(
      () => settle(() => sendAwsError(res, request.protocol, 504, "RequestTimeout", `the local ${request.service} did not answer within ${Math.round(request.timeoutMs / 1000)} s (an operation it does not implement?)`)),
      request.timeoutMs,
    );
    work.then(
      (answer) =>
        settle(() => {
          res.writeHead(answer.status, answer.headers);
          res.end(answer.text);
        }),
      (error: Error) => settle(() => sendAwsError(res, request.protocol, 502, "ServiceUnavailable", `the local ${request.service} could not be reached: ${error.message}`)),
    );
  });
}
