/**
 * Serves the device API locally at {@link DEVICES_PATH}, through the same Lambda handler as in
 * AWS, behind the check an `AWS_IAM` function URL makes: a valid SigV4 signature (here, by the
 * local credentials). Unsigned or badly signed requests get the 403 AWS gives.
 */
import { DEVICE_API } from "../stacks/plan.ts";
import { iamFunctionUrlRoute } from "./function-url.ts";
import type { Runtime } from "./runtime.ts";

export const DEVICES_PATH = "/devices";

/** The gateway route for the device API (add with `runtime.addRoute`). */
export function devicesRoute(runtime: Runtime) {
  return iamFunctionUrlRoute(runtime, DEVICE_API, DEVICES_PATH);
}
