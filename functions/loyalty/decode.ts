/**
 * What a Stripe event means for the loyalty programme, decided without I/O: a purchase to credit,
 * a reversal to apply, or a skip with its reason.
 *
 * Purchase identity is the PaymentIntent (`pi_…`): one payment emits `payment_intent.succeeded`,
 * `charge.succeeded` and (through Checkout) `checkout.session.completed`, all naming the same
 * PaymentIntent, so whichever arrives first awards and the others are duplicates. A charge made
 * without a PaymentIntent (legacy Charges API) is its own purchase, keyed by its `ch_…` id.
 */
import type { DecodedMessage } from "../../events/parse.ts";
import type { Charge, CheckoutSession, Dispute, InvoicePayment, PaymentIntent } from "../../events/stripe-objects.ts";
import type { Money } from "../../events/money.ts";
import { computeAward, NO_REVERSAL, UnconfiguredCurrencyError, type Award, type AwardRules, type ReversalState } from "./points.ts";

/** The Stripe event types the loyalty consumer reads (the `LoyaltyAccrual` and `LoyaltyReversal` rules). */
export const LOYALTY_EVENT_TYPES = [
  "payment_intent.succeeded",
  "charge.succeeded",
  "checkout.session.completed",
  "charge.refunded",
  "charge.dispute.created",
  "charge.dispute.closed",
  "charge.dispute.funds_reinstated",
  "invoice_payment.paid",
] as const;
export type LoyaltyEventType = (typeof LOYALTY_EVENT_TYPES)[number];

/** The metadata value that marks a premium purchase. */
export const PREMIUM_CATEGORY = "premium";

/** Where an effect came from, for the ledger and the logs. */
export interface EventRef {
  /** The Stripe event id (`evt_…`): the business identity of a delivery, never the envelope id. */
  readonly eventId: string;
  readonly eventType: LoyaltyEventType;
  /** The Stripe event's `created`, epoch seconds. */
  readonly created: number;
}

/** A purchase to credit. */
export interface Accrual {
  readonly kind: "accrual";
  readonly purchaseId: string;
  /** The loyalty customer: `metadata.customer_id`, else the Stripe customer id. */
  readonly customerId: string;
  readonly stripeCustomerId: string | null;
  readonly money: Money;
  readonly premium: boolean;
  readonly award: Award;
  readonly source: EventRef;
}

/** Money going back to the customer for a purchase. */
export interface Reversal {
  readonly kind: "reversal";
  readonly purchaseId: string;
  readonly state: ReversalState;
  readonly source: EventRef;
}

/** Why an event earns or reverses nothing. */
export type SkipReason =
  | "thin-event"
  | "payment-not-succeeded"
  | "not-captured"
  | "checkout-not-payment-mode"
  | "checkout-unpaid"
  | "subscription-payment"
  | "no-purchase-id"
  | "no-customer"
  | "currency-not-configured"
  | "dispute-inquiry"
  /** An invoice payment while subscription payments accrue: the payment's own events credit it. */
  | "subscription-payment-accrues";

/**
 * Reasons that concern a real purchase the programme would credit if it knew how: such skips are
 * recorded on the ledger (not only logged) so that an operator can credit them later.
 */
export const RECORDED_SKIP_REASONS: ReadonlySet<SkipReason> = new Set(["no-customer", "currency-not-configured"]);

export interface Skip {
  readonly kind: "skip";
  readonly reason: SkipReason;
  readonly detail: string;
  readonly purchaseId: string | null;
  readonly source: EventRef | null;
  /** The purchase as far as it is known, for recorded skips. */
  readonly money: Money | null;
  readonly customerId: string | null;
}

export type LoyaltyCommand = Accrual | Reversal | Skip;

function skip(
  reason: SkipReason,
  detail: string,
  source: EventRef | null,
  extra: { purchaseId?: string | null; money?: Money | null; customerId?: string | null } = {},
): Skip {
  return {
    kind: "skip",
    reason,
    detail,
    source,
    purchaseId: extra.purchaseId ?? null,
    money: extra.money ?? null,
    customerId: extra.customerId ?? null,
  };
}

