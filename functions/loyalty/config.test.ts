import { describe, expect, it } from "vitest";
import { LoyaltyConfigError, loadLoyaltyConfig, parseLoyaltyConfig } from "./config.ts";

describe("loyalty configuration", () => {
  it("defaults to 1 point per USD, 2× premium, no promotions, no subscription accrual, expiry after 365 days", () => {
    expect(parseLoyaltyConfig(undefined)).toEqual({
      currencies: { usd: { points: 1, perUnits: 1 } },
      premiumMultiplier: 2,
      promotions: [],
      accrueSubscriptionPayments: false,
      expiry: { afterDays: 365, warnDays: 14 },
      milestones: { currency: "usd", thresholds: [] },
    });
  });

  it("switches expiry off with null and refuses a warning lead as long as the expiry", () => {
    expect(parseLoyaltyConfig(JSON.stringify({ expiry: null })).expiry).toBeNull();
    expect(() => parseLoyaltyConfig(JSON.stringify({ expiry: { afterDays: 30, warnDays: 30 } }))).toThrow(/expiry\.warnDays: warnDays must be shorter/);
  });

  it("reads PAYBUS_LOYALTY_CONFIG, defaulting promotion multipliers to 3", () => {
    const config = loadLoyaltyConfig({
      PAYBUS_LOYALTY_CONFIG: JSON.stringify({
        currencies: { jpy: { points: 1, perUnits: 100 } },
        promotions: [{ name: "spring", start: "2026-03-01T00:00:00Z", end: "2026-04-01T00:00:00+09:00" }],
        accrueSubscriptionPayments: true,
      }),
    });

    expect(config.currencies).toEqual({ jpy: { points: 1, perUnits: 100 } });
    expect(config.promotions[0]?.multiplier).toBe(3);
    expect(config.accrueSubscriptionPayments).toBe(true);
  });

  it.each([
    ["{", /not valid JSON/],
    [JSON.stringify({ currencies: { usd: { points: 0.5, perUnits: 1 } } }), /currencies\.usd\.points/],
    [JSON.stringify({ currencies: { USD: { points: 1, perUnits: 1 } } }), /lower-case ISO 4217/],
    [JSON.stringify({ promotions: [{ name: "x", start: "2026-02-01T00:00:00Z", end: "2026-01-01T00:00:00Z" }] }), /promotions\.0\.end: start must be before end/],
    [JSON.stringify({ premiumMultiplyer: 2 }), /Unrecognized key/],
  ])("refuses %s", (json, message) => {
    expect(() => parseLoyaltyConfig(json)).toThrow(LoyaltyConfigError);
    expect(() => parseLoyaltyConfig(json)).toThrow(message);
  });
});
