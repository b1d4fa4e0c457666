/**
 * The webhook bridge's configuration, read from the function's environment once and validated
 * with zod so a deployment mistake is reported by name instead of as a failed signature.
 *
 * Error messages name variables, never their values: the secrets must not reach a log line or a
 * response body (Stripe shows response bodies in its dashboard).
 */
import * as z from "zod";

/** EventBridge's historical PutEvents entry limit; the conservative default (256 KiB). */
export const DEFAULT_MAX_ENTRY_BYTES = 262_144;

/** EventBridge's PutEvents entry limit since 2026-01-29 (1 MiB): no higher setting can succeed. */
export const EVENTBRIDGE_MAX_ENTRY_BYTES = 1_048_576;

/** What the bridge needs to verify a webhook and publish it. */
export interface BridgeConfig {
  /** Endpoint signing secrets (`whsec_…`); several while a secret is being rotated. */
  readonly webhookSecrets: readonly string[];
  readonly eventBusName: string;
  /** `livemode` every accepted event must have: a test-mode deployment refuses live events. */
  readonly expectedLivemode: boolean;
  /** Whether thin (v2) event notifications are published; refused (400) otherwise. */
  readonly forwardThinEvents: boolean;
  /** Largest PutEvents entry, as EventBridge counts it, that the bridge publishes. */
  readonly maxEntryBytes: number;
}

/** The environment is missing a variable or holds an invalid value. */
export class BridgeConfigError extends Error {
  override name = "BridgeConfigError";
}

// Infrastructure templates often render an unset optional variable as "": treat it as unset.
const unsetIfEmpty = (value: unknown) => (value === "" ? undefined : value);

function flag(variable: string) {
  return z.preprocess(
    unsetIfEmpty,
    z
      .enum(["true", "false"], { error: `${variable} must be "true" or "false"` })
      .default("false")
      .transform((value) => value === "true"),
  );
}

const environment = z.object({
  STRIPE_WEBHOOK_SECRETS: z.preprocess(
    unsetIfEmpty,
    z
      .string({
        error: "STRIPE_WEBHOOK_SECRETS is not set: give the endpoint's signing secret (whsec_…), or several separated by commas while rotating",
      })
      .transform((value) =>
        value
          .split(",")
          .map((secret) => secret.trim())
          .filter((secret) => secret !== ""),
      )
      .pipe(
        z
          .array(z.string().startsWith("whsec_", "every STRIPE_WEBHOOK_SECRETS entry must be a signing secret starting with whsec_"))
          .min(1, "STRIPE_WEBHOOK_SECRETS holds no secret"),
      ),
  ),
  PAYBUS_EVENT_BUS_NAME: z.preprocess(
    unsetIfEmpty,
    z.string({ error: "PAYBUS_EVENT_BUS_NAME is not set: name the event bus the rules listen on" }),
  ),
  PAYBUS_EXPECTED_LIVEMODE: flag("PAYBUS_EXPECTED_LIVEMODE"),
  PAYBUS_FORWARD_THIN_EVENTS: flag("PAYBUS_FORWARD_THIN_EVENTS"),
  PAYBUS_MAX_ENTRY_BYTES: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^\d+$/, "PAYBUS_MAX_ENTRY_BYTES must be a whole number of bytes")
      .transform(Number)
      .pipe(
        z
          .number()
          .min(1, "PAYBUS_MAX_ENTRY_BYTES must be at least 1")
          .max(EVENTBRIDGE_MAX_ENTRY_BYTES, `PAYBUS_MAX_ENTRY_BYTES cannot exceed EventBridge's ${EVENTBRIDGE_MAX_ENTRY_BYTES}-byte entry limit`),
      )
      .default(DEFAULT_MAX_ENTRY_BYTES),
  ),
});

/**
 * Reads the bridge's configuration from `env`.
 *
 * `PAYBUS_EXPECTED_LIVEMODE` and `PAYBUS_FORWARD_THIN_EVENTS` default to `"false"`: a deployment
 * accepts live-mode money only when told to.
 *
 * @throws BridgeConfigError listing every problem by variable name.
 */
export function loadBridgeConfig(env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const result = environment.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => issue.message);
    throw new BridgeConfigError(`webhook bridge misconfigured: ${problems.join("; ")}`);
  }
  const config = result.data;
  return {
    webhookSecrets: config.STRIPE_WEBHOOK_SECRETS,
    eventBusName: config.PAYBUS_EVENT_BUS_NAME,
    expectedLivemode: config.PAYBUS_EXPECTED_LIVEMODE,
    forwardThinEvents: config.PAYBUS_FORWARD_THIN_EVENTS,
    maxEntryBytes: config.PAYBUS_MAX_ENTRY_BYTES,
  };
}
