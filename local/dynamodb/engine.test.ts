import { MemoryLevel } from "memory-level";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startEngine, type Engine } from "./engine.ts";

// The in-memory engine keeps point writes out of memory-level's ordered tree until a range read
// needs them (engine.ts, `mirror`): these pin both halves of that, what it saves and what it keeps.
const TableName = "engine-test";
let engine: Engine;
/** Writes that reached memory-level's tree, by key. */
let stored: Map<string, number>;

beforeEach(async () => {
  stored = new Map();
  const count = (key: unknown) => stored.set(String(key), (stored.get(String(key)) ?? 0) + 1);
  const prototype = MemoryLevel.prototype as unknown as {
    _put(key: unknown, ...rest: unknown[]): Promise<void>;
    _del(key: unknown, ...rest: unknown[]): Promise<void>;
    _batch(operations: ReadonlyArray<{ key: unknown }>, ...rest: unknown[]): Promise<void>;
  };
  const { _put, _del, _batch } = prototype;
  vi.spyOn(prototype, "_put").mockImplementation(function (this: unknown, key, ...rest) {
    count(key);
    return _put.call(this, key, ...rest);
  });
  vi.spyOn(prototype, "_del").mockImplementation(function (this: unknown, key, ...rest) {
    count(key);
    return _del.call(this, key, ...rest);
  });
  vi.spyOn(prototype, "_batch").mockImplementation(function (this: unknown, operations, ...rest) {
    for (const operation of operations) count(operation.key);
    return _batch.call(this, operations, ...rest);
  });
  engine = await startEngine();
  await createTable();
});

/** Creates the table and waits until it is active (dynalite activates it on a timer). */
async function createTable(): Promise<void> {
  await engine.call("CreateTable", {
    TableName,
    BillingMode: "PAY_PER_REQUEST",
    KeySchema: [
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ],
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "sk", AttributeType: "S" },
    ],
  });
  await expect.poll(async () => ((await engine.call("DescribeTable", { TableName })).Table as { TableStatus: string }).TableStatus).toBe("ACTIVE");
}

afterEach(async () => {
  await engine.close();
  vi.restoreAllMocks();
});

const add = (sk: string) => engine.call("UpdateItem", { TableName, Key: { pk: { S: "c" }, sk: { S: sk } }, UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": { N: "1" } } });
const itemWrites = () => [...stored].filter(([key]) => key.startsWith(`item-${TableName}~`)).reduce((sum, [, writes]) => sum + writes, 0);

describe("the in-memory engine", () => {
  it("lets a run of writes to one item reach the ordered store once, when a range read needs it", async () => {
    for (let i = 0; i < 50; i++) await add("balance");
    expect(itemWrites()).toBe(0);
    // Point reads are answered without the tree.
    expect((await engine.call("GetItem", { TableName, Key: { pk: { S: "c" }, sk: { S: "balance" } }, ConsistentRead: true })).Item).toEqual({ pk: { S: "c" }, sk: { S: "balance" }, points: { N: "50" } });
    expect(itemWrites()).toBe(0);

    const { Items } = await engine.call("Query", { TableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": { S: "c" } } });

    expect(Items).toEqual([{ pk: { S: "c" }, sk: { S: "balance" }, points: { N: "50" } }]);
    expect(itemWrites()).toBe(1);
  });

  it("shows every acknowledged put, update and delete to Query, Scan and a table's deletion", async () => {
    await add("a");
    await add("b");
    await engine.call("PutItem", { TableName, Item: { pk: { S: "c" }, sk: { S: "c" }, kind: { S: "new" } } });
    await engine.call("BatchWriteItem", {
      RequestItems: { [TableName]: [{ PutRequest: { Item: { pk: { S: "c" }, sk: { S: "d" } } } }, { DeleteRequest: { Key: { pk: { S: "c" }, sk: { S: "b" } } } }] },
    });
    expect((await engine.call("Query", { TableName, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": { S: "c" } } })).Items).toEqual([
      { pk: { S: "c" }, sk: { S: "a" }, points: { N: "1" } },
      { pk: { S: "c" }, sk: { S: "c" }, kind: { S: "new" } },
      { pk: { S: "c" }, sk: { S: "d" } },
    ]);

    await engine.call("DeleteItem", { TableName, Key: { pk: { S: "c" }, sk: { S: "a" } } });
    await add("a");
    await engine.call("DeleteItem", { TableName, Key: { pk: { S: "c" }, sk: { S: "c" } } });
    expect((await engine.call("Scan", { TableName })).Items).toEqual([
      { pk: { S: "c" }, sk: { S: "a" }, points: { N: "1" } },
      { pk: { S: "c" }, sk: { S: "d" } },
    ]);

    // A deleted table's items are found by a key stream over the tree: none may outlive it.
    await add("e");
    await engine.call("DeleteTable", { TableName });
    await expect.poll(() => engine.call("DescribeTable", { TableName }).then(() => "exists", (error: Error) => error.name)).not.toBe("exists");
    await createTable();
    expect((await engine.call("Scan", { TableName })).Items).toEqual([]);
  });
});
