/**
 * Two edge cases of the loyalty consumer over the real local engines (DynamoDB with transactions,
 * Step Functions): a dispute the merchant wins gives back exactly what its chargeback took, once,
 * whichever of `charge.dispute.closed` / `charge.dispute.funds_reinstated` arrive, in any order,
 * duplicated; and subscription renewals on API versions from 2025-03-31 (no `invoice` on the
 * PaymentIntent, an `invoice_payment.paid` naming it) accrue exactly once when
 * `accrueSubscriptionPayments` is on and earn nothing when it is off. Also the `PointsCommitDelay`
 * EMF metric each award emits (real Powertools Metrics, its output captured).
 */
import { Metrics } from "@aws-lambda-powertools/metrics";
import { QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { derivedFixtureText, fixtureText } from "../../fixtures/index.ts";
import { createLogger } from "../common/logger.ts";
import { dynamoContactStore } from "../customers/contact.ts";
import { parseLoyaltyConfig, type LoyaltyConfig } from "./config.ts";
import { POINTS_COMMIT_DELAY_METRIC, processLoyaltyMessage, type LoyaltyDeps } from "./core.ts";
import { balanceKey, LoyaltyLedger } from "./ledger.ts";
import { startLocalTables, startStartRecorder, type LocalTables, type StartRecorder } from "../../test/support/loyalty-engines.ts";

process.env.POWERTOOLS_LOG_LEVEL = "SILENT";

const PI_03 = "pi_3ccMRk5kb18UZlUmIpq2HE8H";
const CUSTOMER_03 = "C-100877";
const RENEWAL_PI = "pi_3GmRt35kb18UZlUm0Renewal";

let tables: LocalTables<"loyalty" | "profiles">;
let workflows: StartRecorder;
let ledger: LoyaltyLedger;

beforeAll(async () => {
  [tables, workflows] = await Promise.all([startLocalTables(["loyalty", "profiles"], "edges"), startStartRecorder()]);
  ledger = new LoyaltyLedger(tables.client, tables.tableNames.loyalty, { maxAttempts: 50 });
});
afterAll(async () => {
  await Promise.all([tables?.close(), workflows?.close()]);
});

function deps(config: LoyaltyConfig = parseLoyaltyConfig(undefined)): LoyaltyDeps {
  return {
    config,
    ledger,
    sfn: workflows.client,
    stateMachineArn: workflows.stateMachineArn,
    logger: createLogger("loyalty-test"),
    contacts: dynamoContactStore({ client: tables.client, tableName: tables.tableNames.profiles }),
  };
}

const local = (name: string) => derivedFixtureText(name);

/** Events of one scenario: fixtures and local fixtures, with the purchase and customer renamed. */
const EVENTS: Record<string, () => string> = {
  purchase: () => fixtureText("03"),
  charge: () => fixtureText("04"),
  chargeback: () => fixtureText("07"),
  won: () => local("charge-dispute-closed-won"),
  reinstated: () => local("charge-dispute-funds-reinstated"),
  refund: () => fixtureText("06"),
};

function renamed(name: keyof typeof EVENTS | string, suffix: string): string {
  return EVENTS[name]!().replaceAll(PI_03, `${PI_03}_${suffix}`).replaceAll(CUSTOMER_03, `${CUSTOMER_03}-${suffix}`);
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/** A dispute event of fixture 07's dispute with another status. */
function disputeWithStatus(name: "chargeback" | "won" | "reinstated", status: string, suffix: string): string {
  const event = JSON.parse(renamed(name, suffix));
  event.detail.data.object.status = status;
  return JSON.stringify(event);
}

describe("a dispute the merchant wins", () => {
  it("gives back the 40 points the chargeback took, once, through either event or both, duplicated", async () => {
    const suffix = "won";
    for (const name of ["purchase", "chargeback"]) await processLoyaltyMessage(renamed(name, suffix), deps());
    expect((await ledger.getBalance(`${CUSTOMER_03}-${suffix}`)).points).toBe(0);

    const restored = await processLoyaltyMessage(renamed("won", suffix), deps());
    for (const name of ["reinstated", "won", "chargeback", "reinstated"]) {
      expect(await processLoyaltyMessage(renamed(name, suffix), deps())).toMatchObject({ kind: "reversal", outcome: "unchanged" });
    }

    expect(restored).toMatchObject({ kind: "reversal", outcome: "restored", restoredPoints: 40, cancelledUnrecoveredPoints: 0 });
    expect(await ledger.getBalance(`${CUSTOMER_03}-${suffix}`)).toMatchObject({ points: 40, lifetimePoints: 40, purchases: 1 });
    expect(await ledger.getPurchase(`${PI_03}_${suffix}`)).toMatchObject({ chargedBack: true, disputeWon: true, reversedPoints: 0 });
  });

  it("records the restore in the customer's ledger: entries earn, reverse, restore sum to the balance", async () => {
    const suffix = "ledger";
    for (const name of ["purchase", "chargeback", "won", "won"]) await processLoyaltyMessage(renamed(name, suffix), deps());
    const { Items = [] } = await tables.client.send(
      new QueryCommand({
        TableName: tables.tableNames.loyalty,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: { ":pk": `CUSTOMER#${CUSTOMER_03}-${suffix}`, ":prefix": "LEDGER#" },
      }),
    );

    expect(Items.map((entry) => [entry.kind, entry.delta])).toEqual([["earn", 40], ["reverse", -40], ["restore", 40]]);
    expect((await ledger.getBalance(`${CUSTOMER_03}-${suffix}`)).points).toBe(40);
  });

  it.each(["won", "reinstated"] as const)("restores through %s alone", async (name) => {
    const suffix = `only-${name}`;
    for (const event of ["purchase", "chargeback", name]) await processLoyaltyMessage(renamed(event, suffix), deps());

    expect((await ledger.getBalance(`${CUSTOMER_03}-${suffix}`)).points).toBe(40);
  });

  it.each(permutations(["purchase", "chargeback", "won", "reinstated"]).map((order) => [order.join(" → "), order] as const))(
    "ends with the points restored in the order %s",
    async (_, order) => {
      const suffix = `order-${order.map((name) => name[0]).join("")}`;
      for (const name of [...order, ...order]) await processLoyaltyMessage(renamed(name, suffix), deps());

      expect(await ledger.getBalance(`${CUSTOMER_03}-${suffix}`)).toMatchObject({ points: 40, lifetimePoints: 40, purchases: 1 });
      expect(await ledger.getPurchase(`${PI_03}_${suffix}`)).toMatchObject({ status: "awarded", points: 40, reversedPoints: 0, unrecoveredPoints: 0 });
    },
  );

  it("restores once when the two events and their redeliveries race", async () => {
    const suffix = "race";
    for (const name of ["purchase", "chargeback"]) await processLoyaltyMessage(renamed(name, suffix), deps());

    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => processLoyaltyMessage(renamed(i % 2 ? "won" : "reinstated", suffix), deps())),
    );

    expect(outcomes.filter((o) => o.kind === "reversal" && o.outcome === "restored")).toHaveLength(1);
    expect((await ledger.getBalance(`${CUSTOMER_03}-${suffix}`)).points).toBe(40);
  });

  it("gives back only what the chargeback took from the balance, not the points already spent", async () => {
    const suffix = "spent";
    const customer = `${CUSTOMER_03}-${suffix}`;
    await processLoyaltyMessage(renamed("purchase", suffix), deps());
    // 30 of the 40 points spent before the chargeback (as a redemption would).
    await tables.client.send(
      new UpdateCommand({ TableName: tables.tableNames.loyalty, Key: balanceKey(customer), UpdateExpression: "ADD points :spent", ExpressionAttributeValues: { ":spent": -30 } }),
    );
    await processLoyaltyMessage(renamed("chargeback", suffix), deps());
    expect(await ledger.getPurchase(`${PI_03}_${suffix}`)).toMatchObject({ reversedPoints: 40, unrecoveredPoints: 30 });

    const restored = await processLoyaltyMessage(renamed("won", suffix), deps());

    expect(restored).toMatchObject({ outcome: "restored", restoredPoints: 10, cancelledUnrecoveredPoints: 30 });
    expect((await ledger.getBalance(customer)).points).toBe(10);
    expect(await ledger.getPurchase(`${PI_03}_${suffix}`)).toMatchObject({ reversedPoints: 0, unrecoveredPoints: 0 });
  });

  it("keeps a refund's share taken back after the dispute is won", async () => {
    const suffix = "refund-half";
    const refund = JSON.parse(renamed("refund", suffix));
    refund.detail.data.object.amount_refunded = 1000;
    refund.detail.data.object.refunded = false;
    for (const event of [renamed("purchase", suffix), renamed("chargeback", suffix), JSON.stringify(refund), renamed("won", suffix)]) {
      await processLoyaltyMessage(event, deps());
    }

    expect((await ledger.getBalance(`${CUSTOMER_03}-${suffix}`)).points).toBe(20);
  });

  it("keeps the points taken when the dispute is lost, and ignores a closed inquiry", async () => {
    const lost = "lost";
    for (const event of [renamed("purchase", lost), renamed("chargeback", lost), disputeWithStatus("won", "lost", lost)]) {
      await processLoyaltyMessage(event, deps());
    }
    const inquiry = "inquiry";
    await processLoyaltyMessage(renamed("purchase", inquiry), deps());
    const closed = await processLoyaltyMessage(disputeWithStatus("won", "warning_closed", inquiry), deps());

    expect((await ledger.getBalance(`${CUSTOMER_03}-${lost}`)).points).toBe(0);
    expect(closed).toMatchObject({ kind: "skipped", reason: "dispute-inquiry" });
    expect((await ledger.getBalance(`${CUSTOMER_03}-${inquiry}`)).points).toBe(40);
  });

  it("does not treat funds reinstated on a lost dispute (a partially refunded payment) as won", async () => {
    const suffix = "reinstated-lost";
    for (const event of [renamed("purchase", suffix), renamed("chargeback", suffix), disputeWithStatus("reinstated", "lost", suffix)]) {
      await processLoyaltyMessage(event, deps());
    }

    expect((await ledger.getBalance(`${CUSTOMER_03}-${suffix}`)).points).toBe(0);
  });
});

