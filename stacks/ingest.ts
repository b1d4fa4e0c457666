/**
 * The webhook bridge (custom-bus stages): a function URL Stripe posts webhooks to, which verifies
 * their signatures with the signing secrets it reads from Secrets Manager at runtime, and puts the
 * events on the bus.
 */
import type { Registry } from "./registry.ts";
import { WEBHOOK_BRIDGE } from "./plan.ts";

/**
 * The Secrets Manager secret holding the signing secrets (comma-separated while one is rotated),
 * filled from the `StripeWebhookSecrets` SST secret. The function reads it at runtime with its ARN,
 * so the value never sits in the function's environment.
 */
function createWebhookSecret(registry: Registry): void {
  const planned = registry.plan.webhookSecret;
  if (!planned) return;
  const secret = new aws.secretsmanager.Secret(planned.logicalName, {
    description: "Stripe webhook signing secrets (whsec_…, comma-separated while rotating) for the paybus webhook bridge.",
  });
  new aws.secretsmanager.SecretVersion(`${planned.logicalName}Value`, {
    secretId: secret.id,
    secretString: registry.secret(planned.valueFrom).value,
  });
  registry.add(planned.logicalName, { name: secret.name, arn: secret.arn });
}

/** Creates the bridge when the plan has one; returns its URL for the Stripe webhook endpoint. */
export function createWebhookBridge(registry: Registry): $util.Output<string> | undefined {
  const bridge = registry.plan.functions.find((fn) => fn.logicalName === WEBHOOK_BRIDGE);
  if (!bridge) return undefined;
  createWebhookSecret(registry);
  // No auth on the URL: Stripe cannot sign AWS requests; the Stripe-Signature header is the check.
  // Its reserved concurrency (from the plan) caps what a flood of forged requests can use.
  return registry.function(bridge, { url: true }).url;
}
