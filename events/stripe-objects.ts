import * as z from "zod";
import { MAX_EMAIL_LENGTH, MAX_MINOR_UNITS, MAX_UNIX_SECONDS } from "./ranges.ts";

/**
 * The Stripe objects paybus reads, with only the fields it uses. Unknown fields are accepted (and
 * dropped), and fields that moved in API version 2025-03-31 ("basil") are optional so that both
 * layouts parse; the accessor functions (`invoice-subscription.ts`) read whichever layout is present.
 */

const id = z.string().min(1);
/**
 * Integer minor units; Stripe never sends fractional, negative or string amounts. Stripe caps an
 * amount at eight digits for most currencies and twelve for a few: anything larger is not a real
 * amount, and beyond 2^53 it would not even survive JSON parsing exactly.
 */
const minorUnits = z
  .number()
  .int("expected an integer amount in minor units")
  .min(0, "expected an amount of 0 or more")
  .max(MAX_MINOR_UNITS, `expected an amount of at most ${MAX_MINOR_UNITS} minor units`);
const currency = z.string().regex(/^[a-z]{3}$/, "expected a lower-case ISO 4217 code");
/** Seconds since the epoch that every consumer can turn into a `Date` and an ISO 8601 string. */
const unixSeconds = z
  .number()
  .int("expected a Unix time in whole seconds")
  .min(0, "expected a Unix time after 1970")
  .max(MAX_UNIX_SECONDS, "expected a Unix time before the year 10000");
const metadata = z.record(z.string(), z.string());
const emailFormat = z.email();
/**
 * An email address Stripe copied onto the object (invoice `customer_email`, `receipt_email`,
 * `billing_details.email`, Checkout `customer_details.email`), checked at decode time: an address
 * that is not deliverable (malformed, or longer than {@link MAX_EMAIL_LENGTH}) reads as `null`.
 * Unlike an amount out of range, it is not poison: the payment it rides on is valid and must still
 * count, only nobody can be written to at that address. A non-string is still refused.
 */
export const contactEmail = z
  .string()
  .nullable()
  .optional()
  .transform((value) => (value && value.length <= MAX_EMAIL_LENGTH && emailFormat.safeParse(value).success ? value : null));

