/**
 * Serves the promotions API locally at {@link PROMOTIONS_PATH}, through the same Lambda handler as
 * in AWS, behind the check an `AWS_IAM` function URL makes: a valid SigV4 signature (here, by the
 * local credentials). Unsigned or badly signed requests get the 403 AWS gives.
 */
import { PROMOTIONS_API } from "../stacks/plan.ts";
import { iamFunctionUrlRoute } from "./function-url.ts";
import type { Runtime } from "./runtime.ts";

export const PROMOTIONS_PATH = "/promotions";

/** The gateway route for the promotions API (add with `runtime.addRoute`). */
export function promotionsRoute(runtime: Runtime) {
  return iamFunctionUrlRoute(runtime, PROMOTIONS_API, PROMOTIONS_PATH);
}
