import { describe, expect, it } from "vitest";
import { parseLoyaltyConfig } from "./config.ts";
import {
  activePromotion,
  basePoints,
  computeAward,
  mergeReversal,
  NO_REVERSAL,
  noPromotionBounds,
  reversalTarget,
  tierAfterAccrual,
  tierFor,
  UnconfiguredCurrencyError,
} from "./points.ts";

const defaults = parseLoyaltyConfig(undefined);
const multiCurrency = parseLoyaltyConfig(
  JSON.stringify({
    currencies: {
      usd: { points: 1, perUnits: 1 },
      jpy: { points: 1, perUnits: 100 },
      kwd: { points: 3, perUnits: 1 },
      bhd: { points: 5, perUnits: 2 },
    },
    promotions: [
      { name: "summer", start: "2026-07-01T00:00:00Z", end: "2026-08-01T00:00:00Z" },
      { name: "launch-week", start: "2026-07-20T00:00:00Z", end: "2026-07-27T00:00:00Z", multiplier: 4 },
    ],
  }),
);
const epoch = (iso: string) => Date.parse(iso) / 1000;

describe("base points per currency", () => {
  it.each([
    ["usd", 2000, 20],
    ["usd", 2099, 20],
    ["usd", 99, 0],
    ["jpy", 4800, 48],
    ["jpy", 99, 0],
    ["kwd", 12350, 37],
    ["bhd", 25000, 62],
  ])("%s %i minor units earn %i points", (currency, amount, points) => {
    expect(basePoints({ amount, currency }, multiCurrency)).toBe(points);
  });

  it("stays exact where floating point would round up (7 points per 3 USD)", () => {
    const config = parseLoyaltyConfig(JSON.stringify({ currencies: { usd: { points: 7, perUnits: 3 } } }));

    // 9007199254740985 × 7 ÷ 300 = 210167982610622.98…; in doubles it comes out as …623.
    expect(basePoints({ amount: 9_007_199_254_740_985, currency: "usd" }, config)).toBe(210_167_982_610_622);
  });

  it("refuses a currency without a rate, naming it", () => {
    expect(() => basePoints({ amount: 4800, currency: "jpy" }, defaults)).toThrow(UnconfiguredCurrencyError);
    expect(() => basePoints({ amount: 4800, currency: "jpy" }, defaults)).toThrow(/JPY/);
  });
});

describe("multipliers", () => {
  const july10 = epoch("2026-07-10T12:00:00Z");
  const july21 = epoch("2026-07-21T12:00:00Z");
  const september = epoch("2026-09-01T00:00:00Z");

  it("doubles premium purchases", () => {
    const award = computeAward({ money: { amount: 2000, currency: "usd" }, premium: true, occurredAt: september }, multiCurrency);

    expect(award).toEqual({ basePoints: 20, premiumMultiplier: 2, promotion: null, points: 40 });
  });

  it("triples purchases inside a promotion window", () => {
    const award = computeAward({ money: { amount: 2000, currency: "usd" }, premium: false, occurredAt: july10 }, multiCurrency);

    expect(award.points).toBe(60);
    expect(award.promotion).toEqual({ name: "summer", multiplier: 3 });
  });

  it("multiplies premium and promotion together (2 × 3 = 6×)", () => {
    const award = computeAward({ money: { amount: 2099, currency: "usd" }, premium: true, occurredAt: july10 }, multiCurrency);

    expect(award.points).toBe(20 * 6);
  });

  it("takes the highest of overlapping promotions instead of stacking them", () => {
    expect(activePromotion(multiCurrency.promotions, july21)?.name).toBe("launch-week");
    expect(computeAward({ money: { amount: 1000, currency: "usd" }, premium: false, occurredAt: july21 }, multiCurrency).points).toBe(40);
  });

  it("treats windows as [start, end)", () => {
    expect(activePromotion(multiCurrency.promotions, epoch("2026-07-01T00:00:00Z"))?.name).toBe("summer");
    expect(activePromotion(multiCurrency.promotions, epoch("2026-08-01T00:00:00Z"))).toBeNull();
  });
});

describe("tiers", () => {
  it.each([
    [0, "member"],
    [999, "member"],
    [1000, "silver"],
    [4999, "silver"],
    [5000, "gold"],
    [14_999, "gold"],
    [15_000, "platinum"],
    [1_000_000, "platinum"],
  ] as const)("%i lifetime points is %s", (points, tier) => {
    expect(tierFor(points)).toBe(tier);
  });
});

