/**
 * Serves the loyalty API locally at {@link LOYALTY_PATH}, through the same Lambda handler as in
 * AWS, behind the check an `AWS_IAM` function URL makes: a valid SigV4 signature. Unsigned or
 * badly signed requests get the 403 AWS gives.
 */
import { LOYALTY_API } from "../stacks/plan.ts";
import { iamFunctionUrlRoute } from "./function-url.ts";
import type { Runtime } from "./runtime.ts";

export const LOYALTY_PATH = "/loyalty";

/** The gateway route for the loyalty API (add with `runtime.addRoute`). */
export function loyaltyApiRoute(runtime: Runtime) {
  return iamFunctionUrlRoute(runtime, LOYALTY_API, LOYALTY_PATH);
}
