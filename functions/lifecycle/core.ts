/**
 * Lifecycle notices: one SQS message in, the notice its event type is declared for, sent at most
 * once per business fact and channel (email, and a push per device).
 */
import { dateTimeFormat } from "../../events/intl.ts";
import { formatMoney } from "../../events/money.ts";
import { decodeStripeMessage } from "../../events/parse.ts";
import type { KnownEventType } from "../../events/stripe-event.ts";
import { classifyError } from "../common/errors.ts";
import type { InvocationBounds } from "../common/invocation.ts";
import { webLink } from "../common/text.ts";
import type { CustomerProfile } from "../common/profiles.ts";
import type { Channels } from "../notifications/channels.ts";
import { DeliveryFailedError, DeliveryRejectedError, describeError } from "../notifications/core.ts";
import { deliverOnce, type DeliveryResult } from "../notifications/deliver.ts";
import { chooseLocale, chooseRecipients, plannedDeliveries } from "../notifications/notice.ts";
import type { DeliveryClaims, FactRef } from "../notifications/store.ts";
import { COPY, renderMessage, type RenderedNotice } from "../notifications/templates.ts";
import { LIFECYCLE_PARTITION_PREFIX, type FactValue, type LifecycleFact, type LifecycleNotice } from "./notice.ts";

/** Which fact an outcome is about (no personal data: safe to log). */
export interface FactReference {
  readonly notice: string;
  readonly subject: string;
  readonly key: string;
  readonly eventId: string;
  /** `detail.created`, Unix seconds. */
  readonly eventCreated: number;
}

export type LifecycleOutcome =
  | { readonly kind: "ignored"; readonly eventId: string; readonly reason: string }
  | { readonly kind: "skipped"; readonly eventId: string; readonly notice: string; readonly reason: string }
  | { readonly kind: "attempted"; readonly fact: FactReference; readonly locale: string; readonly deliveries: readonly DeliveryResult[] };

export interface LifecycleDependencies {
  readonly notices: readonly LifecycleNotice<any, any>[];
  readonly claims: DeliveryClaims;
  readonly profiles: (customerId: string) => Promise<CustomerProfile | undefined>;
  /** Whether the invoice notices recorded the invoice as paid (its latest known state). */
  readonly invoicePaid: (invoiceId: string) => Promise<boolean>;
  readonly channels: Channels;
  readonly config: { readonly billingPortalUrl: string; readonly defaultLocale: string; readonly enabled: ReadonlySet<string> };
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly report: (outcome: LifecycleOutcome) => void;
}

// Customers' time zones are unknown: dates are in UTC, as in the invoice notices.
const dayFormat = (locale: string) => dateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" });

/** The fact's values as the reader's locale writes them. */
export function formatValues(values: Readonly<Record<string, FactValue>>, locale: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => {
      switch (value.kind) {
        case "day":
          return [name, dayFormat(locale).format(value.at * 1000)];
        case "money":
          return [name, formatMoney(value.money, locale)];
        case "text":
          return [name, value.text];
      }
    }),
  );
}

/** The email and push of a fact in `locale` (whose language both the notice and `COPY` speak). */
export function renderFact(
  notice: LifecycleNotice<any, any>,
  fact: LifecycleFact,
  options: { readonly locale: string; readonly customerName: string | undefined; readonly billingPortalUrl: string; readonly eventType: string },
): RenderedNotice {
  const language = new Intl.Locale(options.locale).language;
  const copy = notice.copy[language] ?? notice.copy.en!;
  const message = copy(formatValues(fact.values, options.locale));
  return renderMessage(message, {
    locale: options.locale,
    customerName: options.customerName,
    // Links from the event are shown only when they are web links, as in the invoice notices.
    url: webLink(fact.url) ?? options.billingPortalUrl,
    data: { type: options.eventType, notice: notice.name, subject: fact.subject },
  });
}

/** The notice declared for an event type (each type belongs to at most one notice). */
export function noticeFor(notices: readonly LifecycleNotice<any, any>[], type: string): LifecycleNotice<any, any> | undefined {
  return notices.find((notice) => (notice.eventTypes as readonly string[]).includes(type));
}

