import { QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLoyaltyConfig } from "./config.ts";
import type { Accrual, Reversal, Skip } from "./decode.ts";
import { balanceKey, LoyaltyLedger } from "./ledger.ts";
import { computeAward, NO_REVERSAL } from "./points.ts";
import { startLocalTables, type LocalTables } from "../../test/support/loyalty-engines.ts";

const config = parseLoyaltyConfig(undefined);
let table: LocalTables<"loyalty">;
let ledger: LoyaltyLedger;
let sequence = 0;

beforeAll(async () => {
  table = await startLocalTables(["loyalty"], "ledger");
  ledger = new LoyaltyLedger(table.client, table.tableNames.loyalty);
});
afterAll(async () => {
  await table?.close();
});

/** A fresh customer id, so that tests sharing the table never share a balance. */
function newCustomer(): string {
  return `C-${++sequence}`;
}

function accrual(customerId: string, purchaseId: string, amount: number, premium = false): Accrual {
  const money = { amount, currency: "usd" };
  return {
    kind: "accrual",
    purchaseId,
    customerId,
    stripeCustomerId: null,
    money,
    premium,
    award: computeAward({ money, premium, occurredAt: 1_785_800_364 }, config),
    source: { eventId: `evt_${purchaseId}`, eventType: "payment_intent.succeeded", created: 1_785_800_364 },
  };
}

function refund(purchaseId: string, refundedAmount: number, refundBasis: number, eventId = `evt_refund_${refundedAmount}`): Reversal {
  return {
    kind: "reversal",
    purchaseId,
    state: { ...NO_REVERSAL, refundedAmount, refundBasis, chargedBack: false },
    source: { eventId, eventType: "charge.refunded", created: 1_785_900_000 },
  };
}

function chargeback(purchaseId: string): Reversal {
  return {
    kind: "reversal",
    purchaseId,
    state: { ...NO_REVERSAL, refundedAmount: 0, refundBasis: 0, chargedBack: true },
    source: { eventId: `evt_dispute_${purchaseId}`, eventType: "charge.dispute.created", created: 1_786_000_000 },
  };
}

describe("crediting a purchase", () => {
  it("credits once and reports later events of the purchase as duplicates", async () => {
    const customer = newCustomer();

    const first = await ledger.award(accrual(customer, "pi_once", 2000, true));
    const second = await ledger.award(accrual(customer, "pi_once", 2000, true));

    expect(first).toMatchObject({ outcome: "awarded", creditedPoints: 40 });
    expect(second.outcome).toBe("duplicate");
    expect(await ledger.getBalance(customer)).toEqual({ customerId: customer, points: 40, lifetimePoints: 40, tier: "member", purchases: 1 });
  });

  it("credits once when fifty deliveries of one purchase race", async () => {
    const customer = newCustomer();

    const outcomes = await Promise.all(Array.from({ length: 50 }, () => ledger.award(accrual(customer, "pi_race", 1000))));

    expect(outcomes.filter((o) => o.outcome === "awarded")).toHaveLength(1);
    expect((await ledger.getBalance(customer)).points).toBe(10);
  });

  it("credits a purchase that was recorded as skipped once an event can credit it", async () => {
    const customer = newCustomer();
    const skipped: Skip & { purchaseId: string } = {
      kind: "skip",
      reason: "currency-not-configured",
      detail: "no points rate is configured for JPY",
      purchaseId: "pi_skipped_then_credited",
      source: { eventId: "evt_s", eventType: "payment_intent.succeeded", created: 1 },
      money: { amount: 4800, currency: "jpy" },
      customerId: customer,
    };

    expect(await ledger.recordSkip(skipped)).toBe("recorded");
    expect(await ledger.recordSkip(skipped)).toBe("already-known");
    expect(await ledger.getPurchase("pi_skipped_then_credited")).toMatchObject({ status: "skipped", skipReason: "currency-not-configured" });
    const credited = await ledger.award(accrual(customer, "pi_skipped_then_credited", 3000));

    expect(credited.outcome).toBe("awarded");
    expect((await ledger.getBalance(customer)).points).toBe(30);
  });
});

