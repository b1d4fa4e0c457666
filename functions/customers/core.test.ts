import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../../fixtures/index.ts";
import { startLocalDynamo, type LocalDynamo } from "../../local/dynamodb/index.ts";
import { getProfile, type ProfileTable } from "../common/profiles.ts";
import { tables } from "../common/tables.ts";
import { syncCustomer, type SyncDependencies, type SyncOutcome } from "./core.ts";
import { dynamoProfileSyncStore } from "./store.ts";
import { changeVersion, firstLocale } from "./sync.ts";
import { adminClient } from "../../local/admin-client.ts";

const CUSTOMER = "cus_U3kq8ZrW1fLm0D";
const PHONE = "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/app/0b1c2d3e";

let engine: LocalDynamo;
let raw: DynamoDBClient;
let table: ProfileTable;
let deleted: string[];
let outcomes: SyncOutcome[];
let deps: SyncDependencies;

beforeAll(async () => {
  engine = await startLocalDynamo({ port: 0, ttlSweepIntervalMs: 0 });
  const names = await engine.createTables({ profiles: tables.profiles }, "sync");
  raw = adminClient(DynamoDBClient, engine.endpoint, "us-east-1");
  table = { client: DynamoDBDocumentClient.from(raw), tableName: names.profiles };
  deleted = [];
  outcomes = [];
  deps = {
    store: dynamoProfileSyncStore(table),
    deleteEndpoint: async (arn) => void deleted.push(arn),
    report: (outcome) => void outcomes.push(outcome),
  };
});

afterAll(async () => {
  raw?.destroy();
  await engine?.close();
});

/** A fixture for its own customer id, with patches to the customer and the event. */
function customerEvent(fixture: string, customerId: string, patch: { customer?: Record<string, unknown>; account?: string; created?: number } = {}): string {
  const envelope = loadFixture(fixture);
  Object.assign(envelope.detail.data.object, { id: customerId, ...patch.customer });
  if (patch.account) envelope.detail.account = patch.account;
  if (patch.created !== undefined) envelope.detail.created = patch.created;
  return JSON.stringify(envelope);
}

describe("the profile change an event asks for", () => {
  it("orders a customer's events by created second, then creation < update < deletion", () => {
    expect(changeVersion("customer.created", 100)).toBeLessThan(changeVersion("customer.updated", 100));
    expect(changeVersion("customer.updated", 100)).toBeLessThan(changeVersion("customer.deleted", 100));
    expect(changeVersion("customer.deleted", 100)).toBeLessThan(changeVersion("customer.created", 101));
  });

  it("takes the first valid preferred locale, canonicalised", () => {
    expect(firstLocale(["", "not a tag!", "fr"])).toBe("fr");
    expect(firstLocale(["en-us"])).toBe("en-US");
    expect(firstLocale([])).toBeUndefined();
  });
});

