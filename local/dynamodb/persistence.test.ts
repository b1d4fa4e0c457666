import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tables } from "../../functions/common/tables.ts";
import { startLocalDynamo, type LocalDynamo } from "./index.ts";
import { clientsFor, type Clients } from "../../test/support/dynamodb.ts";

let dataDir: string;
const running: { dynamo: LocalDynamo; sdk: Clients }[] = [];

async function start() {
  const dynamo = await startLocalDynamo({ dataDir, ttlSweepIntervalMs: 0 });
  const session = { dynamo, sdk: clientsFor(dynamo.endpoint) };
  running.push(session);
  return session;
}

async function stop(session: { dynamo: LocalDynamo; sdk: Clients }) {
  session.sdk.client.destroy();
  await session.dynamo.close();
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "paybus-dynamo-"));
});

afterAll(async () => {
  await Promise.all(running.map(stop));
  await rm(dataDir, { recursive: true, force: true });
});

describe("a data directory", () => {
  it("keeps tables, items and TTL settings across a restart", async () => {
    // Arrange
    const first = await start();
    const names = await first.dynamo.createTables(tables, "keep");
    await first.sdk.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: names.loyalty, Item: { pk: "c", sk: "ledger#1", points: 3 }, ConditionExpression: "attribute_not_exists(pk)" } },
          { Update: { TableName: names.loyalty, Key: { pk: "c", sk: "balance" }, UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": 3 } } },
        ],
      }),
    );
    await stop(first);

    // Act
    const second = await start();
    const namesAgain = await second.dynamo.createTables(tables, "keep");

    // Assert
    expect(namesAgain).toEqual(names);
    const balance = await second.sdk.documents.send(new GetCommand({ TableName: names.loyalty, Key: { pk: "c", sk: "balance" } }));
    expect(balance.Item).toEqual({ pk: "c", sk: "balance", points: 3 });
    const ttl = await second.sdk.client.send(new DescribeTimeToLiveCommand({ TableName: names.notifications }));
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: "ENABLED", AttributeName: "expiresAt" });
  });
});
