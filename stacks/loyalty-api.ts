/**
 * The loyalty API: a function URL with `AWS_IAM` auth that the retailer's backend and admin tools
 * call with SigV4-signed requests (balances, ledger, redemptions, adjustments). Grant their roles
 * `lambda:InvokeFunctionUrl` on the function (see docs/deploy.md); nobody else can call it.
 */
import { LOYALTY_API } from "./plan.ts";
import type { Registry } from "./registry.ts";

/** Creates the loyalty API when the plan has one; returns its URL. */
export function createLoyaltyApi(registry: Registry): $util.Output<string> | undefined {
  const api = registry.plan.functions.find((fn) => fn.logicalName === LOYALTY_API);
  if (!api) return undefined;
  // Server to server only: no CORS, so no browser page can call it even with stolen credentials.
  return registry.function(api, { url: { authorization: "iam", cors: false } }).url;
}
