/**
 * Serves the promotions API locally at {@link PROMOTIONS_PATH}, through the same Lambda handler as
 * in AWS, behind the check an `AWS_IAM` function URL makes: a valid SigV4 signature (here, by the
 * local credentials). Unsigned or badly signed requests get the 403 AWS gives.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { PROMOTIONS_API } from "../stacks/plan.ts";
import { answerFunctionUrl, readFunctionUrlCall } from "./function-url.ts";
import type { Runtime } from "./runtime.ts";
import { verifyRequest } from "./sigv4.ts";

export const PROMOTIONS_PATH = "/promotions";

/** The gateway route for the promotions API (add with `runtime.addRoute`). */
export function promotionsRoute(runtime: Runtime) {
  const fn = runtime.functionFor(PROMOTIONS_API);
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== PROMOTIONS_PATH && !url.pathname.startsWith(`${PROMOTIONS_PATH}/`)) return false;
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
