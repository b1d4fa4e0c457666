import { describe, expect, it } from "vitest";
import { decodeStripeMessage } from "../../events/parse.ts";
import { loadFixture } from "../../fixtures/index.ts";
import { parseLoyaltyConfig, type LoyaltyConfig } from "./config.ts";
import { LOYALTY_EVENT_TYPES, toLoyaltyCommand, type LoyaltyCommand } from "./decode.ts";

const defaults = parseLoyaltyConfig(undefined);
const PURCHASE_03 = "pi_3ccMRk5kb18UZlUmIpq2HE8H";

function commandFor(event: unknown, config: LoyaltyConfig = defaults): LoyaltyCommand {
  return toLoyaltyCommand(decodeStripeMessage(event, LOYALTY_EVENT_TYPES), config);
}

describe("one purchase, three events, one identity", () => {
  it.each(["03", "04"])("fixture %s credits 40 points (20 USD, premium) to C-100877 for the PaymentIntent", (name) => {
    const command = commandFor(loadFixture(name));

    expect(command).toMatchObject({
      kind: "accrual",
      purchaseId: PURCHASE_03,
      customerId: "C-100877",
      stripeCustomerId: "cus_Qul9Qa3lJkatBi",
      money: { amount: 2000, currency: "usd" },
      premium: true,
      award: { basePoints: 20, premiumMultiplier: 2, promotion: null, points: 40 },
    });
  });

  it("keys a paid Checkout session by its PaymentIntent", () => {
    const command = commandFor(loadFixture("05"));

    expect(command).toMatchObject({
      kind: "accrual",
      purchaseId: "pi_36L92Z5kb18UZlUmZxWFME8k",
      customerId: "C-101034",
      money: { amount: 3000, currency: "usd" },
      award: { points: 60 },
      source: { eventId: "evt_1a1nnk5kb18UZlUmTh9zwjLq", eventType: "checkout.session.completed" },
    });
  });

  it("keys a charge without a PaymentIntent (legacy Charges API) by the charge", () => {
    const event = loadFixture("04");
    event.detail.data.object.payment_intent = null;

    expect(commandFor(event)).toMatchObject({ kind: "accrual", purchaseId: "ch_3ccMRk5kb18UZlUmINDglget" });
  });
});

describe("customers", () => {
  it("falls back to the Stripe customer without metadata.customer_id", () => {
    const event = loadFixture("03");
    delete event.detail.data.object.metadata.customer_id;

    expect(commandFor(event)).toMatchObject({ kind: "accrual", customerId: "cus_Qul9Qa3lJkatBi" });
  });

  it("skips, to be recorded, a purchase without any customer", () => {
    const event = loadFixture("03");
    delete event.detail.data.object.metadata.customer_id;
    event.detail.data.object.customer = null;

    expect(commandFor(event)).toMatchObject({
      kind: "skip",
      reason: "no-customer",
      purchaseId: PURCHASE_03,
      money: { amount: 2000, currency: "usd" },
    });
  });
});

describe("currencies", () => {
  const rates = parseLoyaltyConfig(
    JSON.stringify({
      currencies: { usd: { points: 1, perUnits: 1 }, jpy: { points: 1, perUnits: 100 }, kwd: { points: 3, perUnits: 1 }, bhd: { points: 3, perUnits: 1 } },
    }),
  );

  it.each([
    ["11", "jpy", 4800, 48 * 2],
    ["12", "kwd", 12350, 37 * 2],
    ["14", "bhd", 25000, 75 * 2],
  ])("fixture %s (%s %i) earns %i points when the currency is configured", (name, currency, amount, points) => {
    expect(commandFor(loadFixture(name), rates)).toMatchObject({ kind: "accrual", money: { amount, currency }, award: { points } });
  });

  it("skips, to be recorded, a purchase in an unconfigured currency", () => {
    expect(commandFor(loadFixture("11"))).toMatchObject({
      kind: "skip",
      reason: "currency-not-configured",
      detail: "no points rate is configured for JPY",
      purchaseId: "pi_3GuojEvEVNipDJAFw0cXlFJh",
      customerId: "C-200117",
      money: { amount: 4800, currency: "jpy" },
    });
  });
});

describe("what does not accrue", () => {
  it("skips subscription invoice payments (old API layout) unless configured", () => {
    const event = loadFixture("03");
    event.detail.data.object.invoice = "in_1abc";

    expect(commandFor(event)).toMatchObject({ kind: "skip", reason: "subscription-payment" });
    expect(commandFor(event, { ...defaults, accrueSubscriptionPayments: true })).toMatchObject({ kind: "accrual" });
  });

  it("skips a charge that pays an invoice", () => {
    const event = loadFixture("04");
    event.detail.data.object.invoice = "in_1abc";

    expect(commandFor(event)).toMatchObject({ kind: "skip", reason: "subscription-payment" });
  });

  it.each([
    ["mode", "subscription", "checkout-not-payment-mode"],
    ["mode", "setup", "checkout-not-payment-mode"],
    ["payment_status", "unpaid", "checkout-unpaid"],
  ])("skips a Checkout session with %s %s", (field, value, reason) => {
    const event = loadFixture("05");
    event.detail.data.object[field] = value;

    expect(commandFor(event)).toMatchObject({ kind: "skip", reason });
  });

  it("skips an authorised charge that is not captured yet", () => {
    const event = loadFixture("04");
    event.detail.data.object.amount_captured = 0;

    expect(commandFor(event)).toMatchObject({ kind: "skip", reason: "not-captured", purchaseId: PURCHASE_03 });
  });

  it("skips a thin event", () => {
    expect(commandFor(loadFixture("16"))).toMatchObject({ kind: "skip", reason: "thin-event" });
  });
});

describe("reversals", () => {
  it("reads the cumulative refund of fixture 06 without previous_attributes", () => {
    expect(commandFor(loadFixture("06"))).toMatchObject({
      kind: "reversal",
      purchaseId: PURCHASE_03,
      state: { refundedAmount: 2000, refundBasis: 2000, chargedBack: false },
    });
  });

  it("reads the chargeback of fixture 07", () => {
    expect(commandFor(loadFixture("07"))).toMatchObject({
      kind: "reversal",
      purchaseId: PURCHASE_03,
      state: { chargedBack: true },
    });
  });

  it("skips a dispute that is only an inquiry", () => {
    const event = loadFixture("07");
    event.detail.data.object.status = "warning_needs_response";

    expect(commandFor(event)).toMatchObject({ kind: "skip", reason: "dispute-inquiry", purchaseId: PURCHASE_03 });
  });
});
