/**
 * The names of the environment variables the deployment plan sets on functions to tell them a
 * resource (a bus, a state machine, a secret, a sender), and those the local runtime sets in place of
 * a secret, declared once: the functions read them by these constants, the plan (`stacks/plan/`)
 * writes them, and the local runtime (`local/function-environment.ts`) resolves or replaces them.
 * (Table variables are declared with their tables, `tables.ts`.)
 *
 * A leaf module (no imports): the plan and the local runtime reading it pull no code along.
 */

/** The paybus event bus's name (the webhook bridge and the loyalty consumer put events on it). */
export const EVENT_BUS_NAME_ENV = "PAYBUS_EVENT_BUS_NAME";

/** The verified SES sender of a function's emails (the stage's `emailFrom`). */
export const EMAIL_FROM_ENV = "PAYBUS_EMAIL_FROM";

/** The push applications the device API registers endpoints in: `{"GCM": "arn:aws:sns:…:app/GCM/<name>"}`. */
export const PUSH_APPLICATIONS_ENV = "PAYBUS_PUSH_APPLICATIONS";

/** The Secrets Manager secret (ARN) holding the Stripe webhook signing secrets (the webhook bridge). */
export const WEBHOOK_SECRET_ID_ENV = "PAYBUS_WEBHOOK_SECRET_ID";

/** The Secrets Manager secret (ARN) holding the Stripe API key (tier rewards applied in Stripe). */
export const STRIPE_API_KEY_SECRET_ID_ENV = "PAYBUS_STRIPE_API_KEY_SECRET_ID";

/** Locally, in place of the secret: the local runtime's test-mode Stripe key (no local Secrets Manager). */
export const STRIPE_API_KEY_ENV = "PAYBUS_STRIPE_API_KEY";

/** Locally: where the Stripe SDK sends its calls (the gateway's Stripe endpoints); unset, api.stripe.com. */
export const STRIPE_API_BASE_ENV = "PAYBUS_STRIPE_API_BASE";

/** `true` or `false`: the only `livemode` the webhook bridge accepts (the stage's `livemode`). */
export const EXPECTED_LIVEMODE_ENV = "PAYBUS_EXPECTED_LIVEMODE";

/** The variable holding a state machine's ARN, e.g. `PAYBUS_ENGAGEMENT_STATE_MACHINE_ARN` for `engagement`. */
export function stateMachineArnEnvVar(name: string): string {
  return `PAYBUS_${name.replace(/[^A-Za-z0-9]+/g, "_").replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}_STATE_MACHINE_ARN`;
}