export const invoice = z.object({
  id: id.startsWith("in_"),
  object: z.literal("invoice"),
  customer: id.nullable(),
  customer_email: contactEmail,
  customer_name: z.string().nullable().optional(),
  number: z.string().nullable(),
  currency,
  amount_due: minorUnits,
  amount_paid: minorUnits,
  amount_remaining: minorUnits,
  attempt_count: z.number().int().nonnegative(),
  next_payment_attempt: unixSeconds.nullable(),
  hosted_invoice_url: z.string().nullable().optional(),
  invoice_pdf: z.string().nullable().optional(),
  period_start: unixSeconds,
  period_end: unixSeconds,
  status: z.string().nullable(),
  billing_reason: z.string().nullable().optional(),
  collection_method: z.enum(["charge_automatically", "send_invoice"]),
  created: unixSeconds,
  livemode: z.boolean(),
  metadata: metadata.nullable().optional(),
  lines: z
    .object({ data: z.array(z.object({ period: z.object({ start: unixSeconds, end: unixSeconds }).optional() })) })
    .optional(),
  /** Current layout (2025-03-31 and later). */
  parent: z
    .object({
      subscription_details: z
        .object({ subscription: z.string().nullable().optional(), metadata: metadata.nullable().optional() })
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
  /** Older layout (before 2025-03-31). */
  subscription: z.string().nullable().optional(),
  subscription_details: z.object({ metadata: metadata.nullable().optional() }).nullable().optional(),
});

export const paymentIntent = z.object({
  id: id.startsWith("pi_"),
  object: z.literal("payment_intent"),
  amount: minorUnits,
  amount_received: minorUnits,
  currency,
  customer: id.nullable(),
  description: z.string().nullable().optional(),
  metadata,
  status: z.string(),
  created: unixSeconds,
  livemode: z.boolean(),
  receipt_email: contactEmail,
  /** Older layout only: the invoice this PaymentIntent pays. */
  invoice: z.string().nullable().optional(),
});

const billingDetails = z
  .object({ email: contactEmail, name: z.string().nullable().optional() })
  .nullable()
  .optional();

export const charge = z.object({
  id: id.startsWith("ch_").or(id.startsWith("py_")),
  object: z.literal("charge"),
  amount: minorUnits,
  amount_captured: minorUnits,
  amount_refunded: minorUnits,
  currency,
  customer: id.nullable(),
  payment_intent: id.nullable(),
  metadata,
  paid: z.boolean(),
  refunded: z.boolean(),
  status: z.string(),
  created: unixSeconds,
  livemode: z.boolean(),
  billing_details: billingDetails,
  receipt_email: contactEmail,
  /** Older layout only. */
  invoice: z.string().nullable().optional(),
});

export const checkoutSession = z.object({
  id: id.startsWith("cs_"),
  object: z.literal("checkout.session"),
  mode: z.enum(["payment", "setup", "subscription"]),
  payment_status: z.enum(["paid", "unpaid", "no_payment_required"]),
  status: z.string().nullable(),
  amount_total: minorUnits.nullable(),
  currency: currency.nullable(),
  customer: id.nullable(),
  customer_details: billingDetails,
  client_reference_id: z.string().nullable().optional(),
  payment_intent: id.nullable(),
  invoice: z.string().nullable().optional(),
  subscription: z.string().nullable().optional(),
  locale: z.string().nullable().optional(),
  metadata: metadata.nullable(),
  created: unixSeconds,
  livemode: z.boolean(),
});

export const dispute = z.object({
  id: id.startsWith("du_").or(id.startsWith("dp_")),
  object: z.literal("dispute"),
  amount: minorUnits,
  currency,
  charge: id,
  payment_intent: id.nullable(),
  reason: z.string(),
  /** `warning_*` statuses are inquiries: no funds were withdrawn. */
  status: z.string(),
  metadata: metadata.nullable().optional(),
  created: unixSeconds,
  livemode: z.boolean(),
});

/**
 * An invoice payment (API versions from 2025-03-31: `invoice_payment.paid`): which PaymentIntent
 * (or, for a charge without one, which charge) paid which invoice. It names no customer.
 * https://docs.stripe.com/api/invoice-payment/object
 */
export const invoicePayment = z.object({
  id: id.startsWith("inpay_"),
  object: z.literal("invoice_payment"),
  /** Null until the payment is `paid`. */
  amount_paid: minorUnits.nullable(),
  amount_requested: minorUnits,
  currency,
  invoice: id.startsWith("in_"),
  is_default: z.boolean().optional(),
  payment: z.object({
    type: z.string(),
    payment_intent: id.nullable().optional(),
    charge: id.nullable().optional(),
    payment_record: id.nullable().optional(),
  }),
  status: z.string(),
  created: unixSeconds,
  livemode: z.boolean(),
});

export const subscription = z.object({
  id: id.startsWith("sub_"),
  object: z.literal("subscription"),
  customer: id,
  status: z.string(),
  metadata,
  cancel_at_period_end: z.boolean(),
  created: unixSeconds,
  livemode: z.boolean(),
  /** Older layout only: moved to subscription items in 2025-03-31. */
  current_period_start: unixSeconds.optional(),
  current_period_end: unixSeconds.optional(),
});

export type Invoice = z.infer<typeof invoice>;
export type PaymentIntent = z.infer<typeof paymentIntent>;
export type Charge = z.infer<typeof charge>;
export type CheckoutSession = z.infer<typeof checkoutSession>;
export type Dispute = z.infer<typeof dispute>;
export type InvoicePayment = z.infer<typeof invoicePayment>;
export type Subscription = z.infer<typeof subscription>;

// Part of this module's API; defined apart so that its users need not build the schemas above.
export { invoiceSubscription } from "./invoice-subscription.ts";