/** The facts every purchase event yields, whichever of the three it is. */
interface PurchaseFacts {
  readonly purchaseId: string;
  readonly money: Money;
  readonly metadata: Record<string, string>;
  readonly stripeCustomerId: string | null;
}

function purchaseCommand(facts: PurchaseFacts, source: EventRef, config: AwardRules): Accrual | Skip {
  const { purchaseId, money, metadata, stripeCustomerId } = facts;
  const customerId = metadata.customer_id || stripeCustomerId;
  if (!customerId) {
    return skip("no-customer", "neither metadata.customer_id nor a Stripe customer", source, { purchaseId, money });
  }
  const premium = metadata.product_category === PREMIUM_CATEGORY;
  try {
    const award = computeAward({ money, premium, occurredAt: source.created }, config);
    return { kind: "accrual", purchaseId, customerId, stripeCustomerId, money, premium, award, source };
  } catch (error) {
    if (!(error instanceof UnconfiguredCurrencyError)) throw error;
    return skip("currency-not-configured", error.message, source, { purchaseId, money, customerId });
  }
}

function subscriptionSkip(invoiceId: string | null | undefined, source: EventRef, config: AwardRules): Skip | null {
  if (!invoiceId || config.accrueSubscriptionPayments) return null;
  return skip("subscription-payment", `pays invoice ${invoiceId}; subscription payments do not accrue`, source);
}

function fromPaymentIntent(pi: PaymentIntent, source: EventRef, config: AwardRules): LoyaltyCommand {
  if (pi.status !== "succeeded") return skip("payment-not-succeeded", `status ${pi.status}`, source, { purchaseId: pi.id });
  const subscription = subscriptionSkip(pi.invoice, source, config);
  if (subscription) return subscription;
  return purchaseCommand(
    {
      purchaseId: pi.id,
      money: { amount: pi.amount_received, currency: pi.currency },
      metadata: pi.metadata,
      stripeCustomerId: pi.customer,
    },
    source,
    config,
  );
}

function chargePurchaseId(charge: Pick<Charge, "id" | "payment_intent">): string {
  return charge.payment_intent ?? charge.id;
}

function fromChargeSucceeded(charge: Charge, source: EventRef, config: AwardRules): LoyaltyCommand {
  const purchaseId = chargePurchaseId(charge);
  if (!charge.paid || charge.status !== "succeeded") {
    return skip("payment-not-succeeded", `status ${charge.status}`, source, { purchaseId });
  }
  // An authorisation awaiting capture also emits charge.succeeded; the capture will emit
  // payment_intent.succeeded, which must then still be free to award.
  if (charge.amount_captured <= 0) return skip("not-captured", "authorised, not captured", source, { purchaseId });
  const subscription = subscriptionSkip(charge.invoice, source, config);
  if (subscription) return subscription;
  return purchaseCommand(
    {
      purchaseId,
      money: { amount: charge.amount_captured, currency: charge.currency },
      metadata: charge.metadata,
      stripeCustomerId: charge.customer,
    },
    source,
    config,
  );
}

function fromCheckoutSession(session: CheckoutSession, source: EventRef, config: AwardRules): LoyaltyCommand {
  // Subscription sessions are paid by their first invoice, whose PaymentIntent events decide.
  if (session.mode !== "payment") return skip("checkout-not-payment-mode", `mode ${session.mode}`, source);
  // Delayed payment methods complete the session unpaid; payment_intent.succeeded follows when paid.
  if (session.payment_status !== "paid") {
    return skip("checkout-unpaid", `payment_status ${session.payment_status}`, source, { purchaseId: session.payment_intent });
  }
  if (!session.payment_intent || session.amount_total === null || session.currency === null) {
    return skip("no-purchase-id", "paid session without payment_intent, amount_total or currency", source);
  }
  return purchaseCommand(
    {
      purchaseId: session.payment_intent,
      money: { amount: session.amount_total, currency: session.currency },
      metadata: session.metadata ?? {},
      stripeCustomerId: session.customer,
    },
    source,
    config,
  );
}

