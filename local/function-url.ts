/**
 * What a Lambda function URL does around the function, for the gateway routes that serve one
 * locally (the webhook bridge, the device API): the 6 MB payload quota, the invocation, and the
 * function's answer (or a 502 when the invocation itself failed).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { PAYLOAD_TOO_LARGE, readFunctionUrlBody, toFunctionUrlEvent } from "./function-url-event.ts";
import type { LocalFunction } from "./lambda.ts";
import type { Runtime } from "./runtime.ts";
import { verifyRequest } from "./sigv4.ts";

/** The request's raw body and event, or `undefined` once a 413 has been answered (over the quota). */
export async function readFunctionUrlCall(req: IncomingMessage, res: ServerResponse): Promise<{ body: Buffer; event: APIGatewayProxyEventV2 } | undefined> {
  const body = await readFunctionUrlBody(req);
  if (body === "too-large") {
    // Over Lambda's 6 MB payload quota the function URL answers 413 itself; the function never runs.
    res.writeHead(PAYLOAD_TOO_LARGE.status, { "content-type": "application/json", connection: "close" }).end(PAYLOAD_TOO_LARGE.body);
    return undefined;
  }
  return { body, event: toFunctionUrlEvent(req, body) };
}

/** Invokes `fn` with the function URL event and answers with its result, as the function URL would. */
export async function answerFunctionUrl(runtime: Runtime, fn: LocalFunction, event: APIGatewayProxyEventV2, res: ServerResponse): Promise<void> {
  const invocation = await runtime.lambda.invoke(fn, event);
  if (!invocation.ok) {
    res.writeHead(502, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: `${invocation.error.name}: ${invocation.error.message}` }));
    return;
  }
  const result = invocation.result as APIGatewayProxyStructuredResultV2;
  res.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
  res.end(result.body ?? "");
}

/**
 * The gateway route of an `AWS_IAM` function URL mounted at `path`: requests need a valid SigV4
 * signature (unsigned or badly signed ones get AWS's 403), and the function is told its caller as
 * AWS tells it (`requestContext.authorizer.iam`).
 */
export function iamFunctionUrlRoute(runtime: Runtime, logicalName: string, path: string) {
  const fn = runtime.functionFor(logicalName);
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== path && !url.pathname.startsWith(`${path}/`)) return false;
    const call = await readFunctionUrlCall(req, res);
    if (!call) return true;
    const verified = await verifyRequest(req.method ?? "GET", url, req.headers, call.body.toString("utf8"));
    if (!verified.ok) {
      res.writeHead(403, { "content-type": "application/json", "x-amzn-errortype": "AccessDeniedException" });
      res.end(JSON.stringify({ Message: `Forbidden: ${verified.reason}` }));
      return true;
    }
    (call.event.requestContext as unknown as Record<string, unknown>).authorizer = { iam: { accessKey: verified.accessKeyId, accountId: runtime.accountId } };
    await answerFunctionUrl(runtime, fn, call.event, res);
    return true;
  };
}
