/**
 * Serves the webhook bridge locally at {@link WEBHOOK_PATH}, through the same Lambda handler as in
 * AWS, so `stripe listen --forward-to localhost:<port>/stripe/webhook` feeds the local pipeline.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { PAYLOAD_TOO_LARGE, WEBHOOK_PATH, readFunctionUrlRequest } from "../functions/ingest/function-url.ts";
import { webhookBridge } from "../events/rules.ts";
import { functionName, type Runtime } from "./runtime.ts";

export { WEBHOOK_PATH };

export function webhookRoute(runtime: Runtime) {
  const fn = runtime.functions.get(functionName(runtime.prefix, webhookBridge.handler))!;
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== WEBHOOK_PATH) return false;
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST" }).end();
      return true;
    }
    // Over Lambda's 6 MB payload quota the function URL answers 413 itself; the function never runs.
    const event = await readFunctionUrlRequest(req);
    if (event === "too-large") {
      res.writeHead(PAYLOAD_TOO_LARGE.status, { "content-type": "application/json", connection: "close" }).end(PAYLOAD_TOO_LARGE.body);
      return true;
    }
    const invocation = await runtime.lambda.invoke(fn, event);
    if (!invocation.ok) {
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `${invocation.error.name}: ${invocation.error.message}` }));
      return true;
    }
    const result = invocation.result as APIGatewayProxyStructuredResultV2;
    res.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
    res.end(result.body ?? "");
    return true;
  };
}
