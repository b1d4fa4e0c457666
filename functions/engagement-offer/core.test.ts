import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_STRIPE_API_KEY, LocalStripe } from "../../local/stripe.ts";
import { putProfile } from "../common/profiles.ts";
import { startLocalTables, type LocalTables } from "../../test/support/loyalty-engines.ts";
import { applyOffer, promotionCodeFor, type OfferRequest, type RewardDeps } from "./core.ts";
import { rewardIdempotencyKey, tierRewardsConfig } from "./rewards.ts";

let tables: LocalTables<"loyalty" | "profiles">;
let stripeServer: Server;
let local: LocalStripe;
let stripe: Stripe;

beforeAll(async () => {
  tables = await startLocalTables(["loyalty", "profiles"], "offer");
  local = new LocalStripe();
  const route = local.gatewayRoute();
  stripeServer = createServer((req, res) => void route(req, res, new URL(req.url ?? "/", "http://127.0.0.1")));
  await new Promise<void>((resolve) => stripeServer.listen(0, "127.0.0.1", resolve));
  // The real SDK, pointed at the local endpoints exactly as the function's client is.
  stripe = new Stripe(LOCAL_STRIPE_API_KEY, { host: "127.0.0.1", port: (stripeServer.address() as AddressInfo).port, protocol: "http", maxNetworkRetries: 0 });
});
afterAll(async () => {
  await tables?.close();
  await new Promise<void>((resolve) => stripeServer?.close(() => resolve()));
});

const request = (customer: string, overrides: Partial<OfferRequest> = {}): OfferRequest => ({
  executionName: `purchase-pi_${customer}`,
  purchaseId: `pi_${customer}`,
  customerId: `C-${customer}`,
  stripeCustomerId: `cus_${customer}`,
  previousTier: "silver",
  newTier: "gold",
  occurredAt: "2026-08-03T23:39:24.000Z",
  ...overrides,
});

function deps(config: Record<string, unknown> = {}): RewardDeps {
  return {
    table: { client: tables.client, tableName: tables.tableNames.loyalty },
    profiles: { client: tables.client, tableName: tables.tableNames.profiles },
    config: tierRewardsConfig.parse(config),
    stripe: async () => stripe,
  };
}

describe("the tier reward in Stripe", () => {
  it("credits the customer's balance once, however often and concurrently the task runs", async () => {
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => applyOffer(request("Credit1"), deps())));
    const again = await applyOffer({ ...request("Credit1"), purchaseId: "pi_other", executionName: "other" }, deps());

    expect(local.balanceTransactions("cus_Credit1")).toHaveLength(1);
    expect(local.balanceOf("cus_Credit1")).toBe(-1_000);
    const [credit] = local.balanceTransactions("cus_Credit1");
    expect(credit).toMatchObject({ amount: -1_000, currency: "usd", metadata: { paybus_tier: "gold", paybus_customer_id: "C-Credit1" } });
    expect(outcomes.filter((o) => o.applied)).toHaveLength(1);
    for (const outcome of [...outcomes, again]) expect(outcome.reward).toEqual({ kind: "balance-credit", amount: 1_000, currency: "usd", stripeId: credit!.id });
  });

  it("asks Stripe again after a crash before the record, and Stripe replays the same credit for the key", async () => {
    const first = await stripe.customers.createBalanceTransaction(
      "cus_Crash1",
      { amount: -1_000, currency: "usd", description: "Loyalty reward: welcome to gold", metadata: { paybus_customer_id: "C-Crash1", paybus_tier: "gold", paybus_purchase_id: "pi_Crash1" } },
      { idempotencyKey: rewardIdempotencyKey({}, "cus_Crash1", "gold", "balance-credit") },
    );

    const outcome = await applyOffer(request("Crash1"), deps());

    expect(outcome).toEqual({ applied: true, reward: { kind: "balance-credit", amount: 1_000, currency: "usd", stripeId: first.id } });
    expect(local.balanceTransactions("cus_Crash1")).toHaveLength(1);
  });

  it("refuses a reused key with other parameters (Stripe's idempotency_error), and creates nothing", async () => {
    const key = rewardIdempotencyKey({}, "cus_Reuse1", "silver", "balance-credit");
    await stripe.customers.createBalanceTransaction("cus_Reuse1", { amount: -500, currency: "usd" }, { idempotencyKey: key });

    const error = await stripe.customers.createBalanceTransaction("cus_Reuse1", { amount: -900, currency: "usd" }, { idempotencyKey: key }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect((error as Stripe.errors.StripeError).statusCode).toBe(400);
    expect(local.balanceTransactions("cus_Reuse1")).toHaveLength(1);
  });

  it("can grant a promotion code restricted to the customer instead, once", async () => {
    const config = { kind: "promotion-code" };
    await Promise.all([applyOffer(request("Code1"), deps(config)), applyOffer(request("Code1"), deps(config))]);
    const outcome = await applyOffer(request("Code1"), deps(config));

    const codes = local.promotionCodes().filter((p) => p.customer === "cus_Code1");
    expect(codes).toHaveLength(1);
    expect(codes[0]).toMatchObject({ code: promotionCodeFor("C-Code1", "gold"), max_redemptions: 1, expires_at: Date.parse("2026-10-02T23:39:24.000Z") / 1000 });
    expect(outcome.reward).toEqual({ kind: "promotion-code", code: codes[0]!.code, percentOff: 10, validUntil: "2026-10-02T23:39:24.000Z", stripeId: codes[0]!.id });
  });

  it("records that nothing was applied for a purchase without a Stripe customer", async () => {
    const outcome = await applyOffer(request("NoStripe1", { stripeCustomerId: null }), deps());

    expect(outcome).toEqual({ applied: true, reward: { kind: "none", reason: "no-stripe-customer" } });
    expect(local.balanceTransactions()).not.toContainEqual(expect.objectContaining({ metadata: expect.objectContaining({ paybus_customer_id: "C-NoStripe1" }) }));
  });

  it("grants a Connect customer's reward in their connected account, keyed with it", async () => {
    await putProfile({ customerId: "cus_Connect1", email: "c@example.com", account: "acct_1Connected" }, { client: tables.client, tableName: tables.tableNames.profiles });
    const seen: (string | undefined)[] = [];
    stripeServer.prependListener("request", (req) => seen.push(req.headers["stripe-account"] as string | undefined));

    await applyOffer(request("Connect1"), deps());

    expect(seen.at(-1)).toBe("acct_1Connected");
    expect(local.balanceTransactions("cus_Connect1")).toHaveLength(1);
    // The key names the account: the same customer id on the platform would be another reward.
    expect(rewardIdempotencyKey({ account: "acct_1Connected" }, "cus_Connect1", "gold", "balance-credit")).not.toBe(rewardIdempotencyKey({}, "cus_Connect1", "gold", "balance-credit"));
  });

  it("answers a wrong key with Stripe's 401 authentication error", async () => {
    const port = (stripeServer.address() as AddressInfo).port;
    const wrong = new Stripe("sk_test_wrong", { host: "127.0.0.1", port, protocol: "http", maxNetworkRetries: 0 });

    await expect(wrong.customers.createBalanceTransaction("cus_X", { amount: -1, currency: "usd" })).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });
});
