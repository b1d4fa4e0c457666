/**
 * What a tier promotion grants in the customer's Stripe account, configured by
 * `PAYBUS_TIER_REWARDS` (JSON, validated): a customer balance credit (the default: Stripe applies it
 * to the customer's next invoice) or a one-customer promotion code over a percent-off coupon.
 */
import * as z from "zod";
import type { Tier } from "../loyalty/points.ts";

export const TIER_REWARDS_ENV = "PAYBUS_TIER_REWARDS";

type RewardTier = Exclude<Tier, "member">;
const perTier = <T extends z.ZodType>(value: T) => z.object({ silver: value, gold: value, platinum: value }).strict();

export const tierRewardsConfig = z
  .object({
    /** `balance-credit` (customers.createBalanceTransaction) or `promotion-code` (coupon + promotion code). */
    kind: z.enum(["balance-credit", "promotion-code"]).default("balance-credit"),
    /** Currency of the balance credits (a customer's balance has one currency: use the account's). */
    currency: z.string().regex(/^[a-z]{3}$/).default("usd"),
    /** Credit per tier, in the currency's minor units. */
    credits: perTier(z.number().int().positive()).default({ silver: 500, gold: 1_000, platinum: 2_500 }),
    /** Percent off per tier, for promotion codes. */
    percentOff: perTier(z.number().int().min(1).max(100)).default({ silver: 5, gold: 10, platinum: 15 }),
    /** Days a promotion code stays redeemable. */
    validDays: perTier(z.number().int().min(1)).default({ silver: 30, gold: 60, platinum: 90 }),
    /** A Connect account (`acct_…`) whose customers these are (the `Stripe-Account` header); unset: the platform. */
    account: z.string().regex(/^acct_[A-Za-z0-9]+$/).optional(),
  })
  .strict();
export type TierRewardsConfig = z.infer<typeof tierRewardsConfig>;

/** The configuration cannot be used: the task fails rather than grant a guessed reward. */
export class TierRewardsConfigError extends Error {
  override name = "TierRewardsConfigError";
}

export function loadTierRewardsConfig(env: NodeJS.ProcessEnv = process.env): TierRewardsConfig {
  const raw = env[TIER_REWARDS_ENV];
  let value: unknown = {};
  try {
    if (raw && raw.trim() !== "") value = JSON.parse(raw);
  } catch (cause) {
    throw new TierRewardsConfigError(`${TIER_REWARDS_ENV} is not valid JSON`, { cause });
  }
  const result = tierRewardsConfig.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new TierRewardsConfigError(`${TIER_REWARDS_ENV}.${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }
  return result.data;
}

/** What was applied, as the email, the CLI and the dashboard tell it. */
export const appliedReward = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("balance-credit"), amount: z.number().int().positive(), currency: z.string(), stripeId: z.string() }),
  z.object({ kind: z.literal("promotion-code"), code: z.string(), percentOff: z.number().int(), validUntil: z.string(), stripeId: z.string() }),
  /** Nothing could be applied in Stripe (no Stripe customer): the email says nothing about a reward. */
  z.object({ kind: z.literal("none"), reason: z.string() }),
]);
export type AppliedReward = z.infer<typeof appliedReward>;

/**
 * The Stripe `Idempotency-Key` of one reward: one per account, customer and tier (and step), so
 * every retry of every delivery asks Stripe for the very same object. Stripe keeps keys for at
 * least 24 hours; the reward record in DynamoDB (written after Stripe answers) covers the rest.
 */
export function rewardIdempotencyKey(config: Pick<TierRewardsConfig, "account">, stripeCustomerId: string, tier: RewardTier, step: string): string {
  return `paybus-tier-reward:${config.account ?? "platform"}:${stripeCustomerId}:${tier}:${step}`;
}
