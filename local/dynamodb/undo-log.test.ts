import { existsSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetCommand, PutCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tables } from "../../functions/common/tables.ts";
import { startLocalDynamo, type LocalDynamo } from "./index.ts";
import { clientsFor, type Clients } from "../../test/support/dynamodb.ts";
import { UndoLog } from "./undo-log.ts";

let dataDir: string;
let session: { dynamo: LocalDynamo; sdk: Clients } | undefined;

async function start() {
  const dynamo = await startLocalDynamo({ dataDir, ttlSweepIntervalMs: 0 });
  session = { dynamo, sdk: clientsFor(dynamo.endpoint) };
  return { ...session, names: await dynamo.createTables(tables, "undo") };
}

async function stop() {
  session?.sdk.client.destroy();
  await session?.dynamo.close();
  session = undefined;
}

const undoFile = () => join(dataDir, "transaction-undo.json");
const balance = { pk: "CUSTOMER#c", sk: "BALANCE" };
const purchase = { pk: "PURCHASE#p", sk: "PURCHASE" };

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "paybus-undo-"));
});

afterEach(async () => {
  await stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("a write transaction interrupted by a kill", () => {
  it("is undone on the next start: the items it changed are back as they were, the items it created are gone", async () => {
    // Arrange: a balance, then the state a kill leaves when it lands after the writes of a
    // transaction were applied but before the transaction was done (its undo record still there).
    const first = await start();
    await first.sdk.documents.send(new PutCommand({ TableName: first.names.loyalty, Item: { ...balance, points: 10 } }));
    await first.sdk.documents.send(new PutCommand({ TableName: first.names.loyalty, Item: { ...purchase, points: 5 } }));
    await first.sdk.documents.send(new PutCommand({ TableName: first.names.loyalty, Item: { ...balance, points: 15 } }));
    await stop();
    new UndoLog(undoFile()).begin([
      { TableName: first.names.loyalty, key: { pk: { S: purchase.pk }, sk: { S: purchase.sk } }, image: undefined },
      { TableName: first.names.loyalty, key: { pk: { S: balance.pk }, sk: { S: balance.sk } }, image: { pk: { S: balance.pk }, sk: { S: balance.sk }, points: { N: "10" } } },
    ]);

    // Act
    const second = await start();

    // Assert
    const read = (Key: object) => second.sdk.documents.send(new GetCommand({ TableName: second.names.loyalty, Key, ConsistentRead: true }));
    expect((await read(balance)).Item).toEqual({ ...balance, points: 10 });
    expect((await read(purchase)).Item).toBeUndefined();
    expect(existsSync(undoFile())).toBe(false);
  });

  it("leaves nothing to undo once a transaction is applied", async () => {
    // Arrange
    const first = await start();

    // Act
    await first.sdk.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: first.names.loyalty, Item: { ...purchase, points: 5 }, ConditionExpression: "attribute_not_exists(pk)" } },
          { Update: { TableName: first.names.loyalty, Key: balance, UpdateExpression: "ADD points :p", ExpressionAttributeValues: { ":p": 5 } } },
        ],
      }),
    );

    // Assert
    expect(existsSync(undoFile())).toBe(false);
    await stop();
    const second = await start();
    const { Item } = await second.sdk.documents.send(new GetCommand({ TableName: second.names.loyalty, Key: balance }));
    expect(Item).toEqual({ ...balance, points: 5 });
  });

  it("ignores an undo record torn before the first write", async () => {
    // Arrange: killed while the record itself was being written, before any item changed.
    const first = await start();
    await first.sdk.documents.send(new PutCommand({ TableName: first.names.loyalty, Item: { ...balance, points: 10 } }));
    await stop();
    writeFileSync(undoFile(), '[{"TableName":');

    // Act
    const second = await start();

    // Assert
    const { Item } = await second.sdk.documents.send(new GetCommand({ TableName: second.names.loyalty, Key: balance }));
    expect(Item).toEqual({ ...balance, points: 10 });
    expect(existsSync(undoFile())).toBe(false);
  });
});
