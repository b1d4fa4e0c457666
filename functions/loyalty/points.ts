/**
 * The loyalty rules as pure integer arithmetic: points for a purchase, multipliers, tiers and how
 * much of an award a refund or a chargeback takes back. BigInt keeps the products exact for any
 * amount Stripe can send; nothing here touches floating point.
 */
import { currencyExponent, type Money } from "../../events/money.ts";
import { TIER_NAMES } from "../../events/engagement-input.ts";
import type { LoyaltyConfig, PromotionWindow } from "./config.ts";
import { promotionFor, type ActiveWindow } from "./promotions.ts";

/** Tiers from lowest to highest; `member` is everyone's starting tier (declared with the workflow input). */
export { TIER_NAMES };
export type Tier = (typeof TIER_NAMES)[number];

/** Lifetime points needed for each tier above `member`. */
export const TIER_THRESHOLDS: Readonly<Record<Exclude<Tier, "member">, number>> = {
  silver: 1_000,
  gold: 5_000,
  platinum: 15_000,
};

/** The tier earned by `lifetimePoints` (points ever awarded, before reversals). */
export function tierFor(lifetimePoints: number): Tier {
  if (lifetimePoints >= TIER_THRESHOLDS.platinum) return "platinum";
  if (lifetimePoints >= TIER_THRESHOLDS.gold) return "gold";
  if (lifetimePoints >= TIER_THRESHOLDS.silver) return "silver";
  return "member";
}

/** `0` for member up to `3` for platinum, for comparing tiers. */
export function tierRank(tier: Tier): number {
  return TIER_NAMES.indexOf(tier);
}

/** Lifetime points at which `tier` starts (0 for member). */
function thresholdOf(tier: Tier): number {
  return tier === "member" ? 0 : TIER_THRESHOLDS[tier];
}

/** Lifetime points at which the tier above `tier` starts; Infinity above platinum. */
function nextThresholdOf(tier: Tier): number {
  const next = TIER_NAMES[tierRank(tier) + 1];
  return next ? thresholdOf(next) : Number.POSITIVE_INFINITY;
}

/**
 * The tier after an accrual of `points` to a customer at `current` with `lifetimePoints`: it only
 * ever goes up. For a promotion, also the range of lifetime totals (before the accrual) for which
 * that promotion is the right one, so that the write can be conditioned on it.
 */
export function tierAfterAccrual(
  current: Tier,
  lifetimePoints: number,
  points: number,
): { readonly tier: Tier; readonly promoted: boolean; readonly lifetimeRange: readonly [number, number] } {
  const earned = tierFor(lifetimePoints + points);
  const tier = tierRank(earned) > tierRank(current) ? earned : current;
  const promoted = tier !== current;
  const low = promoted ? thresholdOf(tier) - points : 0;
  return { tier, promoted, lifetimeRange: [Math.max(0, low), nextThresholdOf(tier) - points - 1] };
}

/**
 * For each stored tier, the largest lifetime total (before the accrual) at which adding `points`
 * does not reach the next tier. A write conditioned on "lifetime is within the bound of whatever
 * tier is stored" is right whatever else committed meanwhile, so accruals that promote no one
 * never conflict with each other.
 */
export function noPromotionBounds(points: number): Readonly<Record<Tier, number>> {
  return Object.fromEntries(TIER_NAMES.map((tier) => [tier, nextThresholdOf(tier) - points - 1])) as Record<Tier, number>;
}

/** How the points of one purchase were computed, kept on the ledger entry for audit. */
export interface Award {
  /** Points from the amount alone. */
  readonly basePoints: number;
  /** 1, or the premium multiplier when the purchase is premium. */
  readonly premiumMultiplier: number;
  /** The promotion that applied, if any (the highest multiplier among overlapping windows). */
  readonly promotion: { readonly name: string; readonly multiplier: number } | null;
  /** `basePoints × premiumMultiplier × promotion multiplier`. */
  readonly points: number;
}

/**
 * The configuration an award is computed with: the environment's, with `promotions` replaced by the
 * `promotions` table's windows when it holds any (`promotions.ts`).
 */
export type AwardRules = Omit<LoyaltyConfig, "promotions"> & { readonly promotions: readonly ActiveWindow[] };

/** The purchase facts the award depends on. */
export interface AwardInput {
  readonly money: Money;
  readonly premium: boolean;
  /** When the purchase happened, epoch seconds (the Stripe event's `created`). */
  readonly occurredAt: number;
}

/** Raised for a currency without a configured rate; callers record the purchase as skipped. */
export class UnconfiguredCurrencyError extends Error {
  override name = "UnconfiguredCurrencyError";
  constructor(readonly currency: string) {
    super(`no points rate is configured for ${currency.toUpperCase()}`);
  }
}