describe("reversals", () => {
  it("keeps an early reversal when the purchase then turns out to be skipped, and nets it if credited later", async () => {
    const customer = newCustomer();
    const skip: Skip & { purchaseId: string } = {
      kind: "skip",
      reason: "no-customer",
      detail: "neither metadata.customer_id nor a Stripe customer",
      purchaseId: "pi_reversed_then_skipped",
      source: { eventId: "evt_skip", eventType: "payment_intent.succeeded", created: 1 },
      money: { amount: 2000, currency: "usd" },
      customerId: null,
    };

    await ledger.reverse(refund("pi_reversed_then_skipped", 1000, 2000));
    const recorded = await ledger.recordSkip(skip);
    const credited = await ledger.award(accrual(customer, "pi_reversed_then_skipped", 2000, true));

    expect(recorded).toBe("recorded");
    expect(credited).toMatchObject({ outcome: "awarded", creditedPoints: 20 });
    expect(await ledger.getPurchase("pi_reversed_then_skipped")).toMatchObject({ status: "awarded", refundedAmount: 1000, reversedPoints: 20 });
  });

  it("takes back each partial refund's share once, from cumulative amounts", async () => {
    const customer = newCustomer();
    await ledger.award(accrual(customer, "pi_partial", 2000, true)); // 40 points

    const quarter = await ledger.reverse(refund("pi_partial", 500, 2000));
    const again = await ledger.reverse(refund("pi_partial", 500, 2000));
    const threeQuarters = await ledger.reverse(refund("pi_partial", 1500, 2000));
    const stale = await ledger.reverse(refund("pi_partial", 500, 2000, "evt_late_copy"));

    expect(quarter).toMatchObject({ outcome: "applied", reversedPoints: 10 });
    expect(again).toEqual({ outcome: "unchanged" });
    expect(threeQuarters).toMatchObject({ outcome: "applied", reversedPoints: 20 });
    expect(stale).toEqual({ outcome: "unchanged" });
    expect((await ledger.getBalance(customer)).points).toBe(10);
    expect(await ledger.getPurchase("pi_partial")).toMatchObject({ reversedPoints: 30, refundedAmount: 1500 });
  });

  it("takes back the rest on a chargeback, and nothing more on a later refund", async () => {
    const customer = newCustomer();
    await ledger.award(accrual(customer, "pi_chargeback", 2000, true));
    await ledger.reverse(refund("pi_chargeback", 500, 2000));

    const dispute = await ledger.reverse(chargeback("pi_chargeback"));
    const fullRefund = await ledger.reverse(refund("pi_chargeback", 2000, 2000));

    expect(dispute).toMatchObject({ outcome: "applied", reversedPoints: 30 });
    expect(fullRefund).toEqual({ outcome: "applied", customerId: customer, reversedPoints: 0, unrecoveredPoints: 0 });
    expect(await ledger.getBalance(customer)).toMatchObject({ points: 0, lifetimePoints: 40 });
  });

  it("applies concurrent deliveries of one refund once", async () => {
    const customer = newCustomer();
    await ledger.award(accrual(customer, "pi_concurrent_refund", 2000, true));

    await Promise.all(Array.from({ length: 20 }, () => ledger.reverse(refund("pi_concurrent_refund", 1000, 2000))));

    expect((await ledger.getBalance(customer)).points).toBe(20);
  });

  it("nets a reversal that arrived before its purchase", async () => {
    const customer = newCustomer();

    const early = await ledger.reverse(refund("pi_reversed_first", 1000, 2000));
    const credited = await ledger.award(accrual(customer, "pi_reversed_first", 2000, true));

    expect(early).toEqual({ outcome: "pending" });
    expect(credited).toMatchObject({ outcome: "awarded", creditedPoints: 20 });
    expect(await ledger.getBalance(customer)).toMatchObject({ points: 20, lifetimePoints: 40 });
    expect(await ledger.getPurchase("pi_reversed_first")).toMatchObject({ status: "awarded", points: 40, reversedPoints: 20 });
  });

  it("never takes the balance below zero and records what it could not take back", async () => {
    const customer = newCustomer();
    await ledger.award(accrual(customer, "pi_spent", 2000, true));
    // The customer spent 30 of the 40 points elsewhere.
    await table.client.send(
      new UpdateCommand({ TableName: table.tableNames.loyalty, Key: balanceKey(customer), UpdateExpression: "ADD points :spent", ExpressionAttributeValues: { ":spent": -30 } }),
    );

    const outcome = await ledger.reverse(chargeback("pi_spent"));

    expect(outcome).toEqual({ outcome: "applied", customerId: customer, reversedPoints: 40, unrecoveredPoints: 30 });
    expect((await ledger.getBalance(customer)).points).toBe(0);
    expect(await ledger.getPurchase("pi_spent")).toMatchObject({ reversedPoints: 40, unrecoveredPoints: 30 });
  });
});

