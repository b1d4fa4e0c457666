/**
 * The input of the engagement state machine (`workflows/engagement.asl.json`), validated by the
 * loyalty consumer before it starts an execution. The ASL reads only fields declared here; a
 * contract test walks the definition and fails when it reads a path this schema does not have.
 */
import * as z from "zod";

/**
 * Loyalty tiers from lowest to highest; `member` is everyone's starting tier. Declared with the
 * workflow's input contract (which carries tiers) so the workflow never imports the loyalty
 * consumer; the consumer imports them from here (`functions/loyalty/points.ts` re-exports them).
 */
export const TIER_NAMES = ["member", "silver", "gold", "platinum"] as const;

export const tier = z.enum(TIER_NAMES);

/** Points above which a purchase takes the high-value path (the ASL's Choice compares with it). */
export const HIGH_VALUE_POINTS = 500;

/**
 * The facts of a purchase that the workflow input and its tasks' payloads (the email and follow-up
 * requests) share. Unrefined, so that those schemas can extend it.
 */
export const purchaseFacts = z.object({
  /** The purchase (PaymentIntent id) that earned the points; one execution per purchase. */
  purchaseId: z.string().min(1),
  /** The loyalty customer id. */
  customerId: z.string().min(1),
  /** The Stripe customer (`cus_…`), to find the customer's profile and email; null for guests. */
  stripeCustomerId: z.string().min(1).nullable(),
  /** Points the purchase earned (before any reversal). */
  pointsEarned: z.number().int().nonnegative(),
  /** The purchase amount in minor units, and its currency. */
  amount: z.number().int().nonnegative(),
  currency: z.string().regex(/^[a-z]{3}$/),
  /** The tier the purchase promoted the customer to; null when it promoted no one. */
  newTier: tier.nullable(),
});

// `newTier` is re-added after `previousTier`, so the parsed input (the execution's input string)
// keeps its key order.
const { newTier, ...factsBeforeTiers } = purchaseFacts.shape;

export const engagementInput = z
  .object({
    ...factsBeforeTiers,
    /** Whether this purchase promoted the customer; `previousTier`/`newTier` are set exactly when it did. */
    tierChanged: z.boolean(),
    previousTier: tier.nullable(),
    newTier,
    /** When the purchase happened (the Stripe event's `created`), ISO 8601. */
    occurredAt: z.iso.datetime(),
  })
  .strict()
  .refine((input) => input.tierChanged === (input.newTier !== null && input.previousTier !== null), {
    message: "previousTier and newTier are set exactly when tierChanged is true",
    path: ["tierChanged"],
  });

export type EngagementInput = z.infer<typeof engagementInput>;
