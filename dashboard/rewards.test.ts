/**
 * The Loyalty view's read models beyond balances: ledger entries per customer (newest first,
 * capped, addresses redacted), promotion windows by state, and the local Stripe's tier rewards
 * (credits as money, promotion codes masked).
 */
import { describe, expect, it } from "vitest";
import type { LedgerEntry } from "../functions/loyalty/layout.ts";
import type { Promotion } from "../functions/loyalty/promotions.ts";
import { LocalStripe } from "../local/stripe.ts";
import { MAX_ACCOUNT_ENTRIES } from "./protocol.ts";
import { accountEntries, maskCode, promotionViews, stripeRewardViews } from "./rewards.ts";

const entry = (fields: Partial<LedgerEntry> & Pick<LedgerEntry, "entryId" | "kind" | "delta" | "at">): LedgerEntry => ({ customerId: "C-1", ...fields });

describe("account entries", () => {
  it("lists one customer's changes newest first, with what each is about and the lots' expiry", () => {
    const entries = [
      entry({ entryId: "earn-pi_1", kind: "earn", delta: 100, at: 1_000, purchaseId: "pi_1", lot: true, expiresAt: 9_000, expiredAt: 9_000, expiredPoints: 70 }),
      entry({ entryId: "redeem-1", kind: "redeem", delta: -30, at: 2_000, reference: "order-7" }),
      entry({ entryId: "adjust-1", kind: "adjust", delta: 5, at: 3_000, reason: "goodwill for jane.doe@example.com", actor: "ops.lead@shop.example", lot: true, expiresAt: 10_000 }),
      entry({ entryId: "other", kind: "earn", delta: 1, at: 4_000, customerId: "C-2" }),
    ];

    expect(accountEntries(entries, "C-1")).toEqual([
      { entryId: "adjust-1", kind: "adjust", delta: 5, at: new Date(3_000).toISOString(), note: '"goodwill for j***@example.com" by o***@shop.example', expiresAt: new Date(10_000).toISOString(), expiredPoints: undefined },
      { entryId: "redeem-1", kind: "redeem", delta: -30, at: new Date(2_000).toISOString(), note: "order-7", expiresAt: undefined, expiredPoints: undefined },
      { entryId: "earn-pi_1", kind: "earn", delta: 100, at: new Date(1_000).toISOString(), note: "pi_1", expiresAt: new Date(9_000).toISOString(), expiredPoints: 70 },
    ]);
  });

  it("keeps the newest entries when a customer has more than the view carries", () => {
    const many = Array.from({ length: MAX_ACCOUNT_ENTRIES + 5 }, (_, i) => entry({ entryId: `e-${i}`, kind: "redeem", delta: -1, at: i }));

    const shown = accountEntries(many, "C-1");

    expect(shown).toHaveLength(MAX_ACCOUNT_ENTRIES);
    expect(shown[0]!.entryId).toBe(`e-${MAX_ACCOUNT_ENTRIES + 4}`);
    expect(shown.at(-1)!.entryId).toBe("e-5");
  });
});

describe("promotion windows", () => {
  it("tells running, coming and ended windows apart, running first, with their conditions in words", () => {
    const window = (name: string, start: string, end: string, extra: Partial<Promotion> = {}): Promotion => ({ name, start, end, multiplier: 3, combine: "exclusive", ...extra });
    const now = Date.parse("2026-12-05T12:00:00Z");

    const views = promotionViews(
      [
        window("summer", "2026-06-01T00:00:00Z", "2026-07-01T00:00:00Z"),
        window("holidays", "2026-12-20T00:00:00Z", "2026-12-27T00:00:00Z", { combine: "multiply", multiplier: 2 }),
        window("weekend", "2026-12-05T00:00:00Z", "2026-12-07T00:00:00Z", { conditions: { currencies: ["usd", "jpy"], premiumOnly: true } }),
      ],
      now,
    );

    expect(views.map((view) => [view.name, view.state, view.conditions])).toEqual([
      ["weekend", "active", "usd, jpy · premium only"],
      ["holidays", "scheduled", undefined],
      ["summer", "ended", undefined],
    ]);
    expect(views[1]).toMatchObject({ multiplier: 2, combine: "multiply" });
  });
});

describe("tier rewards in Stripe", () => {
  it("shows credits as money and promotion codes masked, newest first, from the local Stripe account", () => {
    const stripe = new LocalStripe();
    stripe.call("POST", "/v1/customers/cus_Reward1/balance_transactions", { amount: "-500", currency: "usd", metadata: { paybus_customer_id: "C-1", paybus_tier: "silver" } }, "k-1");
    stripe.call("POST", "/v1/coupons", { id: "paybus-gold-10", percent_off: "10", duration: "once" }, "k-2");
    stripe.call(
      "POST",
      "/v1/promotion_codes",
      { promotion: { type: "coupon", coupon: "paybus-gold-10" }, code: "GOLD-1A2B3C4D", customer: "cus_Reward2", max_redemptions: "1", expires_at: "1893456000", metadata: { paybus_customer_id: "C-2", paybus_tier: "gold" } },
      "k-3",
    );

    const views = stripeRewardViews(stripe.balanceTransactions(), stripe.promotionCodes());

    expect(views).toHaveLength(2);
    expect(views.find((view) => view.kind === "credit")).toMatchObject({ customer: "cus_Reward1", customerId: "C-1", tier: "silver", amountText: "$5.00" });
    expect(views.find((view) => view.kind === "promotion-code")).toMatchObject({ customer: "cus_Reward2", customerId: "C-2", tier: "gold", code: "GOLD-1*******", expiresAt: "2030-01-01T00:00:00.000Z" });
    expect(JSON.stringify(views)).not.toContain("1A2B3C4D");
  });

  it("masks every code beyond its tier prefix and first character", () => {
    expect(maskCode("PLATINUM-9F8E7D6C")).toBe("PLATINUM-9*******");
    expect(maskCode("SAVE10")).toBe("SA****");
  });
});
