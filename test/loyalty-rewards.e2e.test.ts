/**
 * Tier rewards, VIP push and domain events through the local runtime, with the real SDK clients
 * everywhere (AWS SDK against the local engines, the `stripe` SDK against the gateway's Stripe
 * endpoints): a tier upgrade creates exactly one Stripe credit, one welcome email telling it, one
 * push per device and one TierChanged fact, however often and in whatever order the Stripe events
 * and the loyalty event itself are redelivered.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../cli/paybus.ts";
import { LOYALTY_SOURCE } from "../events/loyalty-events.ts";
import { loadFixture } from "../fixtures/index.ts";
import { putProfile } from "../functions/common/profiles.ts";
import { adminRoute } from "../local/admin.ts";
import type { Runtime } from "../local/runtime.ts";
import { startTestRuntime } from "./support/runtime.ts";

const STRIPE_CUSTOMER = "cus_RewardsVip0001";
const CUSTOMER = "C-rewards-1";
const EMAIL = "vip@example.com";

/** The three Stripe events of one $600 premium payment (1,200 points: member → silver). */
function purchaseEvents(purchaseId: string): Record<string, any>[] {
  const intent = loadFixture("03");
  Object.assign(intent.detail.data.object, { id: purchaseId, amount: 60_000, amount_received: 60_000, customer: STRIPE_CUSTOMER, metadata: { customer_id: CUSTOMER, product_category: "premium" } });
  intent.detail.id = `evt_${purchaseId}_pi`;
  const charge = loadFixture("04");
  Object.assign(charge.detail.data.object, { id: `ch_${purchaseId}`, payment_intent: purchaseId, amount: 60_000, amount_captured: 60_000, customer: STRIPE_CUSTOMER, metadata: { customer_id: CUSTOMER, product_category: "premium" } });
  charge.detail.id = `evt_${purchaseId}_ch`;
  return [intent, charge];
}

const redelivered = (envelope: Record<string, any>) => ({ ...structuredClone(envelope), id: randomUUID() });

describe("a tier upgrade, redelivered and reordered", () => {
  let runtime: Runtime;
  let dataDir: string;
  let endpointArn: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "paybus-rewards-"));
    runtime = await startTestRuntime({
      dataDir,
      port: 0,
      timeScale: 0.01,
      workflowTimeScale: 0.0001,
      // Yen count toward the USD milestones through the rate table (1 point per ¥100, as per $1).
      env: { PAYBUS_LOYALTY_CONFIG: JSON.stringify({ currencies: { usd: { points: 1, perUnits: 1 }, jpy: { points: 1, perUnits: 100 } }, milestones: { currency: "usd", thresholds: [500, 700, 5_000] } }) },
    });
    runtime.addRoute(adminRoute(runtime));
    endpointArn = runtime.sns.createEndpoint(`${runtime.prefix}-app`, "rewards-device-token-1");
    await putProfile({ customerId: STRIPE_CUSTOMER, email: EMAIL, name: "Vera", pushEndpoints: [endpointArn] }, runtime.profileTable);

    const [intent, charge] = purchaseEvents("pi_rewardsTier1");
    // The charge first, then the intent, each several times (new envelopes, as Stripe resends).
    runtime.sendEnvelopes([charge!, redelivered(charge!), intent!, redelivered(intent!), redelivered(charge!)]);
    await runtime.waitForQuiet(120_000);
    runtime.sendEnvelopes([redelivered(intent!), redelivered(charge!)]);
    await runtime.waitForQuiet(120_000);
    // The loyalty event itself delivered again (EventBridge delivers at least once).
    // (Concurrent duplicates may each have put it before the outbox recorded it: one fact, one id.)
    const tierChanged = busEvents().filter((e) => e["detail-type"] === "TierChanged");
    expect(new Set(tierChanged.map((e) => e.detail.id)).size).toBe(1);
    runtime.sendEnvelopes([redelivered(tierChanged[0]!), redelivered(tierChanged[0]!)]);
    await runtime.waitForQuiet(120_000);
    // ¥15,000 more (150 in USD terms): $750 lifetime, past the 700 milestone; redelivered.
    const yen = loadFixture("03");
    Object.assign(yen.detail.data.object, { id: "pi_rewardsYen1", amount: 15_000, amount_received: 15_000, currency: "jpy", customer: STRIPE_CUSTOMER, metadata: { customer_id: CUSTOMER } });
    yen.detail.id = "evt_rewardsYen1";
    runtime.sendEnvelopes([yen, redelivered(yen)]);
    await runtime.waitForQuiet(120_000);
    runtime.sendEnvelopes([redelivered(yen)]);
    await runtime.waitForQuiet(120_000);
  }, 300_000);

  afterAll(async () => {
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function busEvents(): Record<string, any>[] {
    return runtime.archive.read().map((archived) => JSON.parse(archived.event)).filter((e) => e.source === LOYALTY_SOURCE && e.detail.customerId === CUSTOMER);
  }

  it("creates exactly one credit in the customer's Stripe balance", () => {
    const credits = runtime.stripe.balanceTransactions(STRIPE_CUSTOMER);

    expect(credits).toHaveLength(1);
    expect(credits[0]).toMatchObject({ object: "customer_balance_transaction", amount: -500, currency: "usd", metadata: { paybus_tier: "silver", paybus_customer_id: CUSTOMER } });
    expect(runtime.stripe.balanceOf(STRIPE_CUSTOMER)).toBe(-500);
  });

  it("sends one welcome email, telling the credit applied", async () => {
    const welcomes = (await runtime.ses.emails()).filter((email) => email.destination.to.includes(EMAIL) && email.subject === "Welcome to Silver");

    expect(welcomes).toHaveLength(1);
    expect(welcomes[0]!.body.text).toContain("We have credited $5.00 to your account balance");
  });

  it("pushes the VIP notification once to the customer's device", () => {
    const pushes = runtime.sns.outbox.filter((push) => push.targetArn === endpointArn);

    expect(pushes).toHaveLength(1);
    expect(JSON.stringify(pushes[0]!.message)).toContain("Welcome to Silver");
  });

  it("publishes PointsAwarded and TierChanged once each, with deterministic ids", () => {
    const ids = new Set(busEvents().map((e) => `${e["detail-type"]} ${e.detail.id}`));

    expect([...ids].sort()).toEqual([
      `PointsAwarded PointsAwarded:pi_rewardsTier1`,
      `PointsAwarded PointsAwarded:pi_rewardsYen1`,
      `TierChanged TierChanged:${CUSTOMER}:silver`,
    ]);
  });

  it("sends one campaign email per spending milestone reached, across currencies", async () => {
    const milestones = (await runtime.ses.emails()).filter((email) => email.destination.to.includes(EMAIL) && email.subject.startsWith("You have passed"));

    // $600 reached 500; ¥15,000 (150 through the rate table) reached 700; 5,000 is not reached.
    expect(milestones.map((email) => email.subject).sort()).toEqual(["You have passed $500.00 with us", "You have passed $700.00 with us"]);
  });

  it("lists the credit with `paybus stripe credits`", async () => {
    const out: string[] = [];
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
    let code: number;
    try {
      code = await main(["stripe", "credits", "--customer", STRIPE_CUSTOMER, "--json", "--url", runtime.gatewayUrl]);
    } finally {
      stdout.mockRestore();
    }

    expect(code).toBe(0);
    expect(JSON.parse(out.join(""))).toEqual([expect.objectContaining({ customer: STRIPE_CUSTOMER, amount: -500, currency: "usd" })]);
  });
});
