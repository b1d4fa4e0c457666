/**
 * The device API (stages with push): a function URL with `AWS_IAM` auth that the app's backend
 * calls with SigV4-signed requests to register and remove customers' devices. Grant the backend's
 * role `lambda:InvokeFunctionUrl` on the function (see docs/deploy.md); nobody else can call it.
 */
import { DEVICE_API } from "./plan.ts";
import type { Registry } from "./registry.ts";

/** Creates the device API when the plan has one; returns its URL for the app's backend. */
export function createDeviceApi(registry: Registry): $util.Output<string> | undefined {
  const api = registry.plan.functions.find((fn) => fn.logicalName === DEVICE_API);
  if (!api) return undefined;
  // Server to server only: no CORS, so no browser page can call it even with stolen credentials.
  return registry.function(api, { url: { authorization: "iam", cors: false } }).url;
}
