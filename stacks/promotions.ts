/**
 * The promotions API: a function URL with `AWS_IAM` auth that administrators (and the `paybus
 * promotions` CLI) call with SigV4-signed requests to add, list and remove the loyalty programme's
 * promotion windows. Grant an operator role `lambda:InvokeFunctionUrl` on the function (see
 * docs/deploy.md); nobody else can call it.
 */
import { PROMOTIONS_API } from "./plan.ts";
import type { Registry } from "./registry.ts";

/** Creates the promotions API when the plan has one; returns its URL. */
export function createPromotionsApi(registry: Registry): $util.Output<string> | undefined {
  const api = registry.plan.functions.find((fn) => fn.logicalName === PROMOTIONS_API);
  if (!api) return undefined;
  // Operators' tools only: no CORS, so no browser page can call it even with stolen credentials.
  return registry.function(api, { url: { authorization: "iam", cors: false } }).url;
}
