/**
 * Signed Stripe webhook deliveries for the bridge's tests, built from the EventBridge fixtures:
 * the fixture's `detail` is exactly the Stripe event a webhook endpoint receives.
 */
import Stripe from "stripe";
import { loadFixture } from "../../fixtures/index.ts";
import { DEFAULT_MAX_ENTRY_BYTES, type BridgeConfig } from "../../functions/ingest/config.ts";

export const SECRET = "whsec_test_current0000000000000000";
export const NEXT_SECRET = "whsec_test_rotated0000000000000000";

/** The signing time every test uses (seconds): shortly after the fixtures' events were created. */
export const SIGNED_AT = 1_785_751_300;

/** A bridge configuration for test mode with one secret; override what a test is about. */
export function testConfig(overrides: Partial<BridgeConfig> = {}): BridgeConfig {
  return {
    webhookSecrets: [SECRET],
    eventBusName: "paybus-test",
    expectedLivemode: false,
    forwardThinEvents: false,
    maxEntryBytes: DEFAULT_MAX_ENTRY_BYTES,
    ...overrides,
  };
}

/** A fixture's Stripe event, to alter before sending. */
export function stripeEvent(fixture: string): Record<string, any> {
  return loadFixture(fixture).detail;
}

/** A webhook body as Stripe sends it: the event, pretty-printed. */
export function webhookBody(event: unknown): string {
  return JSON.stringify(event, null, 2);
}

/** `Stripe-Signature` for `payload`, made by the stripe SDK's own test helper. */
export function sign(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? SECRET,
    timestamp: options.timestamp ?? SIGNED_AT,
  });
}

/** A header signed with several secrets at once, as Stripe signs while an endpoint secret rolls. */
export function signWithEach(payload: string, secrets: readonly string[], timestamp = SIGNED_AT): string {
  const signatures = secrets.map((secret) => sign(payload, { secret, timestamp }).split(",")[1]);
  return [`t=${timestamp}`, ...signatures].join(",");
}
