/**
 * Customer profiles (the `profiles` table): what paybus knows about a Stripe customer beyond the
 * event itself — where to reach them (email, registered push endpoints), how to address them
 * (name, locale) and their id in the loyalty program.
 *
 * One item per Stripe customer, keyed `pk = cus_…`. `functions/customers` keeps the Stripe part
 * (email, name, locale, documented metadata) in sync from `customer.*` events, `functions/devices`
 * adds and removes the app's devices, and {@link putProfile} writes a whole profile (demo, tests).
 * A deleted customer leaves a tombstone without personal data, which reads as no profile.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createHash } from "node:crypto";
import * as z from "zod";
import { dynamo } from "./clients/dynamodb.ts";
import { PoisonRecordError } from "./errors.ts";
import { tableName } from "./tables.ts";

/** An SNS mobile push platform endpoint, e.g. `arn:aws:sns:us-east-1:111122223333:endpoint/GCM/app/0b1c…`. */
export const snsEndpointArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:endpoint\/[A-Z_]+\/[^/\s]+\/[^/\s]+$/,
    "expected an SNS platform endpoint ARN (arn:aws:sns:<region>:<account>:endpoint/<platform>/<app>/<id>)",
  );

/** A BCP 47 language tag that `Intl` accepts, e.g. `en-US`, `fr`, `ja-JP`. */
export const languageTag = z.string().refine((tag) => {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}, "expected a BCP 47 language tag such as en-US");

/** The mobile platforms a device may be registered for (SNS platform application types). */
export const PUSH_PLATFORMS = ["APNS", "APNS_SANDBOX", "GCM"] as const;
export type PushPlatform = (typeof PUSH_PLATFORMS)[number];

/** A device the app registered for a customer (`functions/devices`). */
export const registeredDevice = z.object({
  platform: z.enum(PUSH_PLATFORMS),
  token: z.string().min(1),
  endpointArn: snsEndpointArn,
  /** Epoch milliseconds. */
  registeredAt: z.number(),
});
export type RegisteredDevice = z.infer<typeof registeredDevice>;

/** A customer profile. `pushEndpoints` may be empty: the customer has no registered device. */
export const customerProfile = z.object({
  /** The Stripe customer id. */
  customerId: z.string().startsWith("cus_", "expected a Stripe customer id (cus_…)"),
  email: z.email().optional(),
  name: z.string().min(1).optional(),
  /** BCP 47 language tag the customer prefers, e.g. `fr-FR` (Stripe's `preferred_locales[0]`). */
  locale: languageTag.optional(),
  pushEndpoints: z.array(snsEndpointArn).default([]),
  /** The customer's id in the loyalty program, when it differs from the Stripe id. */
  loyaltyCustomerId: z.string().min(1).optional(),
  /** Devices registered by the app, by a key derived from the token ({@link deviceKey}). */
  devices: z.record(z.string(), registeredDevice).optional(),
  /** The Connect account the customer belongs to; absent for the platform's own customers. */
  account: z.string().startsWith("acct_").optional(),
});

export type CustomerProfile = z.infer<typeof customerProfile>;
/** What callers pass to {@link putProfile}: `pushEndpoints` may be omitted. */
export type CustomerProfileInput = z.input<typeof customerProfile>;

/** A stored profile that does not satisfy {@link customerProfile}: re-reading it cannot help. */
export class InvalidProfileError extends PoisonRecordError {
  override name = "InvalidProfileError";
}

/** Where profiles live; defaults to the shared client and the `profiles` table from the environment. */
export interface ProfileTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

function defaultTable(): ProfileTable {
  return { client: dynamo(), tableName: tableName("profiles") };
}

/**
 * The profile of a Stripe customer, or `undefined` when none is stored.
 *
 * @throws InvalidProfileError when the stored item is not a valid profile.
 */
export async function getProfile(
  customerId: string,
  table: ProfileTable = defaultTable(),
): Promise<CustomerProfile | undefined> {
  const { Item } = await table.client.send(new GetCommand({ TableName: table.tableName, Key: { pk: customerId } }));
  return profileFromItem(customerId, Item);
}

/**
 * The profile a stored item holds (as {@link getProfile} reads it), for a caller that already has
 * the item: e.g. the answer of a conditional write that found it (`functions/customers/contact.ts`).
 *
 * @throws InvalidProfileError when the item is not a valid profile.
 */
export function profileFromItem(customerId: string, Item: Record<string, unknown> | undefined): CustomerProfile | undefined {
  // A tombstone (customer deleted in Stripe) holds no personal data: nobody to reach.
  if (!Item || Item.deleted === true) return undefined;
  const { pk: _pk, ...stored } = Item;
  const parsed = customerProfile.safeParse(stored);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // The path names the field; the value (possibly an email) stays out of the message.
    throw new InvalidProfileError(
      `stored profile of ${customerId} is invalid: ${issue?.path.join(".") || "profile"}: ${issue?.message}`,
      { cause: parsed.error },
    );
  }
  return withDeviceEndpoints(parsed.data);
}

/** `pushEndpoints` with the endpoints of registered devices added (each once). */
function withDeviceEndpoints(profile: CustomerProfile): CustomerProfile {
  const devices = Object.values(profile.devices ?? {}).map((device) => device.endpointArn);
  return { ...profile, pushEndpoints: [...new Set([...profile.pushEndpoints, ...devices])] };
}

/**
 * The map key of a device token: a hash, because tokens are long and may hold characters that are
 * awkward in attribute paths, and so that logs can name a device without quoting its token.
 */
export function deviceKey(token: string): string {
  return createHash("sha256").update(token).digest("hex").slice(0, 32);
}

/**
 * Creates or replaces a customer's profile, after validating it.
 *
 * @returns the profile as stored (with defaults applied).
 * @throws z.ZodError when the profile is invalid.
 */
export async function putProfile(
  profile: CustomerProfileInput,
  table: ProfileTable = defaultTable(),
): Promise<CustomerProfile> {
  const valid = customerProfile.parse(profile);
  await table.client.send(new PutCommand({ TableName: table.tableName, Item: { pk: valid.customerId, ...valid } }));
  return valid;
}
