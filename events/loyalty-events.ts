/**
 * Loyalty domain events: what the programme publishes on the paybus bus (source
 * {@link LOYALTY_SOURCE}) for other systems — `PointsAwarded`, `PointsReversed`, `PointsRedeemed`,
 * `PointsExpired` and `TierChanged` — as zod schemas of their `detail`.
 *
 * **Delivery is at least once.** EventBridge may deliver an event more than once (and a publisher
 * retrying after a failure or a redelivery puts it again), and it has no client-supplied event id:
 * the envelope `id` is new on every `PutEvents`. So every detail carries a deterministic
 * `detail.id`, derived from the business fact (the purchase, the customer and tier, the
 * redemption, the expired lot), the same on every publication of that fact. **Consumers dedupe on
 * `detail.id`**, never on the envelope `id`.
 */
import * as z from "zod";

/** The `source` of every loyalty event (not `aws.`-prefixed: PutEvents refuses those from callers). */
export const LOYALTY_SOURCE = "paybus.loyalty";

export const LOYALTY_TIERS = ["member", "silver", "gold", "platinum"] as const;
const tier = z.enum(LOYALTY_TIERS);
const timestamp = z.iso.datetime();
const common = {
  /** Deterministic: the same for every publication of the same fact. Dedupe on it. */
  id: z.string().min(1),
  /** The programme's customer id (`metadata.customer_id`, else the Stripe customer). */
  customerId: z.string().min(1),
  /** When the fact happened (the Stripe event's `created`, the redemption, the expiry run). */
  occurredAt: timestamp,
};

/** A purchase earned points (gross, before any reversal). Id: `PointsAwarded:<purchaseId>`. */
export const pointsAwarded = z.object({
  ...common,
  purchaseId: z.string().min(1),
  stripeCustomerId: z.string().nullable(),
  points: z.number().int().nonnegative(),
  basePoints: z.number().int().nonnegative(),
  amount: z.number().int(),
  currency: z.string().regex(/^[a-z]{3}$/),
  promotion: z.object({ name: z.string(), multiplier: z.number().int() }).nullable(),
});

/**
 * Points of a purchase were taken back (refund or chargeback). `totalReversedPoints` is cumulative
 * (it only grows); `points` is what this event adds to the previous one. Id:
 * `PointsReversed:<purchaseId>:<totalReversedPoints>`.
 */
export const pointsReversed = z.object({
  ...common,
  purchaseId: z.string().min(1),
  points: z.number().int().positive(),
  totalReversedPoints: z.number().int().positive(),
  /** Reversed points the balance could not cover (already spent), cumulative. */
  unrecoveredPoints: z.number().int().nonnegative(),
});

/**
 * Points were spent through the loyalty API. Id: `PointsRedeemed:<customerId>:<redemptionId>`, the
 * redemption's ledger entry id (what the API answered; a retried request with the same
 * Idempotency-Key answers the same entry). No balance figure: concurrent redemptions commit without
 * reading the balance (the floor is a condition), so none is known exactly at commit — read it from
 * the API.
 */
export const pointsRedeemed = z.object({
  ...common,
  redemptionId: z.string().min(1),
  points: z.number().int().positive(),
  /** The caller's reference (an order id), when it sent one. */
  reference: z.string().nullable(),
});

/**
 * What was left of a lot of points expired (oldest first). Id: `PointsExpired:<customerId>:<lotId>`,
 * the lot's ledger entry id: a lot expires once. `balanceAfter` is exact: the expiry commits only
 * on the balance it read.
 */
export const pointsExpired = z.object({
  ...common,
  lotId: z.string().min(1),
  points: z.number().int().positive(),
  balanceAfter: z.number().int().nonnegative(),
});

/** A customer reached a new tier (tiers never go down). Id: `TierChanged:<customerId>:<newTier>`. */
export const tierChanged = z.object({
  ...common,
  stripeCustomerId: z.string().nullable(),
  previousTier: tier,
  newTier: tier.exclude(["member"]),
  /** The purchase that promoted the customer. */
  purchaseId: z.string().min(1),
});

/** Every loyalty event, by its `detail-type`. */
export const loyaltyEventSchemas = {
  PointsAwarded: pointsAwarded,
  PointsReversed: pointsReversed,
  PointsRedeemed: pointsRedeemed,
  PointsExpired: pointsExpired,
  TierChanged: tierChanged,
} as const;
export type LoyaltyEventType = keyof typeof loyaltyEventSchemas;
export type LoyaltyEventDetail<T extends LoyaltyEventType> = z.infer<(typeof loyaltyEventSchemas)[T]>;
export const LOYALTY_EVENT_TYPES = Object.keys(loyaltyEventSchemas) as LoyaltyEventType[];

/** The deterministic `detail.id` of each fact. */
export const loyaltyEventId = {
  pointsAwarded: (purchaseId: string) => `PointsAwarded:${purchaseId}`,
  pointsReversed: (purchaseId: string, totalReversedPoints: number) => `PointsReversed:${purchaseId}:${totalReversedPoints}`,
  pointsRedeemed: (customerId: string, redemptionId: string) => `PointsRedeemed:${customerId}:${redemptionId}`,
  pointsExpired: (customerId: string, lotId: string) => `PointsExpired:${customerId}:${lotId}`,
  tierChanged: (customerId: string, newTier: string) => `TierChanged:${customerId}:${newTier}`,
} as const;

/** A loyalty event as PutEvents takes it (validated: a publisher cannot put a malformed detail). */
export interface LoyaltyEventEntry {
  readonly Source: typeof LOYALTY_SOURCE;
  readonly DetailType: LoyaltyEventType;
  readonly Detail: string;
  readonly EventBusName: string;
  readonly Time: Date;
}

/** Builds the PutEvents entry of a loyalty event; throws a ZodError when the detail breaks its schema. */
export function loyaltyEventEntry<T extends LoyaltyEventType>(detailType: T, detail: LoyaltyEventDetail<T>, eventBusName: string): LoyaltyEventEntry {
  const parsed = loyaltyEventSchemas[detailType].parse(detail);
  return { Source: LOYALTY_SOURCE, DetailType: detailType, Detail: JSON.stringify(parsed), EventBusName: eventBusName, Time: new Date(parsed.occurredAt) };
}

/** Reads a loyalty event's detail from an EventBridge envelope (`detail-type` + `detail`). */
export function parseLoyaltyEvent<T extends LoyaltyEventType>(detailType: T, envelope: { readonly "detail-type"?: unknown; readonly detail?: unknown }): LoyaltyEventDetail<T> {
  if (envelope["detail-type"] !== detailType) throw new z.ZodError([{ code: "custom", path: ["detail-type"], message: `expected ${detailType}`, input: envelope["detail-type"] }]);
  return loyaltyEventSchemas[detailType].parse(envelope.detail) as LoyaltyEventDetail<T>;
}
