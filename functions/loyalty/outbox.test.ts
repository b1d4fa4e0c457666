/**
 * The loyalty outbox on the local engines (DynamoDB with transactions, the local bus, real SDK
 * clients): a redemption and an expiry commit their event with the balance change; when the bus is
 * unreachable right after the commit, the event waits in the outbox and the expiry run's drain puts
 * it once, only after the grace time, and never again.
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SESClient } from "@aws-sdk/client-ses";
import { PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOYALTY_SOURCE, loyaltyEventSchemas, type LoyaltyEventType } from "../../events/loyalty-events.ts";
import { startLocalBus, type LocalBus } from "../../test/support/loyalty-bus.ts";
import { LOCAL_AWS, startLocalTables, type LocalTables } from "../../test/support/loyalty-engines.ts";
import { adjustPoints, redeemPoints, type LoyaltyApiDependencies } from "../loyalty-api/core.ts";
import { dynamoLoyaltyAccounts } from "../loyalty-api/store.ts";
import { runExpiry, type ExpiryDeps } from "../loyalty-expiry/core.ts";
import { balanceKey } from "./layout.ts";
import { drainOutbox, OUTBOX_GRACE_MS, OUTBOX_PREFIX, publishOutboxed, type OutboxDeps } from "./outbox.ts";

const CUSTOMER = "C-outbox-1";
const DAY = 86_400_000;

let tables: LocalTables<"loyalty" | "profiles">;
let bus: LocalBus;
let down: EventBridgeClient;
let ses: SESClient;

beforeAll(async () => {
  [tables, bus] = await Promise.all([startLocalTables(["loyalty", "profiles"], "outbox"), startLocalBus()]);
  // A bus nobody answers on: PutEvents fails after the commit, as when the function dies there.
  down = new EventBridgeClient({ ...LOCAL_AWS, endpoint: "http://127.0.0.1:1", maxAttempts: 1 });
  ses = new SESClient({ ...LOCAL_AWS, endpoint: "http://127.0.0.1:1", maxAttempts: 1 });
  await tables.client.send(
    new PutCommand({
      TableName: tables.tableNames.loyalty,
      Item: { ...balanceKey(CUSTOMER), customerId: CUSTOMER, points: 0, lifetimePoints: 0, tier: "member", purchases: 0, earned: 0 },
    }),
  );
});
afterAll(async () => {
  down?.destroy();
  ses?.destroy();
  await Promise.all([tables?.close(), bus?.close()]);
});

const outbox = (eventBridge: EventBridgeClient): OutboxDeps => ({ client: tables.client, tableName: tables.tableNames.loyalty, eventBridge, eventBusName: bus.name });

function apiDeps(eventBridge: EventBridgeClient): LoyaltyApiDependencies {
  return {
    accounts: dynamoLoyaltyAccounts({ client: tables.client, tableName: tables.tableNames.loyalty }),
    lotExpirySeconds: 10 * 86_400,
    // As the handler does: a failed publication leaves the item in the outbox, the request succeeds.
    publish: (item) => publishOutboxed([item], outbox(eventBridge)).then(
      () => undefined,
      () => undefined,
    ),
  };
}

function expiryDeps(eventBridge: EventBridgeClient, wallClock: () => number): ExpiryDeps {
  return {
    client: tables.client,
    tableName: tables.tableNames.loyalty,
    warnSeconds: 0,
    email: { ses, profiles: { client: tables.client, tableName: tables.tableNames.profiles }, from: "rewards@example.com", leaseSeconds: 120 },
    events: { eventBridge, eventBusName: bus.name },
    wallClock,
  };
}

const busEvents = (detailType: LoyaltyEventType) =>
  bus.events().filter((event) => event.source === LOYALTY_SOURCE && event["detail-type"] === detailType && event.detail.customerId === CUSTOMER);

async function outboxItems() {
  const { Items = [] } = await tables.client.send(
    new ScanCommand({ TableName: tables.tableNames.loyalty, FilterExpression: "begins_with(pk, :p)", ExpressionAttributeValues: { ":p": OUTBOX_PREFIX } }),
  );
  return Items;
}

describe("the loyalty outbox", () => {
  it("keeps a redemption's PointsRedeemed when the bus fails, and the drain puts it once after the grace time", async () => {
    const lot = await adjustPoints(CUSTOMER, { points: 100, reason: "seed", actor: "test", idempotencyKey: "seed-1" }, apiDeps(bus.client));
    const redemption = await redeemPoints(CUSTOMER, { points: 30, reference: "order-9", idempotencyKey: "r-1" }, apiDeps(down));

    expect(redemption).toMatchObject({ kind: "redeem", delta: -30 });
    expect(busEvents("PointsRedeemed")).toEqual([]);
    expect(await outboxItems()).toHaveLength(1);

    // A writer may still be publishing within the grace time: the drain leaves the item alone.
    expect(await drainOutbox(Date.now(), outbox(bus.client))).toBe(0);
    expect(await drainOutbox(Date.now() + OUTBOX_GRACE_MS + 1_000, outbox(bus.client))).toBe(1);
    expect(await drainOutbox(Date.now() + OUTBOX_GRACE_MS + 2_000, outbox(bus.client))).toBe(0);
    // The same request again answers the first redemption and announces nothing more.
    expect(await redeemPoints(CUSTOMER, { points: 30, reference: "order-9", idempotencyKey: "r-1" }, apiDeps(bus.client))).toEqual(redemption);

    const events = busEvents("PointsRedeemed");
    expect(events.map((event) => event.detail)).toEqual([
      { id: `PointsRedeemed:${CUSTOMER}:${redemption.entryId}`, customerId: CUSTOMER, occurredAt: new Date(redemption.at).toISOString(), redemptionId: redemption.entryId, points: 30, reference: "order-9" },
    ]);
    expect(() => loyaltyEventSchemas.PointsRedeemed.parse(events[0]!.detail)).not.toThrow();
    expect(await outboxItems()).toEqual([]);
    expect(lot.expiresAt).toBe(lot.at + 10 * DAY);
  });

  it("keeps an expiry's PointsExpired when the bus fails; the next run puts it once and expires nothing twice", async () => {
    const { Items = [] } = await tables.client.send(
      new ScanCommand({ TableName: tables.tableNames.loyalty, FilterExpression: "kind = :adjust", ExpressionAttributeValues: { ":adjust": "adjust" } }),
    );
    const lot = Items.find((item) => item.customerId === CUSTOMER)!;
    const at = lot.expiresAt as number;

    const first = await runExpiry(at, expiryDeps(down, Date.now));
    expect(first).toMatchObject({ expiredLots: 1, expiredPoints: 70, published: 0, unpublished: 1 });
    expect(busEvents("PointsExpired")).toEqual([]);

    const later = () => Date.now() + OUTBOX_GRACE_MS + 1_000;
    const second = await runExpiry(at + 1, expiryDeps(bus.client, later));
    expect(second).toMatchObject({ expiredLots: 0, published: 1, unpublished: 0 });
    expect(await runExpiry(at + 2, expiryDeps(bus.client, later))).toMatchObject({ expiredLots: 0, published: 0 });

    expect(busEvents("PointsExpired").map((event) => event.detail)).toEqual([
      { id: `PointsExpired:${CUSTOMER}:${lot.entryId}`, customerId: CUSTOMER, occurredAt: new Date(at).toISOString(), lotId: lot.entryId, points: 70, balanceAfter: 0 },
    ]);
    expect(await outboxItems()).toEqual([]);
  });
});