describe("the tier after an accrual, and the lifetime range it holds for", () => {
  it("stays put below the next threshold, for any lifetime that keeps it there", () => {
    expect(tierAfterAccrual("member", 900, 40)).toEqual({ tier: "member", promoted: false, lifetimeRange: [0, 959] });
  });

  it("promotes on crossing, for exactly the lifetimes that cross into that tier", () => {
    expect(tierAfterAccrual("member", 990, 40)).toEqual({ tier: "silver", promoted: true, lifetimeRange: [960, 4959] });
  });

  it("jumps several tiers at once", () => {
    expect(tierAfterAccrual("member", 0, 20_000)).toEqual({ tier: "platinum", promoted: true, lifetimeRange: [0, Number.POSITIVE_INFINITY] });
  });

  it("bounds, per stored tier, the lifetimes at which an accrual promotes no one", () => {
    expect(noPromotionBounds(40)).toEqual({ member: 959, silver: 4959, gold: 14_959, platinum: Number.POSITIVE_INFINITY });
  });

  it("never lowers a stored tier", () => {
    expect(tierAfterAccrual("gold", 10, 10)).toMatchObject({ tier: "gold", promoted: false });
  });
});

describe("reversal targets", () => {
  it("takes back the refunded share, rounded down", () => {
    expect(reversalTarget(40, { ...NO_REVERSAL, refundedAmount: 500, refundBasis: 2000, chargedBack: false })).toBe(10);
    expect(reversalTarget(41, { ...NO_REVERSAL, refundedAmount: 1000, refundBasis: 2000, chargedBack: false })).toBe(20);
    expect(reversalTarget(40, { ...NO_REVERSAL, refundedAmount: 2000, refundBasis: 2000, chargedBack: false })).toBe(40);
  });

  it("takes back everything after a chargeback, whatever was refunded", () => {
    expect(reversalTarget(40, { ...NO_REVERSAL, refundedAmount: 500, refundBasis: 2000, chargedBack: true })).toBe(40);
  });

  it("takes back only the refunded share once the chargeback's dispute is won", () => {
    const won = { ...NO_REVERSAL, chargedBack: true, disputeWon: true };
    expect(reversalTarget(40, won)).toBe(0);
    expect(reversalTarget(40, { ...won, refundedAmount: 1000, refundBasis: 2000 })).toBe(20);
    // A late dispute.created cannot take the points again: the join keeps `disputeWon`.
    expect(reversalTarget(40, mergeReversal(won, { ...NO_REVERSAL, chargedBack: true }))).toBe(0);
  });

  it("takes back everything from a payment an invoice payment marked as a subscription payment", () => {
    expect(reversalTarget(30, { ...NO_REVERSAL, subscriptionPayment: true })).toBe(30);
    expect(reversalTarget(30, { ...NO_REVERSAL, subscriptionPayment: true, chargedBack: true, disputeWon: true })).toBe(30);
  });

  it("takes back nothing without a refund or a basis", () => {
    expect(reversalTarget(40, NO_REVERSAL)).toBe(0);
  });

  it("gives successive partial refunds their deltas from cumulative targets", () => {
    const awarded = 40;
    const first = { ...NO_REVERSAL, refundedAmount: 500, refundBasis: 2000, chargedBack: false };
    const second = { ...NO_REVERSAL, refundedAmount: 1500, refundBasis: 2000, chargedBack: false };

    const afterFirst = reversalTarget(awarded, mergeReversal(NO_REVERSAL, first));
    const afterSecond = reversalTarget(awarded, mergeReversal(mergeReversal(NO_REVERSAL, first), second));

    expect([afterFirst, afterSecond - afterFirst]).toEqual([10, 20]);
  });

  it("merges states the same way in any order", () => {
    const states = [
      { ...NO_REVERSAL, refundedAmount: 500, refundBasis: 2000, chargedBack: false },
      { ...NO_REVERSAL, refundedAmount: 1500, refundBasis: 2000, chargedBack: false },
      { ...NO_REVERSAL, refundedAmount: 0, refundBasis: 0, chargedBack: true },
    ];

    const forward = states.reduce(mergeReversal, NO_REVERSAL);
    const backward = [...states].reverse().reduce(mergeReversal, NO_REVERSAL);

    expect(backward).toEqual(forward);
    expect(forward).toEqual({ ...NO_REVERSAL, refundedAmount: 1500, refundBasis: 2000, chargedBack: true });
  });
});
