/**
 * Serves the webhook bridge locally at {@link WEBHOOK_PATH}, through the same Lambda handler as in
 * AWS, so `stripe listen --forward-to localhost:<port>/stripe/webhook` feeds the local pipeline.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { WEBHOOK_PATH, toFunctionUrlEvent } from "../functions/ingest/function-url.ts";
import { webhookBridge } from "../events/rules.ts";
import { readBody } from "./aws-json.ts";
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
    const invocation = await runtime.lambda.invoke(fn, toFunctionUrlEvent(req, await readBody(req)));
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