async function tell(
  notice: LifecycleNotice<any, any>,
  fact: LifecycleFact,
  event: { readonly id: string; readonly created: number; readonly type: string },
  deps: LifecycleDependencies,
  invocation: InvocationBounds | undefined,
): Promise<LifecycleOutcome> {
  const ref: FactRef = { partition: `${LIFECYCLE_PARTITION_PREFIX}${notice.name}#${fact.subject}`, key: fact.key, eventId: event.id };
  if (fact.unlessPaid && (await deps.invoicePaid(fact.unlessPaid))) {
    const reason = `invoice ${fact.unlessPaid} is already paid`;
    await deps.claims.recordSkipped(ref, reason);
    return { kind: "skipped", eventId: event.id, notice: notice.name, reason };
  }
  const profile = fact.customerId ? await deps.profiles(fact.customerId) : undefined;
  const deliveries = plannedDeliveries(chooseRecipients({ customerEmail: fact.email }, profile));
  if (deliveries.length === 0) {
    const reason = "no email address and no push endpoint";
    await deps.claims.recordSkipped(ref, reason);
    return { kind: "skipped", eventId: event.id, notice: notice.name, reason };
  }
  const speaks = (language: string) => Object.hasOwn(notice.copy, language) && Object.hasOwn(COPY, language);
  const locale = chooseLocale({ localeHints: fact.localeHints }, profile, deps.config.defaultLocale, speaks);
  const content = renderFact(notice, fact, {
    locale,
    customerName: fact.customerName ?? profile?.name,
    billingPortalUrl: deps.config.billingPortalUrl,
    eventType: event.type,
  });
  const context = {
    claims: {
      claim: (delivery: Parameters<DeliveryClaims["claim"]>[1]) => deps.claims.claim(ref, delivery),
      complete: (delivery: Parameters<DeliveryClaims["complete"]>[1], final: Parameters<DeliveryClaims["complete"]>[2]) => deps.claims.complete(ref, delivery, final),
      release: (delivery: Parameters<DeliveryClaims["release"]>[1], token: string) => deps.claims.release(ref, delivery, token),
    },
    channels: deps.channels,
    now: deps.now,
    eventCreated: event.created,
    label: `${notice.name} ${fact.subject} ${fact.key}`,
    stripeEventId: event.id,
    invocation,
  };
  const results = await Promise.all(deliveries.map((delivery) => deliverOnce(delivery, content, context)));
  return {
    kind: "attempted",
    fact: { notice: notice.name, subject: fact.subject, key: fact.key, eventId: event.id, eventCreated: event.created },
    locale,
    deliveries: results,
  };
}

type FailedDelivery = Extract<DeliveryResult, { status: "failed" }>;

/**
 * Handles one SQS message body: decode, decide, send what has not been sent, report.
 *
 * @param invocation the running Lambda invocation, when known (see `notify`).
 * @throws EventContractError (poison) for a message no notice accepts or that is malformed.
 * @throws DeliveryFailedError (retryable) or DeliveryRejectedError (poison) when a send failed; the
 *   sends that succeeded are recorded and not repeated by the retry.
 */
export async function notifyLifecycle(body: string, deps: LifecycleDependencies, invocation?: InvocationBounds): Promise<LifecycleOutcome> {
  const accepted = [...new Set(deps.notices.flatMap((notice) => notice.eventTypes as readonly KnownEventType[]))];
  const decoded = decodeStripeMessage(body, accepted);
  let outcome: LifecycleOutcome;
  if (decoded.kind === "thin") {
    outcome = { kind: "ignored", eventId: decoded.event.id, reason: `thin event ${decoded.event.type} carries no object` };
  } else {
    const notice = noticeFor(deps.notices, decoded.type)!;
    if (!deps.config.enabled.has(notice.name)) {
      outcome = { kind: "ignored", eventId: decoded.event.id, reason: `notice ${notice.name} is disabled (PAYBUS_LIFECYCLE_NOTICES)` };
    } else {
      const decision = notice.decide(decoded);
      outcome =
        "skip" in decision
          ? { kind: "skipped", eventId: decoded.event.id, notice: notice.name, reason: decision.skip }
          : await tell(notice, decision.tell, decoded.event, deps, invocation);
    }
  }
  deps.report(outcome);
  if (outcome.kind !== "attempted") return outcome;
  const failed = outcome.deliveries.filter((result): result is FailedDelivery => result.status === "failed");
  if (failed.length === 0) return outcome;
  const causes = failed.map(({ target, error }) => {
    const { errorName, errorMessage } = describeError(error);
    return `${target}: ${errorName}: ${errorMessage}`;
  });
  const message = `${failed.length} of ${outcome.deliveries.length} sends failed for ${outcome.fact.notice} ${outcome.fact.subject} ${outcome.fact.key}: ${causes.join("; ")}`;
  throw failed.every((result) => classifyError(result.error) === "poison") ? new DeliveryRejectedError(message) : new DeliveryFailedError(message);
}