/** A renewal's PaymentIntent as API versions from 2025-03-31 send it: fixture 03 without `invoice`. */
function renewalPaymentIntent(suffix: string, options: { invoice?: string } = {}): string {
  const event = JSON.parse(fixtureText("03"));
  event.detail.id = `evt_renewal_pi_${suffix}`;
  const pi = event.detail.data.object;
  pi.id = `${RENEWAL_PI}_${suffix}`;
  pi.amount = pi.amount_received = 1500;
  pi.metadata = { customer_id: `C-renewal-${suffix}` };
  pi.description = "Subscription update";
  delete pi.invoice;
  if (options.invoice) {
    event.detail.api_version = "2024-06-20";
    pi.invoice = options.invoice;
  }
  return JSON.stringify(event);
}

function invoicePayment(suffix: string, mutate: (payment: Record<string, any>) => void = () => {}): string {
  const event = JSON.parse(local("invoice-payment-paid-renewal"));
  event.detail.data.object.payment.payment_intent = `${RENEWAL_PI}_${suffix}`;
  mutate(event.detail.data.object);
  return JSON.stringify(event);
}

describe("subscription renewals on API versions from 2025-03-31", () => {
  const on = parseLoyaltyConfig(JSON.stringify({ accrueSubscriptionPayments: true }));
  const off = parseLoyaltyConfig(undefined);

  it.each([
    ["payment first", ["pi", "inpay"]],
    ["invoice payment first", ["inpay", "pi"]],
  ] as const)("accrue exactly once with accrueSubscriptionPayments on (%s, redelivered)", async (_, order) => {
    const suffix = `on-${order[0]}`;
    const events = { pi: renewalPaymentIntent(suffix), inpay: invoicePayment(suffix) };
    for (const name of [...order, ...order]) await processLoyaltyMessage(events[name], deps(on));

    expect(await ledger.getBalance(`C-renewal-${suffix}`)).toMatchObject({ points: 15, lifetimePoints: 15, purchases: 1 });
  });

  it("accrue once on an older API version too (the invoice named on the PaymentIntent) with the invoice payment redelivered", async () => {
    const suffix = "on-legacy";
    for (const event of [renewalPaymentIntent(suffix, { invoice: "in_1GmRt25kb18UZlUmB7nYp4Wd" }), invoicePayment(suffix), invoicePayment(suffix)]) {
      await processLoyaltyMessage(event, deps(on));
    }

    expect(await ledger.getBalance(`C-renewal-${suffix}`)).toMatchObject({ points: 15, purchases: 1 });
  });

  it("earn nothing with the option off when the invoice payment comes first: no points, lifetime or purchase", async () => {
    const suffix = "off-first";
    await processLoyaltyMessage(invoicePayment(suffix), deps(off));
    await processLoyaltyMessage(renewalPaymentIntent(suffix), deps(off));
    await processLoyaltyMessage(invoicePayment(suffix), deps(off));

    expect(await ledger.getBalance(`C-renewal-${suffix}`)).toMatchObject({ points: 0, lifetimePoints: 0, purchases: 0 });
    expect(await ledger.getPurchase(`${RENEWAL_PI}_${suffix}`)).toMatchObject({ subscriptionPayment: true, points: 15, reversedPoints: 15 });
  });

  it("take back what the PaymentIntent credited with the option off when the invoice payment comes later", async () => {
    const suffix = "off-later";
    await processLoyaltyMessage(renewalPaymentIntent(suffix), deps(off));
    expect((await ledger.getBalance(`C-renewal-${suffix}`)).points).toBe(15);

    await processLoyaltyMessage(invoicePayment(suffix), deps(off));
    await processLoyaltyMessage(invoicePayment(suffix), deps(off));

    // Lifetime points keep the award, as after a refund (tiers never demote).
    expect(await ledger.getBalance(`C-renewal-${suffix}`)).toMatchObject({ points: 0, lifetimePoints: 15 });
  });

  it("skip invoice payments that are not paid or not paid by a PaymentIntent or charge", async () => {
    const open = await processLoyaltyMessage(invoicePayment("open", (p) => Object.assign(p, { status: "open", amount_paid: null })), deps(off));
    const record = await processLoyaltyMessage(
      invoicePayment("record", (p) => (p.payment = { type: "payment_record", payment_record: "prec_1" })),
      deps(off),
    );

    expect(open).toMatchObject({ kind: "skipped", reason: "payment-not-succeeded" });
    expect(record).toMatchObject({ kind: "skipped", reason: "no-purchase-id" });
  });
});

