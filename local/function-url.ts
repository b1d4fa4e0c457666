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
