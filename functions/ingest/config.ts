/**
 * The webhook bridge's configuration, read from the function's environment once and validated
 * with zod so a deployment mistake is reported by name instead of as a failed signature.
 *
 * Error messages name variables, never their values: the secrets must not reach a log line or a
 * response body (Stripe shows response bodies in its dashboard).
 */
import * as z from "zod";
import { EVENT_BUS_NAME_ENV, EXPECTED_LIVEMODE_ENV, WEBHOOK_SECRET_ID_ENV } from "../common/environment.ts";

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

/**
 * Where the signing secrets come from: the environment (locally, `STRIPE_WEBHOOK_SECRETS` or
 * `STRIPE_WEBHOOK_SECRET`), or a Secrets Manager secret read at runtime (deployed: the environment
 * of a function is visible to anyone allowed `lambda:GetFunctionConfiguration`).
 */
export type SecretSource =
  | { readonly kind: "environment"; readonly secrets: readonly string[] }
  | { readonly kind: "secretsManager"; readonly secretId: string };

/** The bridge's configuration before the secrets are read. */
export interface BridgeSettings extends Omit<BridgeConfig, "webhookSecrets"> {
  readonly secretSource: SecretSource;
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

/** A comma-separated list of signing secrets; messages name `origin`, never a value. */
function secretList(origin: string) {
  return z
    .string()
    .transform((value) =>
      value
        .split(",")
        .map((secret) => secret.trim())
        .filter((secret) => secret !== ""),
    )
    .pipe(
      z
        .array(z.string().startsWith("whsec_", `every ${origin} entry must be a signing secret starting with whsec_`))
        .min(1, `${origin} holds no secret`),
    );
}

const MISSING_SECRETS =
  "STRIPE_WEBHOOK_SECRETS is not set: give the endpoint's signing secret (whsec_…), or several separated by commas " +
  `while rotating; deployed, ${WEBHOOK_SECRET_ID_ENV} names the Secrets Manager secret holding them`;

const environment = z.object({
  STRIPE_WEBHOOK_SECRETS: z.preprocess(unsetIfEmpty, secretList("STRIPE_WEBHOOK_SECRETS").optional()),
  /** The singular form `stripe listen` users set; read only when the plural is unset. */
  STRIPE_WEBHOOK_SECRET: z.preprocess(unsetIfEmpty, secretList("STRIPE_WEBHOOK_SECRET").optional()),
  [WEBHOOK_SECRET_ID_ENV]: z.preprocess(unsetIfEmpty, z.string().optional()),
  [EVENT_BUS_NAME_ENV]: z.preprocess(
    unsetIfEmpty,
    z.string({ error: `${EVENT_BUS_NAME_ENV} is not set: name the event bus the rules listen on` }),
  ),
  [EXPECTED_LIVEMODE_ENV]: flag(EXPECTED_LIVEMODE_ENV),
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
 * Checks the bridge's own settings in `env` (live mode, thin events, entry size), as
 * {@link loadBridgeSettings} reads them; the secrets and the bus name are the deployment's.
 *
 * @throws BridgeConfigError listing every problem by variable name.
 */
export function checkBridgeSettings(env: NodeJS.ProcessEnv): void {
  const result = environment.pick({ [EXPECTED_LIVEMODE_ENV]: true, PAYBUS_FORWARD_THIN_EVENTS: true, PAYBUS_MAX_ENTRY_BYTES: true }).safeParse(env);
  if (!result.success) throw new BridgeConfigError(`webhook bridge misconfigured: ${result.error.issues.map((issue) => issue.message).join("; ")}`);
}

/**
 * Reads the bridge's configuration from `env`.
 *
 * `PAYBUS_EXPECTED_LIVEMODE` and `PAYBUS_FORWARD_THIN_EVENTS` default to `"false"`: a deployment
 * accepts live-mode money only when told to.
 *
 * @throws BridgeConfigError listing every problem by variable name.
 */
export function loadBridgeConfig(env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const { secretSource, ...settings } = loadBridgeSettings(env);
  if (secretSource.kind !== "environment") {
    throw new BridgeConfigError("webhook bridge misconfigured: the signing secrets are in Secrets Manager; use loadBridgeSettings");
  }
  return { webhookSecrets: secretSource.secrets, ...settings };
}

/**
 * Reads the bridge's settings from `env`, with where its signing secrets come from:
 * `PAYBUS_WEBHOOK_SECRET_ID` (a Secrets Manager secret, read at runtime), or else
 * `STRIPE_WEBHOOK_SECRETS` (or `STRIPE_WEBHOOK_SECRET`) from the environment, as locally.
 *
 * @throws BridgeConfigError listing every problem by variable name.
 */
export function loadBridgeSettings(env: NodeJS.ProcessEnv = process.env): BridgeSettings {
  const isSet = (name: string) => unsetIfEmpty(env[name]) !== undefined;
  const inEnvironmentSet = isSet("STRIPE_WEBHOOK_SECRETS") || isSet("STRIPE_WEBHOOK_SECRET");
  const problems: string[] = [];
  if (!inEnvironmentSet && !isSet(WEBHOOK_SECRET_ID_ENV)) problems.push(MISSING_SECRETS);
  if (inEnvironmentSet && isSet(WEBHOOK_SECRET_ID_ENV)) {
    problems.push(`set ${WEBHOOK_SECRET_ID_ENV} or STRIPE_WEBHOOK_SECRETS, not both`);
  }
  const result = environment.safeParse(env);
  if (!result.success) problems.push(...result.error.issues.map((issue) => issue.message));
  if (!result.success || problems.length > 0) {
    throw new BridgeConfigError(`webhook bridge misconfigured: ${problems.join("; ")}`);
  }
  const config = result.data;
  const inEnvironment = config.STRIPE_WEBHOOK_SECRETS ?? config.STRIPE_WEBHOOK_SECRET;
  return {
    secretSource: inEnvironment
      ? { kind: "environment", secrets: inEnvironment }
      : { kind: "secretsManager", secretId: config[WEBHOOK_SECRET_ID_ENV]! },
    eventBusName: config[EVENT_BUS_NAME_ENV],
    expectedLivemode: config[EXPECTED_LIVEMODE_ENV],
    forwardThinEvents: config.PAYBUS_FORWARD_THIN_EVENTS,
    maxEntryBytes: config.PAYBUS_MAX_ENTRY_BYTES,
  };
}

/**
 * The signing secrets in a Secrets Manager secret's value (comma-separated, like the variable).
 *
 * @throws BridgeConfigError naming the secret's variable, never the value.
 */
export function parseSecretValue(value: string | undefined): readonly string[] {
  const result = secretList(`the ${WEBHOOK_SECRET_ID_ENV} secret`).safeParse(value ?? "");
  if (!result.success) {
    throw new BridgeConfigError(`webhook bridge misconfigured: ${result.error.issues[0]?.message ?? "invalid secret value"}`);
  }
  return result.data;
}
