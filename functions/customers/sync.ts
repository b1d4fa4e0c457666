/**
 * What a `customer.*` event means for the profile, decided from the event alone: pure functions.
 *
 * Stripe may deliver a customer's events twice and in any order. Each event becomes a
 * {@link ProfileChange} with a {@link ProfileChange.version} (the event's `created` second, then its
 * kind), and the store applies a change only when no newer one was applied, so an older event never
 * overwrites a newer state and a deletion is final.
 */
import * as z from "zod";
import type { TypedStripeEvent } from "../../events/parse.ts";
import { languageTag } from "../common/profiles.ts";

/** The Stripe events this consumer handles. */
export const CUSTOMER_EVENT_TYPES = ["customer.created", "customer.updated", "customer.deleted"] as const;
export type CustomerEventType = (typeof CUSTOMER_EVENT_TYPES)[number];

/**
 * Customer `metadata` keys paybus reads (documented in functions/customers/README.md):
 * `locale` overrides `preferred_locales`; `loyalty_customer_id` links the loyalty account.
 */
export const METADATA_KEYS = { locale: "locale", loyaltyCustomerId: "loyalty_customer_id" } as const;

/** The Stripe-owned fields of a profile; an absent field is removed from the profile. */
export interface SyncedFields {
  readonly email?: string;
  readonly name?: string;
  readonly locale?: string;
  readonly loyaltyCustomerId?: string;
}

interface ChangeBase {
  readonly customerId: string;
  /** The Connect account (`detail.account`); undefined for the platform's own customers. */
  readonly account: string | undefined;
  /** Orders the changes of one customer; see {@link changeVersion}. */
  readonly version: number;
  readonly eventId: string;
}

export type ProfileChange =
  | (ChangeBase & { readonly kind: "sync"; readonly fields: SyncedFields })
  /** Erase the personal data and the devices; keep a tombstone so late events cannot revive it. */
  | (ChangeBase & { readonly kind: "erase" });

const RANK: Readonly<Record<CustomerEventType, number>> = { "customer.created": 0, "customer.updated": 1, "customer.deleted": 9 };

/**
 * `created * 10 + rank`: Stripe's `created` is in seconds, so within one second a creation ranks
 * below an update and a deletion above both. Two updates of the same second cannot be ordered from
 * the event; the later-applied one wins (equal versions pass, so a redelivery is idempotent).
 */
export function changeVersion(type: CustomerEventType, created: number): number {
  return created * 10 + RANK[type];
}

const email = z.email();

/** The first of the candidates that is a valid BCP 47 tag, canonicalised (`fr` stays `fr`, `en-us` → `en-US`). */
export function firstLocale(candidates: ReadonlyArray<string | null | undefined>): string | undefined {
  for (const candidate of candidates) {
    if (!candidate || !languageTag.safeParse(candidate).success) continue;
    return Intl.getCanonicalLocales(candidate)[0];
  }
  return undefined;
}

/** The profile change a customer event asks for. */
export function toProfileChange(event: TypedStripeEvent<CustomerEventType>): ProfileChange {
  const customer = event.object;
  const base: ChangeBase = {
    customerId: customer.id,
    account: event.event.account,
    version: changeVersion(event.type, event.event.created),
    eventId: event.event.id,
  };
  if (event.type === "customer.deleted" || customer.deleted === true) {
    return { ...base, kind: "erase", version: changeVersion("customer.deleted", event.event.created) };
  }
  const metadata = customer.metadata ?? {};
  const fields: { -readonly [K in keyof SyncedFields]: SyncedFields[K] } = {};
  // A malformed address would only bounce: leave the profile without one.
  if (customer.email && email.safeParse(customer.email).success) fields.email = customer.email;
  if (customer.name) fields.name = customer.name;
  const locale = firstLocale([metadata[METADATA_KEYS.locale], ...(customer.preferred_locales ?? [])]);
  if (locale) fields.locale = locale;
  const loyaltyId = metadata[METADATA_KEYS.loyaltyCustomerId];
  if (loyaltyId) fields.loyaltyCustomerId = loyaltyId;
  return { ...base, kind: "sync", fields };
}
