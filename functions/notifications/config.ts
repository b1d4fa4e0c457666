/**
 * The notifications function's configuration, read from the environment once (see README.md for
 * every variable).
 */
import * as z from "zod";
import { EMAIL_FROM_ENV } from "../common/environment.ts";
import { languageTag } from "../common/profiles.ts";
import { tableName } from "../common/tables.ts";

/** Delay from Stripe's `detail.created` to a send above which the issue's one-minute SLA is missed. */
export const SLA_SECONDS = 60;

const DAY_SECONDS = 86_400;

const environment = z.object({
  [EMAIL_FROM_ENV]: z.email().default("billing@example.com"),
  PAYBUS_BILLING_PORTAL_URL: z.url({ protocol: /^https?$/ }).default("https://billing.example.com/payment-method"),
  PAYBUS_DEFAULT_LOCALE: languageTag.default("en-US"),
  PAYBUS_NOTIFICATIONS_RETENTION_DAYS: z.coerce.number().int().positive().default(400),
});

export interface NotificationsConfig {
  readonly notificationsTable: string;
  readonly profilesTable: string;
  /** SES sender (`Source`); must be a verified identity in production. */
  readonly emailFrom: string;
  /** Where customers update their payment method (a page of your app that opens the Stripe portal). */
  readonly billingPortalUrl: string;
  /** Locale used when neither the invoice nor the profile names one. */
  readonly defaultLocale: string;
  /** How long invoice state and send records are kept (DynamoDB TTL). */
  readonly retentionSeconds: number;
  /**
   * How long a claimed send stays reserved. Longer than the function timeout (20 s) so a live
   * attempt is never overtaken, shorter than the queue's visibility timeout (120 s) so the retry of a
   * crashed attempt finds it expired.
   */
  readonly sendLeaseSeconds: number;
}

/** Configuration is wrong: the function cannot work until the environment is fixed. */
export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

/** The settings a stage gives the notifications (sender, portal, locale, retention), validated. */
export function notificationSettings(env: NodeJS.ProcessEnv = process.env): z.infer<typeof environment> {
  const parsed = environment.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigurationError(`${issue?.path.join(".")}: ${issue?.message}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** Reads and validates the configuration from `env`. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): NotificationsConfig {
  const values = notificationSettings(env);
  return {
    notificationsTable: tableName("notifications", env),
    profilesTable: tableName("profiles", env),
    emailFrom: values[EMAIL_FROM_ENV],
    billingPortalUrl: values.PAYBUS_BILLING_PORTAL_URL,
    defaultLocale: values.PAYBUS_DEFAULT_LOCALE,
    retentionSeconds: values.PAYBUS_NOTIFICATIONS_RETENTION_DAYS * DAY_SECONDS,
    sendLeaseSeconds: 60,
  };
}
