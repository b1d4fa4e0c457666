/**
 * What to tell the customer, decided from the event alone: pure functions, no I/O.
 *
 * An invoice event becomes a {@link Notice} (paid or failed). Its {@link noticeKey} is the business
 * identity used for exactly-once delivery — one paid notice per invoice, one failure notice per
 * payment attempt — and its {@link stateVersion} orders the events of one invoice so that a stale
 * event (a failure that arrives after the invoice was recorded as paid) is not told.
 */
import type { TypedStripeEvent } from "../../events/parse.ts";
import type { Money } from "../../events/money.ts";
import { invoiceSubscription } from "../../events/invoice-subscription.ts";
import * as z from "zod";
import type { CustomerProfile } from "../common/profiles.ts";
import { webLink } from "../common/text.ts";

/** The invoice events this function tells customers about. */
export const INVOICE_EVENT_TYPES = ["invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed"] as const;
export type InvoiceEventType = (typeof INVOICE_EVENT_TYPES)[number];

/** Facts every notice carries. Times are Unix seconds, as Stripe sends them. */
interface NoticeBase {
  readonly invoiceId: string;
  /** Stripe customer (`cus_…`); null for invoices without a customer object. */
  readonly customerId: string | null;
  /** The Stripe event (`evt_…`) this notice comes from; kept for tracing, never for dedupe. */
  readonly eventId: string;
  /** `detail.created`: when Stripe created the event; orders events and measures the SLA. */
  readonly eventCreated: number;
  /** The invoice number customers see; the invoice id when Stripe gave none. */
  readonly invoiceNumber: string;
  readonly customerEmail: string | undefined;
  readonly customerName: string | undefined;
  /** Locales named by the invoice or its subscription (`metadata.locale`), most specific first. */
  readonly localeHints: readonly string[];
}

/** The invoice is paid: tell the amount, the service period and where the receipt is. */
export interface PaidNotice extends NoticeBase {
  readonly kind: "paid";
  readonly amount: Money;
  readonly period: { readonly start: number; readonly end: number };
  readonly receiptUrl: string | undefined;
}

/** A payment attempt failed: tell the amount due, the attempt, the next retry and what to do. */
export interface FailedNotice extends NoticeBase {
  readonly kind: "failed";
  readonly amount: Money;
  readonly attempt: number;
  /** Stripe's next automatic attempt; null when none is scheduled (always for `send_invoice`). */
  readonly nextAttempt: number | null;
  readonly collectionMethod: "charge_automatically" | "send_invoice";
  /** Stripe's hosted page where the invoice can be paid by hand. */
  readonly hostedInvoiceUrl: string | undefined;
}

export type Notice = PaidNotice | FailedNotice;

type InvoiceEvent = TypedStripeEvent<InvoiceEventType>;

const nonEmpty = (value: string | null | undefined): string | undefined => (value ? value : undefined);

/**
 * The service period an invoice bills. For subscription renewals Stripe's `period_start`/`period_end`
 * describe the *previous* usage period; the line items carry the period actually paid for.
 */
function servicePeriod(inv: InvoiceEvent["object"]): { start: number; end: number } {
  const periods = (inv.lines?.data ?? []).flatMap((line) => (line.period ? [line.period] : []));
  if (periods.length === 0) return { start: inv.period_start, end: inv.period_end };
  return {
    start: Math.min(...periods.map((period) => period.start)),
    end: Math.max(...periods.map((period) => period.end)),
  };
}

