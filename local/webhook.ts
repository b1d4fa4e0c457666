/**
 * Serves the webhook bridge locally at {@link WEBHOOK_PATH}, through the same Lambda handler as in
 * AWS, so `stripe listen --forward-to localhost:<port>/stripe/webhook` feeds the local pipeline.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { WEBHOOK_PATH } from "./function-url-event.ts";
import { WEBHOOK_BRIDGE } from "../stacks/plan.ts";
import { answerFunctionUrl, readFunctionUrlCall } from "./function-url.ts";
import type { Runtime } from "./runtime.ts";

export { WEBHOOK_PATH };

export function webhookRoute(runtime: Runtime) {
  const fn = runtime.functionFor(WEBHOOK_BRIDGE);
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== WEBHOOK_PATH) return false;
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST" }).end();
      return true;
    }
    const call = await readFunctionUrlCall(req, res);
    if (call) await answerFunctionUrl(runtime, fn, call.event, res);
    return true;
  };
}