function fromRefund(charge: Charge, source: EventRef): Reversal {
  return {
    kind: "reversal",
    purchaseId: chargePurchaseId(charge),
    // amount_refunded is cumulative, so the state is the target itself: no previous_attributes
    // needed, and an older refund event arriving late cannot lower it (the ledger keeps the max).
    state: { ...NO_REVERSAL, refundedAmount: charge.amount_refunded, refundBasis: charge.amount_captured },
    source,
  };
}

/**
 * Any event about a dispute (created, closed, funds reinstated) says what its status says: a
 * chargeback that is not an inquiry takes the points; `won` (the merchant kept the money) means the
 * chargeback took them and must give them back. `won` is the only signal: Stripe also sends
 * `charge.dispute.funds_reinstated` for disputes on partially refunded payments, so that event
 * alone does not mean the dispute was won. Whichever of these events arrive, in any order and
 * however often, the joined state is the same.
 */
function fromDispute(dispute: Dispute, source: EventRef): Reversal | Skip {
  const purchaseId = dispute.payment_intent ?? dispute.charge;
  if (dispute.status.startsWith("warning_")) {
    return skip("dispute-inquiry", `status ${dispute.status}: an inquiry, no funds withdrawn`, source, { purchaseId });
  }
  const state = { ...NO_REVERSAL, chargedBack: true, disputeWon: dispute.status === "won" };
  return { kind: "reversal", purchaseId, state, source };
}

/**
 * `invoice_payment.paid` (API versions from 2025-03-31, where PaymentIntents and charges no longer
 * name their invoice): the PaymentIntent (or charge) it names pays an invoice. The purchase is the
 * same one its `payment_intent.succeeded` / `charge.succeeded` credit (same key, so never counted
 * twice); the invoice payment carries no customer or metadata, so it never credits by itself.
 * With `accrueSubscriptionPayments` on, it changes nothing; off, it marks the purchase as a
 * subscription payment, which takes back whatever the PaymentIntent's event credited (if it came
 * first) or makes it earn nothing (if it comes later).
 */
function fromInvoicePayment(payment: InvoicePayment, source: EventRef, config: AwardRules): Reversal | Skip {
  const purchaseId = payment.payment.payment_intent ?? payment.payment.charge ?? null;
  if (payment.status !== "paid") return skip("payment-not-succeeded", `status ${payment.status}`, source, { purchaseId });
  if (!purchaseId) return skip("no-purchase-id", `paid by ${payment.payment.type}, not a PaymentIntent or charge`, source);
  if (config.accrueSubscriptionPayments) {
    return skip("subscription-payment-accrues", `pays invoice ${payment.invoice}; credited by the payment's own events`, source, { purchaseId });
  }
  return { kind: "reversal", purchaseId, state: { ...NO_REVERSAL, subscriptionPayment: true }, source };
}

/** The loyalty meaning of one decoded message. */
export function toLoyaltyCommand(message: DecodedMessage<LoyaltyEventType>, config: AwardRules): LoyaltyCommand {
  if (message.kind === "thin") return skip("thin-event", `thin event ${message.event.type}`, null);
  const source: EventRef = { eventId: message.event.id, eventType: message.type, created: message.event.created };
  switch (message.type) {
    case "payment_intent.succeeded":
      return fromPaymentIntent(message.object, source, config);
    case "charge.succeeded":
      return fromChargeSucceeded(message.object, source, config);
    case "checkout.session.completed":
      return fromCheckoutSession(message.object, source, config);
    case "charge.refunded":
      return fromRefund(message.object, source);
    case "charge.dispute.created":
    case "charge.dispute.closed":
    case "charge.dispute.funds_reinstated":
      return fromDispute(message.object, source);
    case "invoice_payment.paid":
      return fromInvoicePayment(message.object, source, config);
  }
}