/** The notice an invoice event asks for. */
export function toNotice(event: InvoiceEvent): Notice {
  const inv = event.object;
  const base: NoticeBase = {
    invoiceId: inv.id,
    customerId: inv.customer,
    eventId: event.event.id,
    eventCreated: event.event.created,
    invoiceNumber: inv.number ?? inv.id,
    customerEmail: nonEmpty(inv.customer_email),
    customerName: nonEmpty(inv.customer_name),
    localeHints: [inv.metadata?.locale, invoiceSubscription(inv).metadata.locale].flatMap((hint) => (hint ? [hint] : [])),
  };
  if (event.type === "invoice.payment_failed") {
    return {
      ...base,
      kind: "failed",
      // What is still owed: equals amount_due unless part of the invoice was already paid.
      amount: { amount: inv.amount_remaining, currency: inv.currency },
      attempt: inv.attempt_count,
      nextAttempt: inv.collection_method === "send_invoice" ? null : inv.next_payment_attempt,
      collectionMethod: inv.collection_method,
      hostedInvoiceUrl: nonEmpty(inv.hosted_invoice_url),
    };
  }
  return {
    ...base,
    kind: "paid",
    // Invoices marked paid out of band may report amount_paid 0 for a non-zero invoice.
    amount: { amount: inv.amount_paid > 0 ? inv.amount_paid : inv.amount_due, currency: inv.currency },
    period: servicePeriod(inv),
    // The first of the two that is a web link: a scheme such as javascript: is never offered.
    receiptUrl: webLink(nonEmpty(inv.hosted_invoice_url)) ?? webLink(nonEmpty(inv.invoice_pdf)),
  };
}

/**
 * The business identity of a notice within its invoice: `paid` (whichever of `invoice.paid` and
 * `invoice.payment_succeeded` brings it) or `failed#<attempt_count>`.
 */
export function noticeKey(notice: Notice): string {
  return notice.kind === "paid" ? "paid" : `failed#${notice.attempt}`;
}

const PAID_RANK = 999;

/**
 * A number that grows with the invoice's progress: the event's `created` second, then, within one
 * second, failed attempts by attempt number and paid above every failure. A notice whose version is
 * below the latest recorded one is stale and not told.
 */
export function stateVersion(notice: Notice): number {
  const rank = notice.kind === "paid" ? PAID_RANK : Math.min(notice.attempt, PAID_RANK - 1);
  return notice.eventCreated * 1000 + rank;
}

/**
 * Why a notice is not worth telling although it is current, or undefined. A paid invoice of zero
 * (a trial, a 100 % discount) has nothing to confirm; a failure with nothing left to pay (credited
 * or paid in the meantime) has nothing to ask for.
 */
export function pointlessReason(notice: Notice): string | undefined {
  if (notice.amount.amount > 0) return undefined;
  return notice.kind === "paid" ? "nothing was charged" : "nothing is left to pay";
}

const emailAddress = z.email();

/** Who receives a notice: at most one email address and every registered push endpoint. */
export interface Recipients {
  readonly email: string | undefined;
  readonly pushEndpoints: readonly string[];
}

/**
 * The invoice's `customer_email` (what Stripe bills) or else the profile's; push endpoints from the
 * profile. Malformed addresses are treated as missing rather than bounced by SES.
 */
export function chooseRecipients(notice: Pick<Notice, "customerEmail">, profile: CustomerProfile | undefined): Recipients {
  const email = [notice.customerEmail, profile?.email].find((candidate) => emailAddress.safeParse(candidate).success);
  return { email, pushEndpoints: [...new Set(profile?.pushEndpoints ?? [])] };
}

/** One send of one notice: the email, or a push to one device endpoint. */
export type Delivery =
  | { readonly channel: "email"; readonly key: "email"; readonly address: string }
  | { readonly channel: "push"; readonly key: `push#${string}`; readonly endpointArn: string };

/** The sends recipients call for; empty when the customer cannot be reached at all. */
export function plannedDeliveries(recipients: Recipients): Delivery[] {
  const email: Delivery[] = recipients.email ? [{ channel: "email", key: "email", address: recipients.email }] : [];
  const push = recipients.pushEndpoints.map(
    (endpointArn): Delivery => ({ channel: "push", key: `push#${endpointArn}`, endpointArn }),
  );
  return [...email, ...push];
}

/**
 * The locale to write in: the first candidate (invoice hints, then the profile's, then the
 * default) that is a valid tag in a language we have copy for.
 */
export function chooseLocale(
  notice: Pick<Notice, "localeHints">,
  profile: Pick<CustomerProfile, "locale"> | undefined,
  defaultLocale: string,
  hasCopy: (language: string) => boolean,
): string {
  const candidates = [...notice.localeHints, profile?.locale, defaultLocale];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      const locale = new Intl.Locale(candidate);
      if (hasCopy(locale.language)) return locale.toString();
    } catch {
      // Not a language tag (free-form metadata): try the next candidate.
    }
  }
  return "en-US";
}
