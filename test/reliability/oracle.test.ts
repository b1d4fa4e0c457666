import { describe, expect, it } from "vitest";
import { loadFixture } from "../../fixtures/index.ts";
import { AmbiguousScenarioError, expectedState } from "./oracle.ts";
import { FIXTURE_LOYALTY_CONFIG, FIXTURE_PROFILES, fixtureScenario, reorderedFixtures, syntheticScenario, type Envelope } from "./scenario.ts";

const config = FIXTURE_LOYALTY_CONFIG;

describe("the oracle", () => {
  it("derives the fixtures' balances from the documented rules", () => {
    // Arrange
    const { waves } = fixtureScenario(1, 1);

    // Act
    const expected = expectedState(waves, config, FIXTURE_PROFILES);

    // Assert
    expect(Object.fromEntries(expected.balances)).toEqual({
      // $20 premium = 40 points, refunded in full and charged back: all 40 taken back.
      "C-100877": { points: 0, lifetimePoints: 40, tier: "member", purchases: 1 },
      // $30 premium during the triple-points promotion: 30 × 2 × 3.
      "C-101034": { points: 180, lifetimePoints: 180, tier: "member", purchases: 1 },
      // ¥4,800 premium at 1 point per ¥100: 48 × 2.
      "C-200117": { points: 96, lifetimePoints: 96, tier: "member", purchases: 1 },
      // 12.350 KWD premium at 3 points per dinar: 37 × 2.
      "C-300452": { points: 74, lifetimePoints: 74, tier: "member", purchases: 1 },
    });
    // BHD has no rate: recorded, not credited.
    expect(expected.purchases.get(loadFixture("14").detail.data.object.payment_intent)).toMatchObject({ status: "skipped" });
    expect(expected.workflows.size).toBe(4);
    // Alex has a profile (its address wins over the receipt's); the other buyers have none and are
    // written to at the address on their payment (Checkout, PaymentIntent, charge). 14 is not credited.
    expect(Object.fromEntries(expected.engagementEmails)).toEqual({
      "alex.martin@example.com": 1,
      "stripe@example.com": 1,
      "hanako.yamada@example.jp": 1,
      "fatima.alsabah@example.com": 1,
    });
  });

  it("tells each invoice fact once, to the invoice's address and every registered device", () => {
    // Arrange
    const { waves } = fixtureScenario(3, 1);

    // Act
    const { notices } = expectedState(waves, config, FIXTURE_PROFILES);

    // Assert: 15 (invoice.payment_succeeded) is not routed; 02's address is on the invoice.
    const told = notices.map(({ number, key, email, pushes }) => ({ number, key, email, pushes }));
    expect(told.sort((a, b) => a.number.localeCompare(b.number))).toEqual([
      { number: "31A191F8-0024", key: "failed#2", email: "jenny.rosen@example.com", pushes: 2 },
      { number: "B5953531-0033", key: "paid", email: "taro.suzuki@example.jp", pushes: 1 },
      { number: "F8C76741-0032", key: "paid", email: "jenny.rosen@example.com", pushes: 1 },
    ]);
  });

  it("does not tell a failure that arrives after the payment, but tells one that comes before it", () => {
    // Arrange
    const { waves } = reorderedFixtures(1, "n");

    // Act
    const { notices } = expectedState(waves, config, FIXTURE_PROFILES);

    // Assert
    expect(notices.map((n) => `${n.number} ${n.key}`).sort()).toEqual(["31A191F8-0024-n failed#2", "31A191F8-0024-n paid", "B5953531-0033-n paid", "F8C76741-0032-n paid"]);
  });

  it("refuses inputs whose outcome depends on arrival order within a wave", () => {
    // Arrange: a failure and the payment of one invoice, both new in the same wave.
    const { waves } = reorderedFixtures(1, "n");
    const sameWave = [[...waves[0]!, ...waves[1]!]];

    // Act / Assert
    expect(() => expectedState(sameWave, config, FIXTURE_PROFILES)).toThrow(AmbiguousScenarioError);
  });

  it("ignores events from untrusted sources and events whose detail-type and type disagree", () => {
    // Arrange
    const untrusted: Envelope = { ...loadFixture("03"), source: "payments.example" };
    const mismatched: Envelope = { ...loadFixture("05"), "detail-type": "payment_intent.succeeded" };

    // Act
    const expected = expectedState([[untrusted, mismatched]], config, FIXTURE_PROFILES);

    // Assert
    expect(expected.balances.size).toBe(0);
    expect(expected.routed).toEqual({ notifications: 0, loyalty: 0 });
  });

  it("accepts every synthetic scenario as unambiguous, with hot customers reaching the top tiers", () => {
    // Arrange
    const scenario = syntheticScenario({ seed: 5, events: 3000 });

    // Act
    const expected = expectedState(scenario.waves, scenario.loyaltyConfig, scenario.profiles);

    // Assert
    const tiers = new Set([...expected.balances.values()].map((balance) => balance.tier));
    expect(tiers).toEqual(new Set(["member", "silver", "gold", "platinum"]));
    expect([...expected.purchases.values()].some((p) => p.status === "pending")).toBe(true);
    expect([...expected.purchases.values()].some((p) => p.chargedBack)).toBe(true);
    expect(expected.notices.some((n) => n.key === "failed#3")).toBe(true);
  });
});
