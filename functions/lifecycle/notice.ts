/**
 * The shape of a subscription lifecycle notice. Each notice type is one {@link LifecycleNotice}
 * (in `notices/`): its EventBridge rule, the Stripe event types it accepts, how an event becomes a
 * business fact (or why it is skipped), and its words in every language. `declarations/rules.ts` routes
 * every declared notice to the `lifecycle` queue; `core.ts` sends each fact once per channel.
 *
 * To add a notice: copy a file in `notices/`, list it in `notices/index.ts`. The tests fail until
 * it has copy for every language the notifications speak.
 */
import type { TypedStripeEvent } from "../../events/parse.ts";
import type { KnownEventType } from "../../events/stripe-event.ts";
import type { Money } from "../../events/money.ts";
import type { Message } from "../notifications/templates.ts";

/**
 * Prefix of every partition key the lifecycle notices write in the `notifications` table
 * (`lifecycle#<notice>#<subject>`): one fixed shape, so IAM can confine the lifecycle consumer to
 * its own records (`dynamodb:LeadingKeys`) apart from the invoice notices' `invoice#…`.
 */
export const LIFECYCLE_PARTITION_PREFIX = "lifecycle#";

/** A value the copy shows, formatted for the reader's locale before the copy sees it. */
export type FactValue =
  | { readonly kind: "day"; readonly at: number }
  | { readonly kind: "money"; readonly money: Money }
  | { readonly kind: "text"; readonly text: string };

/** One business fact to tell, once per channel. */
export interface LifecycleFact<K extends string = string> {
  /** The Stripe object the fact is about (`sub_…`, `in_…`): with the key, the fact's identity. */
  readonly subject: string;
  /** Distinguishes facts about one subject, e.g. the trial end date or the attempt number. */
  readonly key: string;
  readonly customerId: string | null;
  /** An address Stripe put on the object itself (invoice `customer_email`); preferred to the profile's. */
  readonly email: string | undefined;
  readonly customerName: string | undefined;
  /** Locales named by the object (`metadata.locale`), most specific first. */
  readonly localeHints: readonly string[];
  readonly values: Readonly<Record<K, FactValue>>;
  /** Where the call to action leads: a Stripe-hosted page, or the billing portal when undefined. */
  readonly url: string | undefined;
  /**
   * The invoice whose payment this fact asks for: once the invoice notices recorded it as paid, a
   * late event asks for nothing and is not told.
   */
  readonly unlessPaid?: string;
}

export type FactDecision<K extends string> = { readonly tell: LifecycleFact<K> } | { readonly skip: string };

/** Words of one notice in one language; values arrive formatted. */
export type NoticeCopy<K extends string> = (values: Readonly<Record<K, string>>) => Message;

/** One notice type. */
export interface LifecycleNotice<T extends KnownEventType = KnownEventType, K extends string = string> {
  /** kebab-case; names the notice in config, send records and push data. */
  readonly name: string;
  /** The EventBridge rule routing it (PascalCase, unique). */
  readonly rule: { readonly name: string; readonly description: string };
  readonly eventTypes: readonly T[];
  /** Renewal reminders are opt-in (`PAYBUS_LIFECYCLE_NOTICES`); the others are on. */
  readonly enabledByDefault: boolean;
  readonly decide: (event: TypedStripeEvent<T>) => FactDecision<K>;
  /** Copy by language subtag; must cover every language of the notifications' `COPY`. */
  readonly copy: Readonly<Record<string, NoticeCopy<K>>>;
}

/** Declares a notice with its types checked (the generic parameters are inferred). */
export function defineNotice<T extends KnownEventType, K extends string>(notice: LifecycleNotice<T, K>): LifecycleNotice<T, K> {
  return notice;
}

export const nonEmpty = (value: string | null | undefined): string | undefined => (value ? value : undefined);
