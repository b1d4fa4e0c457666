/**
 * The reward of a tier promotion, applied in the customer's Stripe account exactly once: a
 * customer balance credit or a promotion code restricted to the customer (`rewards.ts`).
 *
 * The task runs on at-least-once delivery (Step Functions retries, redelivered purchases find the
 * same execution), so:
 * 1. a reward already recorded (`CUSTOMER#<id>` / `OFFER#<tier>`) is returned as it is;
 * 2. otherwise Stripe is asked with an `Idempotency-Key` derived from account, customer and tier:
 *    a retry, or a concurrent twin, gets the very same Stripe object back (Stripe replays the saved
 *    answer; the same key with other parameters is refused, never a second credit);
 * 3. the answer is recorded (conditional put: the first record wins and is what everyone returns).
 * The record is what the email, `paybus stripe credits` and the dashboard read.
 */
import { createHash } from "node:crypto";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type Stripe from "stripe";
import * as z from "zod";
import { tier } from "../../events/engagement-input.ts";
import type { TaskTable } from "../common/task.ts";
import { getProfile, type ProfileTable } from "../common/profiles.ts";
import { classifyStripeError } from "../common/stripe.ts";
import { appliedReward, rewardIdempotencyKey, type AppliedReward, type TierRewardsConfig } from "./rewards.ts";

export const offerRequest = z.object({
  executionName: z.string().min(1),
  purchaseId: z.string().min(1),
  customerId: z.string().min(1),
  /** The Stripe customer whose account gets the reward; null when the purchase named none. */
  stripeCustomerId: z.string().min(1).nullable().default(null),
  previousTier: tier,
  newTier: tier.exclude(["member"]),
  occurredAt: z.iso.datetime(),
});
export type OfferRequest = z.infer<typeof offerRequest>;

export const offerKey = (customerId: string, offerTier: string) => ({ pk: `CUSTOMER#${customerId}`, sk: `OFFER#${offerTier}` });

/** The promotion code of a customer and tier: derived, so every retry names the same code. */
export function promotionCodeFor(customerId: string, newTier: string): string {
  const digest = createHash("sha256").update(`${customerId}\u0000${newTier}`).digest("hex").slice(0, 8);
  return `${newTier.toUpperCase()}-${digest.toUpperCase()}`;
}

export interface RewardDeps {
  readonly table: TaskTable;
  /** Customer profiles: a Connect customer's account (`profile.account`) is where the reward goes. */
  readonly profiles: ProfileTable;
  readonly config: TierRewardsConfig;
  /** Built only when Stripe must be called (a recorded reward needs no key). */
  readonly stripe: () => Promise<Stripe>;
}

export interface RewardOutcome {
  /** True when this call recorded the reward; false when it was already recorded. */
  readonly applied: boolean;
  readonly reward: AppliedReward;
}

/** The stored reward, if any. */
export async function recordedReward(table: TaskTable, customerId: string, rewardTier: string): Promise<AppliedReward | undefined> {
  const { Item } = await table.client.send(new GetCommand({ TableName: table.tableName, Key: offerKey(customerId, rewardTier), ConsistentRead: true }));
  const parsed = appliedReward.safeParse(Item?.reward);
  return parsed.success ? parsed.data : undefined;
}

async function askStripe(request: OfferRequest & { stripeCustomerId: string }, deps: RewardDeps): Promise<AppliedReward> {
  // A Connect platform's customer lives in the connected account its profile names (else the configured one).
  const profile = await getProfile(request.stripeCustomerId, deps.profiles);
  const config = { ...deps.config, account: profile?.account ?? deps.config.account };
  const stripe = await deps.stripe();
  const options = (step: string): Stripe.RequestOptions => ({
    idempotencyKey: rewardIdempotencyKey(config, request.stripeCustomerId, request.newTier, step),
    ...(config.account ? { stripeAccount: config.account } : {}),
  });
  const metadata = { paybus_customer_id: request.customerId, paybus_tier: request.newTier, paybus_purchase_id: request.purchaseId };
  try {
    if (config.kind === "balance-credit") {
      const amount = config.credits[request.newTier];
      const credit = await stripe.customers.createBalanceTransaction(
        request.stripeCustomerId,
        // Negative: a credit the customer's next invoice uses.
        { amount: -amount, currency: config.currency, description: `Loyalty reward: welcome to ${request.newTier}`, metadata },
        options("balance-credit"),
      );
      return { kind: "balance-credit", amount, currency: credit.currency, stripeId: credit.id };
    }
    const percentOff = config.percentOff[request.newTier];
    // Validity from the promotion time, not the clock: every retry sends the same parameters.
    const expiresAt = Math.floor(Date.parse(request.occurredAt) / 1000) + config.validDays[request.newTier] * 86_400;
    const coupon = await stripe.coupons.create(
      { percent_off: percentOff, duration: "once", name: `${request.newTier} welcome`, metadata },
      options("coupon"),
    );
    const code = promotionCodeFor(request.customerId, request.newTier);
    const promotion = await stripe.promotionCodes.create(
      { promotion: { type: "coupon", coupon: coupon.id }, code, customer: request.stripeCustomerId, max_redemptions: 1, expires_at: expiresAt, metadata },
      options("promotion-code"),
    );
    return { kind: "promotion-code", code: promotion.code, percentOff, validUntil: new Date(expiresAt * 1000).toISOString(), stripeId: promotion.id };
  } catch (error) {
    throw classifyStripeError(error);
  }
}

/** Grants the tier's reward in Stripe once, and records it. */
export async function applyOffer(request: OfferRequest, deps: RewardDeps): Promise<RewardOutcome> {
  const { table } = deps;
  const existing = await recordedReward(table, request.customerId, request.newTier);
  if (existing) return { applied: false, reward: existing };
  const reward: AppliedReward =
    request.stripeCustomerId === null
      ? { kind: "none", reason: "no-stripe-customer" }
      : await askStripe({ ...request, stripeCustomerId: request.stripeCustomerId }, deps);
  try {
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          ...offerKey(request.customerId, request.newTier),
          tier: request.newTier,
          purchaseId: request.purchaseId,
          stripeCustomerId: request.stripeCustomerId,
          reward,
          appliedAt: new Date().toISOString(),
        },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    return { applied: true, reward };
  } catch (error) {
    if ((error as { name?: string }).name !== "ConditionalCheckFailedException") throw error;
    // A concurrent twin recorded first: its record (the same Stripe object) is the answer.
    return { applied: false, reward: (await recordedReward(table, request.customerId, request.newTier)) ?? reward };
  }
}
