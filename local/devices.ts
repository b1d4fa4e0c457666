/**
 * Serves the device API locally at {@link DEVICES_PATH}, through the same Lambda handler as in
 * AWS, behind the check an `AWS_IAM` function URL makes: a valid SigV4 signature (here, by the
 * local credentials). Unsigned or badly signed requests get the 403 AWS gives.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { deviceApi } from "../events/rules.ts";
import { toFunctionUrlEvent } from "../functions/ingest/function-url.ts";
import { readBody } from "./aws-json.ts";
import { functionName, type Runtime } from "./runtime.ts";
import { verifyRequest } from "./sigv4.ts";

export const DEVICES_PATH = "/devices";

/** The gateway route for the device API (add with `runtime.addRoute`). */
export function devicesRoute(runtime: Runtime) {
  const fn = runtime.functions.get(functionName(runtime.prefix, deviceApi.handler))!;
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== DEVICES_PATH && !url.pathname.startsWith(`${DEVICES_PATH}/`)) return false;
    const body = await readBody(req);
    const verified = await verifyRequest(req.method ?? "GET", url, req.headers, body.toString("utf8"));
    if (!verified.ok) {
      res.writeHead(403, { "content-type": "application/json", "x-amzn-errortype": "AccessDeniedException" });
      res.end(JSON.stringify({ Message: `Forbidden: ${verified.reason}` }));
      return true;
    }
    const event = toFunctionUrlEvent(req, body);
    // What an AWS_IAM function URL tells the function about its caller.
    (event.requestContext as unknown as Record<string, unknown>).authorizer = { iam: { accessKey: verified.accessKeyId, accountId: runtime.accountId } };
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