describe("tier promotion", () => {
  it("promotes exactly once when concurrent accruals cross the threshold together", async () => {
    const customer = newCustomer();
    await ledger.award(accrual(customer, "pi_opening", 99_000)); // 990 points

    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.award(accrual(customer, `pi_cross_${i}`, 1000)))); // 10 points each

    const promotions = outcomes.map((o) => o.purchase).filter((p) => p.promotedTo !== undefined);
    expect(promotions).toHaveLength(1);
    expect(promotions[0]).toMatchObject({ promotedFrom: "member", promotedTo: "silver" });
    expect(await ledger.getBalance(customer)).toMatchObject({ lifetimePoints: 1190, tier: "silver", purchases: 21 });
  });

  it("gives every delivery of a promoting purchase the same decision", async () => {
    const customer = newCustomer();

    const deliveries = await Promise.all(Array.from({ length: 10 }, () => ledger.award(accrual(customer, "pi_big", 500_000)))); // 5000 points

    expect(deliveries.filter((d) => d.outcome === "awarded")).toHaveLength(1);
    expect(new Set(deliveries.map((d) => `${d.purchase.promotedFrom}→${d.purchase.promotedTo}`))).toEqual(new Set(["member→gold"]));
  });

  it("promotes one tier after another as lifetime points grow", async () => {
    const customer = newCustomer();

    const first = await ledger.award(accrual(customer, "pi_step_1", 100_000)); // 1000
    const second = await ledger.award(accrual(customer, "pi_step_2", 300_000)); // 4000
    const third = await ledger.award(accrual(customer, "pi_step_3", 100_000)); // 5000

    expect([first, second, third].map((o) => o.purchase.promotedTo ?? null)).toEqual(["silver", null, "gold"]);
    expect(third.purchase.promotedFrom).toBe("silver");
  });

  it("does not demote on a reversal", async () => {
    const customer = newCustomer();
    await ledger.award(accrual(customer, "pi_demote", 100_000)); // 1000 points

    await ledger.reverse(chargeback("pi_demote"));
    const next = await ledger.award(accrual(customer, "pi_after_demote", 1000));

    expect(await ledger.getBalance(customer)).toMatchObject({ points: 10, lifetimePoints: 1010, tier: "silver" });
    expect(next.purchase.promotedTo).toBeUndefined();
  });

  it("leaves the tier alone below the next threshold", async () => {
    const customer = newCustomer();

    const { purchase } = await ledger.award(accrual(customer, "pi_small", 99_900)); // 999 points

    expect(purchase.promotedTo).toBeUndefined();
    expect((await ledger.getBalance(customer)).tier).toBe("member");
  });
});

describe("ledger entries and lots (entries.ts)", () => {
  it("writes an earn lot with its expiry index, and a reverse entry, in the transactions that move the balance", async () => {
    const customer = newCustomer();
    const at = 1_800_000_000_000;
    const expiring = new LoyaltyLedger(table.client, table.tableNames.loyalty, { lotExpirySeconds: 86_400, now: () => at });
    await expiring.award(accrual(customer, `pi_lot_${customer}`, 2000));
    await expiring.reverse(refund(`pi_lot_${customer}`, 500, 2000));
    await expiring.reverse(refund(`pi_lot_${customer}`, 500, 2000, "evt_refund_again"));

    const { Items: entries = [] } = await table.client.send(
      new QueryCommand({
        TableName: table.tableNames.loyalty,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: { ":pk": `CUSTOMER#${customer}`, ":prefix": "LEDGER#" },
      }),
    );
    expect(entries.map(({ kind, delta, lot, expiresAt }) => ({ kind, delta, lot, expiresAt }))).toEqual([
      { kind: "earn", delta: 20, lot: true, expiresAt: at + 86_400_000 },
      { kind: "reverse", delta: -5, lot: undefined, expiresAt: undefined },
    ]);
    expect((await ledger.getBalance(customer)).points).toBe(15);
    const { Items: index = [] } = await table.client.send(
      new QueryCommand({
        TableName: table.tableNames.loyalty,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: { ":pk": "LOTEXPIRY", ":prefix": String(at + 86_400_000).padStart(13, "0") },
      }),
    );
    expect(index.filter((item) => item.customerId === customer).map(({ points, lotKey }) => ({ points, lotKey }))).toEqual([{ points: 20, lotKey: entries[0]!.sk }]);
  });
});
