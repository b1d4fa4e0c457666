/**
 * Domain events out: the loyalty consumer publishes PointsAwarded, PointsReversed and TierChanged
 * on a real local bus after the ledger committed them, once per fact as consumers see it (dedupe on
 * `detail.id`), whatever the redeliveries, the order, and a failure between commit and publish.
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureText, loadFixture } from "../../fixtures/index.ts";
import { LOYALTY_SOURCE, loyaltyEventSchemas, type LoyaltyEventType } from "../../events/loyalty-events.ts";
import { quietLogger } from "../../test/support/quiet-logger.ts";
import { dynamoContactStore } from "../customers/contact.ts";
import { parseLoyaltyConfig } from "./config.ts";
import { processLoyaltyMessage, type LoyaltyDeps } from "./core.ts";
import { LoyaltyLedger } from "./ledger.ts";
import { LOCAL_AWS, startLocalTables, startStartRecorder, type LocalTables, type StartRecorder } from "../../test/support/loyalty-engines.ts";
import { startLocalBus, type LocalBus } from "../../test/support/loyalty-bus.ts";


const PI_03 = "pi_3ccMRk5kb18UZlUmIpq2HE8H";
const CUSTOMER_03 = "C-100877";

let tables: LocalTables<"loyalty" | "profiles">;
let workflows: StartRecorder;
let bus: LocalBus;
let ledger: LoyaltyLedger;

beforeAll(async () => {
  [tables, workflows, bus] = await Promise.all([startLocalTables(["loyalty", "profiles"], "publish"), startStartRecorder(), startLocalBus()]);
  ledger = new LoyaltyLedger(tables.client, tables.tableNames.loyalty, { maxAttempts: 50 });
});
afterAll(async () => {
  await Promise.all([tables?.close(), workflows?.close(), bus?.close()]);
});

function deps(eventBridge: EventBridgeClient = bus.client): LoyaltyDeps {
  return {
    config: parseLoyaltyConfig(undefined),
    ledger,
    sfn: workflows.client,
    stateMachineArn: workflows.stateMachineArn,
    logger: quietLogger("loyalty-test"),
    publish: { eventBridge, eventBusName: bus.name, ledger },
    contacts: dynamoContactStore({ client: tables.client, tableName: tables.tableNames.profiles }),
  };
}

function renamed(name: string, suffix: string): string {
  return fixtureText(name).replaceAll(PI_03, `${PI_03}_${suffix}`).replaceAll(CUSTOMER_03, `${CUSTOMER_03}-${suffix}`);
}

/** The loyalty events about a customer, as a consumer deduplicating on detail.id would keep them. */
function factsFor(customerId: string) {
  const events = bus.events().filter((e) => e.source === LOYALTY_SOURCE && e.detail.customerId === customerId);
  const byId = new Map(events.map((e) => [e.detail.id as string, e]));
  return { events, distinct: [...byId.values()] };
}

describe("loyalty domain events", () => {
  it("publishes one PointsAwarded per purchase and PointsReversed summing to what was taken, in every order", async () => {
    const orders = [
      ["03", "04", "06", "07", "03", "06"],
      ["07", "06", "04", "03", "04"],
      ["06", "03", "07", "03", "07"],
    ];
    for (const [i, order] of orders.entries()) {
      const suffix = `order${i}`;
      for (const name of order) await processLoyaltyMessage(renamed(name, suffix), deps());
      const { distinct } = factsFor(`${CUSTOMER_03}-${suffix}`);
      const awarded = distinct.filter((e) => e["detail-type"] === "PointsAwarded");
      const reversed = distinct.filter((e) => e["detail-type"] === "PointsReversed");

      expect(awarded.map((e) => e.detail)).toEqual([
        expect.objectContaining({ id: `PointsAwarded:${PI_03}_${suffix}`, purchaseId: `${PI_03}_${suffix}`, points: 40, amount: 2000, currency: "usd" }),
      ]);
      // Refunded and charged back: every point of the purchase, over one or more events.
      expect(reversed.reduce((sum, e) => sum + e.detail.points, 0)).toBe(40);
      expect(Math.max(...reversed.map((e) => e.detail.totalReversedPoints))).toBe(40);
      for (const event of distinct) expect(() => loyaltyEventSchemas[event["detail-type"] as LoyaltyEventType].parse(event.detail)).not.toThrow();
    }
  });

  it("publishes TierChanged once with the promotion, whatever the redeliveries", async () => {
    const event = loadFixture("03");
    Object.assign(event.detail.data.object, { id: "pi_pubTier", amount: 120_000, amount_received: 120_000, metadata: { customer_id: "C-pubTier" } });
    event.detail.id = "evt_pubTier";
    const body = JSON.stringify(event);

    await Promise.all(Array.from({ length: 5 }, () => processLoyaltyMessage(body, deps())));
    await processLoyaltyMessage(body, deps());

    const { distinct } = factsFor("C-pubTier");
    expect(distinct.filter((e) => e["detail-type"] === "TierChanged").map((e) => e.detail)).toEqual([
      expect.objectContaining({ id: "TierChanged:C-pubTier:silver", previousTier: "member", newTier: "silver", purchaseId: "pi_pubTier" }),
    ]);
    expect(distinct.map((e) => e["detail-type"]).sort()).toEqual(["PointsAwarded", "TierChanged"]);
  });

  it("publishes after a failure between the commit and the bus, on the redelivery, and not again after", async () => {
    const down = new EventBridgeClient({ ...LOCAL_AWS, endpoint: "http://127.0.0.1:1", maxAttempts: 1 });
    const body = renamed("03", "crash");

    await expect(processLoyaltyMessage(body, deps(down))).rejects.toThrow();
    expect(await ledger.getBalance(`${CUSTOMER_03}-crash`)).toMatchObject({ points: 40 });
    expect(factsFor(`${CUSTOMER_03}-crash`).events).toEqual([]);

    await processLoyaltyMessage(body, deps());
    await processLoyaltyMessage(body, deps());
    down.destroy();

    const { events } = factsFor(`${CUSTOMER_03}-crash`);
    expect(events.map((e) => e.detail.id)).toEqual([`PointsAwarded:${PI_03}_crash`]);
    expect(await ledger.getBalance(`${CUSTOMER_03}-crash`)).toMatchObject({ points: 40, purchases: 1 });
  });
});
