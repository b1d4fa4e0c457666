/**
 * The shape of a stage's configuration (`stacks/stages.ts`) and its validation. Kept apart from the
 * plan, with no imports, because `sst.config.ts` reads it in `app()`, before anything else loads.
 */

/** Where Stripe events arrive. */
export type BusConfig =
  /** Stripe's event destination for Amazon EventBridge: the partner event bus, by its name. */
  | { readonly kind: "partner"; readonly eventSourceName: string }
  /** A bus paybus creates, fed only by the webhook bridge (no EventBridge destination needed). */
  | { readonly kind: "custom" };

/** SNS mobile push platforms paybus can deliver to (`GCM` is Firebase Cloud Messaging). */
export type PushPlatform = "GCM" | "APNS" | "APNS_SANDBOX";

export interface StageConfig {
  readonly bus: BusConfig;
  /** Stripe `livemode` this stage accepts: `false` for sandboxes, `true` for production. */
  readonly livemode: boolean;
  /** The From address of notification emails. */
  readonly emailFrom: string;
  /** SES identity to verify: a domain, or the From address itself when omitted. */
  readonly emailIdentity?: string;
  /** Mobile push, or `false` to deploy without it (the notifications function then sends email only). */
  readonly push: { readonly platform: PushPlatform } | false;
  /** Days the bus archive keeps events for replay; 0 keeps them indefinitely. */
  readonly archiveRetentionDays: number;
  /** Alarm when the p99 delay between a payment and its notification exceeds this. */
  readonly notificationSlaSeconds: number;
  /** Where alarms are emailed (an SNS email subscription to confirm); none when omitted. */
  readonly alarmEmail?: string;
  /** Keep tables, queues and the archive when the stage is removed, and protect tables from deletion. */
  readonly retain: boolean;
  /**
   * Settings of the functions of one context, as environment variables, e.g.
   * `{ notifications: { PAYBUS_BILLING_PORTAL_URL: "https://…" }, loyalty: { PAYBUS_LOYALTY_CONFIG: "{…}" } }`.
   * Variables the plan sets itself (table names, ARNs, secrets) cannot be overridden.
   */
  readonly environment?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/**
 * The SES identities a stage declares — its `emailIdentity` (a domain or an address), else its From
 * address. The stacks create them (`aws.sesv2.EmailIdentity`) and the local runtime treats them, and
 * only them, as verified: the one declaration of who may send.
 */
export function emailIdentitiesOf(config: StageConfig): string[] {
  return [config.emailIdentity ?? config.emailFrom];
}

/** True when the identity (an address, or a domain and its subdomains) lets `address` send. */
export function identityCovers(identity: string, address: string): boolean {
  const lower = address.toLowerCase();
  if (identity.includes("@")) return identity.toLowerCase() === lower;
  const domain = lower.slice(lower.lastIndexOf("@") + 1);
  const verified = identity.toLowerCase();
  return domain === verified || domain.endsWith(`.${verified}`);
}

/** A stage's configuration is missing or wrong. */
export class StageConfigError extends Error {
  override name = "StageConfigError";
}

/** The name of a Stripe partner event bus: the partner event source's name. */
const PARTNER_BUS_NAME = /^aws\.partner\/stripe\.com\/ed_(test_)?[A-Za-z0-9]+$/;
const EMAIL_ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The configuration of `stage`: its own entry in `stages`, else the `default` entry.
 *
 * @throws StageConfigError naming the stage and the field when the configuration cannot deploy.
 */
export function resolveStage(stage: string, stages: Readonly<Record<string, StageConfig>>): StageConfig {
  const config = stages[stage] ?? stages.default;
  if (!config) throw new StageConfigError(`stage "${stage}" has no configuration and there is no "default" entry`);
  const fail = (problem: string) => new StageConfigError(`stage "${stage}": ${problem}`);
  if (config.bus.kind === "partner" && !PARTNER_BUS_NAME.test(config.bus.eventSourceName)) {
    throw fail(
      `bus.eventSourceName "${config.bus.eventSourceName}" is not a Stripe partner event source (aws.partner/stripe.com/ed_…)`,
    );
  }
  if (!EMAIL_ADDRESS.test(config.emailFrom)) throw fail(`emailFrom "${config.emailFrom}" is not an email address`);
  if (!emailIdentitiesOf(config).some((identity) => identityCovers(identity, config.emailFrom))) {
    throw fail(`emailFrom "${config.emailFrom}" is not covered by emailIdentity "${config.emailIdentity}": SES would refuse every send (MessageRejected)`);
  }
  if (config.alarmEmail !== undefined && !EMAIL_ADDRESS.test(config.alarmEmail)) {
    throw fail(`alarmEmail "${config.alarmEmail}" is not an email address`);
  }
  if (!Number.isInteger(config.archiveRetentionDays) || config.archiveRetentionDays < 0) {
    throw fail("archiveRetentionDays must be a whole number of days (0 keeps events indefinitely)");
  }
  if (!(config.notificationSlaSeconds > 0)) throw fail("notificationSlaSeconds must be positive");
  return config;
}