/**
 * Points for the amount alone: ⌊amount × points ÷ (perUnits × 10^exponent)⌋ on the exact minor
 * units, so 20.99 USD at 1 point per unit is 20 and ¥4,800 at 1 point per ¥100 is 48.
 */
export function basePoints(money: Money, config: Pick<LoyaltyConfig, "currencies">): number {
  const rate = config.currencies[money.currency.toLowerCase()];
  if (!rate) throw new UnconfiguredCurrencyError(money.currency);
  if (money.amount <= 0) return 0;
  const divisor = BigInt(rate.perUnits) * 10n ** BigInt(currencyExponent(money.currency));
  return Number((BigInt(money.amount) * BigInt(rate.points)) / divisor);
}

/** The promotion in force at `epochSeconds`: windows are `[start, end)`; overlapping windows do not stack, the highest wins. */
export function activePromotion(promotions: readonly PromotionWindow[], epochSeconds: number): PromotionWindow | null {
  const at = epochSeconds * 1000;
  let best: PromotionWindow | null = null;
  for (const window of promotions) {
    if (Date.parse(window.start) <= at && at < Date.parse(window.end) && window.multiplier > (best?.multiplier ?? 0)) {
      best = window;
    }
  }
  return best;
}

/**
 * The award for one purchase. Multipliers multiply: a premium purchase (2×) during a 3×
 * promotion earns 6× the base points. The base is floored first, so multipliers never round.
 */
export function computeAward(input: AwardInput, config: AwardRules): Award {
  const base = basePoints(input.money, config);
  const premiumMultiplier = input.premium ? config.premiumMultiplier : 1;
  // The table's windows (with their combine rules and conditions) or the environment's.
  const promotion = promotionFor(config.promotions, input.occurredAt, { currency: input.money.currency, premium: input.premium });
  const points = Number(BigInt(base) * BigInt(premiumMultiplier) * BigInt(promotion?.multiplier ?? 1));
  return {
    basePoints: base,
    premiumMultiplier,
    promotion: promotion ? { name: promotion.name, multiplier: promotion.multiplier } : null,
    points,
  };
}

/**
 * What is known about the money going back to the customer for one purchase. Every field only
 * grows (a join of everything seen), so the same set of events gives the same state in any order.
 */
export interface ReversalState {
  /** Cumulative amount refunded (`charge.amount_refunded`, the largest seen), minor units. */
  readonly refundedAmount: number;
  /** What the refunded share is a share of (`charge.amount_captured`), minor units. */
  readonly refundBasis: number;
  /** A chargeback (a dispute that is not an inquiry) was opened. */
  readonly chargedBack: boolean;
  /**
   * The merchant won that dispute (`status: "won"` on any dispute event: `charge.dispute.closed`,
   * `charge.dispute.funds_reinstated`): the chargeback no longer takes anything back. Only grows,
   * like the rest, so a late `charge.dispute.created` cannot take the points again.
   */
  readonly disputeWon: boolean;
  /**
   * An `invoice_payment.paid` said this payment pays an invoice while `accrueSubscriptionPayments`
   * is off: on API versions from 2025-03-31 the PaymentIntent cannot tell, so it may have been
   * credited first; it earns nothing after all.
   */
  readonly subscriptionPayment: boolean;
}

export const NO_REVERSAL: ReversalState = { refundedAmount: 0, refundBasis: 0, chargedBack: false, disputeWon: false, subscriptionPayment: false };

/** Both states together: the larger refund, a chargeback if either had one, won if either saw it won. */
export function mergeReversal(a: ReversalState, b: ReversalState): ReversalState {
  const refund = b.refundedAmount > a.refundedAmount ? b : a;
  return {
    refundedAmount: refund.refundedAmount,
    refundBasis: refund.refundBasis,
    chargedBack: a.chargedBack || b.chargedBack,
    disputeWon: a.disputeWon || b.disputeWon,
    subscriptionPayment: a.subscriptionPayment || b.subscriptionPayment,
  };
}

/**
 * Points that should have been taken back in total: all of them after a chargeback the merchant has
 * not won, otherwise ⌊awarded × refunded ÷ basis⌋. Callers apply the difference to what they
 * already took back (a won dispute makes that difference negative: points restored).
 */
export function reversalTarget(awardedPoints: number, state: ReversalState): number {
  if (state.subscriptionPayment) return awardedPoints;
  if (state.chargedBack && !state.disputeWon) return awardedPoints;
  if (state.refundBasis <= 0 || state.refundedAmount <= 0) return 0;
  const share = (BigInt(awardedPoints) * BigInt(state.refundedAmount)) / BigInt(state.refundBasis);
  return Math.min(awardedPoints, Number(share));
}
