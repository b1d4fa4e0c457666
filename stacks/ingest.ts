/**
 * The webhook bridge (custom-bus stages): a function URL Stripe posts webhooks to, which verifies
 * their signatures with the `StripeWebhookSecrets` secret and puts the events on the bus.
 */
import type { Registry } from "./registry.ts";
import { WEBHOOK_BRIDGE } from "./plan.ts";

/** Creates the bridge when the plan has one; returns its URL for the Stripe webhook endpoint. */
export function createWebhookBridge(registry: Registry): $util.Output<string> | undefined {
  const bridge = registry.plan.functions.find((fn) => fn.logicalName === WEBHOOK_BRIDGE);
  if (!bridge) return undefined;
  // No auth on the URL: Stripe cannot sign AWS requests; the Stripe-Signature header is the check.
  return registry.function(bridge, { url: true }).url;
}
