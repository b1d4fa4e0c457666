import * as z from "zod";
import { customer, lifecycleSubscription, upcomingInvoice } from "./stripe-customer-objects.ts";
import { MAX_UNIX_SECONDS } from "./ranges.ts";
import { charge, checkoutSession, dispute, invoice, invoicePayment, paymentIntent, subscription } from "./stripe-objects.ts";

/** A snapshot event: the Stripe Event object with the resource as it was (`data.object`). */
export const stripeSnapshotEvent = z.object({
  id: z.string().startsWith("evt_", "expected a Stripe event id (evt_…)"),
  object: z.literal("event"),
  api_version: z.string().nullable(),
  created: z
    .number()
    .int("expected a Unix time in whole seconds")
    .min(0, "expected a Unix time after 1970")
    .max(MAX_UNIX_SECONDS, "expected a Unix time before the year 10000"),
  data: z.object({
    object: z.record(z.string(), z.unknown()),
    previous_attributes: z.record(z.string(), z.unknown()).optional(),
  }),
  livemode: z.boolean(),
  type: z.string().min(1),
  /** The connected account, for Connect events. */
  account: z.string().optional(),
});

/** A thin (v2) event notification: no snapshot, only a reference to the related object. */
export const stripeThinEvent = z.object({
  id: z.string().startsWith("evt_"),
  object: z.literal("v2.core.event"),
  type: z.string().min(1),
  created: z.string(),
  livemode: z.boolean(),
  related_object: z.object({ id: z.string(), type: z.string(), url: z.string() }).nullable().optional(),
  /** The connected account, for Connect events. */
  context: z.string().nullable().optional(),
});

export type StripeSnapshotEvent = z.infer<typeof stripeSnapshotEvent>;
export type StripeThinEvent = z.infer<typeof stripeThinEvent>;

/** The object schema for every Stripe event type a paybus consumer reads. */
export const objectSchemas = {
  "invoice.paid": invoice,
  "invoice.payment_succeeded": invoice,
  "invoice.payment_failed": invoice,
  "payment_intent.succeeded": paymentIntent,
  "charge.succeeded": charge,
  "charge.refunded": charge,
  "checkout.session.completed": checkoutSession,
  "charge.dispute.created": dispute,
  "charge.dispute.closed": dispute,
  "charge.dispute.funds_reinstated": dispute,
  "invoice_payment.paid": invoicePayment,
  "customer.subscription.created": subscription,
  "customer.subscription.updated": lifecycleSubscription,
  "customer.subscription.deleted": lifecycleSubscription,
  "customer.subscription.trial_will_end": lifecycleSubscription,
  "customer.created": customer,
  "customer.updated": customer,
  "customer.deleted": customer,
  "invoice.payment_action_required": invoice,
  "invoice.upcoming": upcomingInvoice,
} as const;

export type KnownEventType = keyof typeof objectSchemas;
export type ObjectFor<T extends KnownEventType> = z.infer<(typeof objectSchemas)[T]>;

export function isKnownEventType(type: string): type is KnownEventType {
  return Object.hasOwn(objectSchemas, type);
}
