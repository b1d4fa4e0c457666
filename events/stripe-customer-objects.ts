import * as z from "zod";
import { invoice, subscription } from "./stripe-objects.ts";

/**
 * The Stripe objects of the customer lifecycle: the Customer (profile sync) and the upcoming
 * invoice (renewal reminders). Only the fields paybus reads; unknown fields are accepted.
 */

const metadata = z.record(z.string(), z.string());

/**
 * A Stripe Customer as `customer.created`, `customer.updated` and `customer.deleted` carry it
 * (`customer.deleted` sends the last state of the object; newer API versions may add
 * `deleted: true`).
 */
export const customer = z.object({
  id: z.string().startsWith("cus_", "expected a Stripe customer id (cus_…)"),
  object: z.literal("customer"),
  email: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
  /** The customer's preferred languages, most preferred first (e.g. `["fr", "en"]`). */
  preferred_locales: z.array(z.string()).nullable().optional(),
  metadata: metadata.nullable().optional(),
  created: z.number().int(),
  livemode: z.boolean(),
  deleted: z.boolean().optional(),
});

/**
 * The invoice of `invoice.upcoming`: a preview of the next renewal. Stripe sends it before the
 * invoice exists, so it has no `id` (and no number or hosted page); everything else is an invoice.
 */
export const upcomingInvoice = invoice.extend({
  id: z.string().startsWith("in_").nullable().optional(),
  object: z.literal("invoice"),
});

const unixSeconds = z.number().int();

/**
 * A subscription with the dates its lifecycle notices tell: when the trial ends, when a scheduled
 * cancellation takes effect, when it ended. The current period end moved to the subscription items
 * in API version 2025-03-31; {@link subscriptionPeriodEnd} reads either layout.
 */
export const lifecycleSubscription = subscription.extend({
  trial_end: unixSeconds.nullable().optional(),
  cancel_at: unixSeconds.nullable().optional(),
  canceled_at: unixSeconds.nullable().optional(),
  ended_at: unixSeconds.nullable().optional(),
  items: z
    .object({ data: z.array(z.object({ current_period_end: unixSeconds.optional() })) })
    .optional(),
});

export type LifecycleSubscription = z.infer<typeof lifecycleSubscription>;

/** The end of the subscription's current period, in either API layout (latest item end). */
export function subscriptionPeriodEnd(sub: LifecycleSubscription): number | undefined {
  const ends = (sub.items?.data ?? []).flatMap((item) => (item.current_period_end === undefined ? [] : [item.current_period_end]));
  return ends.length > 0 ? Math.max(...ends) : sub.current_period_end;
}

export type Customer = z.infer<typeof customer>;
export type UpcomingInvoice = z.infer<typeof upcomingInvoice>;
