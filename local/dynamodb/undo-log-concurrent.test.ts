import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
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

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "paybus-undo-many-"));
});

afterEach(async () => {
  await stop();
  await rm(dataDir, { recursive: true, force: true });
});

const key = (pk: string) => ({ pk: { S: pk }, sk: { S: "BALANCE" } });

describe("transactions applying side by side, interrupted by a kill", () => {
  it("each keep their own undo record, and every record is undone on the next start", async () => {
    // Arrange: two balances changed by two transactions in flight at the kill (records 0 and 1),
    // and a third record freed before the kill (its transaction completed).
    const first = await start();
    const table = first.names.loyalty;
    await first.sdk.documents.send(new PutCommand({ TableName: table, Item: { pk: "A", sk: "BALANCE", points: 11 } }));
    await first.sdk.documents.send(new PutCommand({ TableName: table, Item: { pk: "B", sk: "BALANCE", points: 22 } }));
    await stop();
    const log = new UndoLog(join(dataDir, "transaction-undo.json"));
    log.begin([{ TableName: table, key: key("A"), image: { ...key("A"), points: { N: "1" } } }]);
    log.begin([{ TableName: table, key: key("B"), image: undefined }]);
    log.end(log.begin([{ TableName: table, key: key("C"), image: undefined }]));
    expect(readdirSync(dataDir).filter((name) => name.startsWith("transaction-undo")).sort()).toEqual(["transaction-undo.1.json", "transaction-undo.json"]);

    // Act
    const second = await start();

    // Assert
    const read = async (pk: string) => (await second.sdk.documents.send(new GetCommand({ TableName: table, Key: { pk, sk: "BALANCE" }, ConsistentRead: true }))).Item;
    expect(await read("A")).toEqual({ pk: "A", sk: "BALANCE", points: 1 });
    expect(await read("B")).toBeUndefined();
    expect(readdirSync(dataDir).filter((name) => name.startsWith("transaction-undo"))).toEqual([]);
    expect(existsSync(join(dataDir, "transaction-undo.json"))).toBe(false);
  });
});