describe("PointsCommitDelay", () => {
  it("is emitted once per award, in ms from the Stripe event's created to the commit, never for duplicates", async () => {
    const lines: string[] = [];
    const saved = process.env.POWERTOOLS_METRICS_DISABLED;
    process.env.POWERTOOLS_METRICS_DISABLED = "false";
    // Powertools writes EMF lines to stdout.
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      for (const line of String(chunk).split("\n")) if (line.startsWith("{")) lines.push(line);
      return true;
    });
    try {
      const metrics = new Metrics({ namespace: "paybus", serviceName: "loyalty" });
      const event = JSON.parse(renamed("purchase", "metric"));
      const created = event.detail.created as number;
      const withMetrics = { ...deps(), metrics, now: () => created * 1000 + 150 };

      await processLoyaltyMessage(JSON.stringify(event), withMetrics);
      await processLoyaltyMessage(renamed("charge", "metric"), withMetrics);

      const emitted = lines.map((line) => JSON.parse(line)).filter((emf) => POINTS_COMMIT_DELAY_METRIC in emf);
      expect(emitted).toHaveLength(1);
      expect(emitted[0]).toMatchObject({ [POINTS_COMMIT_DELAY_METRIC]: 150, service: "loyalty" });
      expect(emitted[0]._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: "paybus", Metrics: [{ Name: POINTS_COMMIT_DELAY_METRIC, Unit: "Milliseconds" }] });
    } finally {
      spy.mockRestore();
      if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
      else process.env.POWERTOOLS_METRICS_DISABLED = saved;
    }
  });
});
