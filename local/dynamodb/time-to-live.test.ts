import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tables } from "../../functions/common/tables.ts";
import { startLocalDynamo, type LocalDynamo } from "./index.ts";
import { clientsFor, type Clients } from "../../test/support/dynamodb.ts";

const NOW = Date.parse("2026-03-01T12:00:00Z");
const nowSeconds = NOW / 1000;

let dynamo: LocalDynamo;
let sdk: Clients;
let names: Record<keyof typeof tables, string>;

beforeAll(async () => {
  dynamo = await startLocalDynamo({ now: () => NOW, ttlSweepIntervalMs: 0 });
  names = await dynamo.createTables(tables, "ttl");
  sdk = clientsFor(dynamo.endpoint);
});

afterAll(async () => {
  sdk?.client.destroy();
  await dynamo?.close();
});

async function describeTtl(TableName: string) {
  return (await sdk.client.send(new DescribeTimeToLiveCommand({ TableName }))).TimeToLiveDescription;
}

describe("createTables", () => {
  it("creates every declared table under the prefix and enables the declared TTL", async () => {
    // Assert
    // Every declared table (one added to functions/common/tables.ts is one more here).
    expect(names).toEqual(Object.fromEntries(Object.keys(tables).map((table) => [table, `ttl-${table}`])));
    expect(Object.keys(names)).toEqual(expect.arrayContaining(["loyalty", "notifications", "profiles", "idempotency", "promotions"]));
    expect(await describeTtl(names.notifications)).toEqual({ TimeToLiveStatus: "ENABLED", AttributeName: "expiresAt" });
    // Powertools' idempotency records expire on their `expiration` attribute.
    expect(await describeTtl(names.idempotency)).toEqual({ TimeToLiveStatus: "ENABLED", AttributeName: "expiration" });
    expect(await describeTtl(names.loyalty)).toEqual({ TimeToLiveStatus: "DISABLED" });
  });

  it("is idempotent", async () => {
    // Act
    const again = await dynamo.createTables(tables, "ttl");

    // Assert
    expect(again).toEqual(names);
  });

  it("refuses an existing table whose key schema differs from the declaration", async () => {
    // Arrange
    await sdk.client.send(
      new CreateTableCommand({
        TableName: "clash-profiles",
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      }),
    );

    // Act
    const outcome = dynamo.createTables({ profiles: tables.profiles }, "clash");

    // Assert
    await expect(outcome).rejects.toMatchObject({ name: "TableSchemaMismatchError" });
  });
});

describe("UpdateTimeToLive", () => {
  it("refuses to enable TTL twice, as DynamoDB does", async () => {
    // Act
    const outcome = sdk.client.send(
      new UpdateTimeToLiveCommand({ TableName: names.notifications, TimeToLiveSpecification: { Enabled: true, AttributeName: "expiresAt" } }),
    );

    // Assert
    await expect(outcome).rejects.toMatchObject({ name: "ValidationException", message: "TimeToLive is already enabled" });
  });

  it("enables then disables TTL", async () => {
    // Act
    const enabled = await sdk.client.send(
      new UpdateTimeToLiveCommand({ TableName: names.loyalty, TimeToLiveSpecification: { Enabled: true, AttributeName: "until" } }),
    );
    const described = await describeTtl(names.loyalty);
    await sdk.client.send(
      new UpdateTimeToLiveCommand({ TableName: names.loyalty, TimeToLiveSpecification: { Enabled: false, AttributeName: "until" } }),
    );

    // Assert
    expect(enabled.TimeToLiveSpecification).toEqual({ Enabled: true, AttributeName: "until" });
    expect(described).toEqual({ TimeToLiveStatus: "ENABLED", AttributeName: "until" });
    expect(await describeTtl(names.loyalty)).toEqual({ TimeToLiveStatus: "DISABLED" });
  });

  it("fails on a table that does not exist", async () => {
    // Act
    const outcome = sdk.client.send(
      new UpdateTimeToLiveCommand({ TableName: "ttl-missing", TimeToLiveSpecification: { Enabled: true, AttributeName: "x" } }),
    );

    // Assert
    await expect(outcome).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("forgets the setting when the table is deleted", async () => {
    // Arrange
    const request = {
      TableName: "ttl-scratch",
      BillingMode: "PAY_PER_REQUEST" as const,
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" as const }],
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" as const }],
    };
    await sdk.client.send(new CreateTableCommand(request));
    await sdk.client.send(new UpdateTimeToLiveCommand({ TableName: "ttl-scratch", TimeToLiveSpecification: { Enabled: true, AttributeName: "x" } }));

    // Act
    await sdk.client.send(new DeleteTableCommand({ TableName: "ttl-scratch" }));
    await sdk.client.send(new CreateTableCommand(request));

    // Assert
    expect(await describeTtl("ttl-scratch")).toEqual({ TimeToLiveStatus: "DISABLED" });
  });
});

describe("sweepExpiredItems", () => {
  it("deletes items whose TTL has passed, and only those", async () => {
    // Arrange
    const TableName = names.notifications;
    const items = {
      expired: { pk: "n1", sk: "expired", expiresAt: nowSeconds - 1 },
      live: { pk: "n1", sk: "live", expiresAt: nowSeconds + 60 },
      noTtl: { pk: "n1", sk: "no-ttl" },
      textTtl: { pk: "n1", sk: "text-ttl", expiresAt: String(nowSeconds - 1) },
    };
    for (const Item of Object.values(items)) await sdk.documents.send(new PutCommand({ TableName, Item }));
    const remaining = async () => {
      const found = await Promise.all(
        Object.values(items).map(async ({ pk, sk }) => (await sdk.documents.send(new GetCommand({ TableName, Key: { pk, sk } }))).Item?.sk),
      );
      return found.filter(Boolean);
    };

    // Act
    const deleted = await dynamo.sweepExpiredItems();

    // Assert
    expect(deleted).toBe(1);
    expect(await remaining()).toEqual(["live", "no-ttl", "text-ttl"]);
    expect(dynamo.stats().expiredItemsDeleted).toBe(1);
  });
});