describe("profile sync", () => {
  it("creates the profile from customer.created: email, name, preferred locale, documented metadata", async () => {
    await syncCustomer(customerEvent("17", "cus_sync1", { customer: { metadata: { loyalty_customer_id: "L-7", locale: "fr-CA" } } }), deps);

    expect(await getProfile("cus_sync1", table)).toEqual({
      customerId: "cus_sync1",
      email: "camille.martin@example.fr",
      name: "Camille Martin",
      locale: "fr-CA",
      loyaltyCustomerId: "L-7",
      pushEndpoints: [],
    });
  });

  it("applies a newer update, ignores a duplicate and an older one, and removes what Stripe removed", async () => {
    await syncCustomer(customerEvent("17", "cus_sync2"), deps);
    await syncCustomer(customerEvent("19", "cus_sync2", { customer: { name: null } }), deps);

    const duplicate = await syncCustomer(customerEvent("19", "cus_sync2", { customer: { name: null } }), deps);
    const older = await syncCustomer(customerEvent("18", "cus_sync2"), deps);

    expect(duplicate.kind).toBe("synced");
    expect(older).toMatchObject({ kind: "stale", reason: expect.stringMatching(/^a newer state is stored/) });
    expect(await getProfile("cus_sync2", table)).toEqual({ customerId: "cus_sync2", email: "camille.durand@example.fr", locale: "fr", pushEndpoints: [] });
  });

  it("keeps the devices the app registered when Stripe's fields change", async () => {
    await syncCustomer(customerEvent("17", "cus_sync3"), deps);
    const device = { platform: "GCM", token: "t", endpointArn: PHONE, registeredAt: 1 };
    const item = (await table.client.send(new GetCommand({ TableName: table.tableName, Key: { pk: "cus_sync3" } }))).Item!;
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: { ...item, devices: { k1: device } } }));

    await syncCustomer(customerEvent("19", "cus_sync3"), deps);

    expect((await getProfile("cus_sync3", table))?.pushEndpoints).toEqual([PHONE]);
  });

  it("erases personal data and device endpoints on customer.deleted, and nothing revives it", async () => {
    await syncCustomer(customerEvent("17", "cus_sync4"), deps);
    const item = (await table.client.send(new GetCommand({ TableName: table.tableName, Key: { pk: "cus_sync4" } }))).Item!;
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: { ...item, devices: { k1: { platform: "GCM", token: "t", endpointArn: PHONE, registeredAt: 1 } } } }));
    deleted = [];

    const erased = await syncCustomer(customerEvent("23", "cus_sync4"), deps);
    const late = await syncCustomer(customerEvent("19", "cus_sync4"), deps);

    expect(erased).toMatchObject({ kind: "erased", endpointsDeleted: 1 });
    expect(deleted).toEqual([PHONE]);
    expect(late).toMatchObject({ kind: "stale", reason: "the customer was deleted" });
    expect(await getProfile("cus_sync4", table)).toBeUndefined();
    const tombstone = (await table.client.send(new GetCommand({ TableName: table.tableName, Key: { pk: "cus_sync4" } }))).Item!;
    expect(Object.keys(tombstone).sort()).toEqual(["customerId", "deleted", "pk", "stripeVersion", "syncedAt", "syncedEventId"]);
  });

  it("retries endpoint deletions that failed, from the tombstone", async () => {
    await syncCustomer(customerEvent("17", "cus_sync5"), deps);
    const item = (await table.client.send(new GetCommand({ TableName: table.tableName, Key: { pk: "cus_sync5" } }))).Item!;
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: { ...item, devices: { k1: { platform: "GCM", token: "t", endpointArn: PHONE, registeredAt: 1 } } } }));
    const failing: SyncDependencies = { ...deps, deleteEndpoint: async () => Promise.reject(Object.assign(new Error("SNS down"), { name: "InternalError" })) };

    await expect(syncCustomer(customerEvent("23", "cus_sync5"), failing)).rejects.toThrow("SNS down");
    expect(await getProfile("cus_sync5", table)).toBeUndefined();
    deleted = [];
    const retried = await syncCustomer(customerEvent("23", "cus_sync5"), deps);

    expect(retried).toMatchObject({ kind: "erased", endpointsDeleted: 1 });
    expect(deleted).toEqual([PHONE]);
  });

  it("is Connect-aware: an event from another account does not touch the profile", async () => {
    await syncCustomer(customerEvent("17", "cus_sync6", { account: "acct_1Connected" }), deps);

    const foreign = await syncCustomer(customerEvent("19", "cus_sync6", { account: "acct_2Other" }), deps);
    const platform = await syncCustomer(customerEvent("19", "cus_sync6"), deps);
    const own = await syncCustomer(customerEvent("19", "cus_sync6", { account: "acct_1Connected" }), deps);

    expect(foreign).toMatchObject({ kind: "stale", reason: expect.stringContaining("another Connect account") });
    expect(platform.kind).toBe("stale");
    expect(own.kind).toBe("synced");
    expect(await getProfile("cus_sync6", table)).toMatchObject({ account: "acct_1Connected", email: "camille.durand@example.fr" });
  });
});
