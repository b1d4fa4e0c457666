/**
 * The webhook bridge (custom-bus stages): a function URL Stripe posts webhooks to, which verifies
 * their signatures with the signing secrets it reads from Secrets Manager at runtime, and puts the
 * events on the bus.
 */
import type { Registry } from "./registry.ts";
import { WEBHOOK_BRIDGE } from "./plan.ts";

/** Creates the bridge when the plan has one; returns its URL for the Stripe webhook endpoint. */
export function createWebhookBridge(registry: Registry): $util.Output<string> | undefined {
  const bridge = registry.plan.functions.find((fn) => fn.logicalName === WEBHOOK_BRIDGE);
  if (!bridge) return undefined;
  // The signing secrets (comma-separated while one is rotated), from the `StripeWebhookSecrets` SST secret.
  registry.storeSecret(registry.plan.webhookSecret, "Stripe webhook signing secrets (whsec_…, comma-separated while rotating) for the paybus webhook bridge.");
  // No auth on the URL: Stripe cannot sign AWS requests; the Stripe-Signature header is the check.
  // Its reserved concurrency (from the plan) caps what a flood of forged requests can use.
  return registry.function(bridge, { url: true }).url;
}
