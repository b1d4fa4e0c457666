/**
 * Serves the device API locally at {@link DEVICES_PATH}, through the same Lambda handler as in
 * AWS, behind the check an `AWS_IAM` function URL makes: a valid SigV4 signature (here, by the
 * local credentials). Unsigned or badly signed requests get the 403 AWS gives.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { DEVICE_API } from "../stacks/plan.ts";
import { answerFunctionUrl, readFunctionUrlCall } from "./function-url.ts";
import type { Runtime } from "./runtime.ts";
import { verifyRequest } from "./sigv4.ts";

export const DEVICES_PATH = "/devices";

/** The gateway route for the device API (add with `runtime.addRoute`). */
export function devicesRoute(runtime: Runtime) {
  const fn = runtime.functionFor(DEVICE_API);
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== DEVICES_PATH && !url.pathname.startsWith(`${DEVICES_PATH}/`)) return false;
    const call = await readFunctionUrlCall(req, res);
    if (!call) return true;
    const verified = await verifyRequest(req.method ?? "GET", url, req.headers, call.body.toString("utf8"));
    if (!verified.ok) {
      res.writeHead(403, { "content-type": "application/json", "x-amzn-errortype": "AccessDeniedException" });
      res.end(JSON.stringify({ Message: `Forbidden: ${verified.reason}` }));
      return true;
    }
    // What an AWS_IAM function URL tells the function about its caller.
    (call.event.requestContext as unknown as Record<string, unknown>).authorizer = { iam: { accessKey: verified.accessKeyId, accountId: runtime.accountId } };
    await answerFunctionUrl(runtime, fn, call.event, res);
    return true;
  };
}
