import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { GetItemCommand, PutItemCommand, QueryCommand, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tables } from "../../functions/common/tables.ts";
import { testChildArgs } from "../../test/support/child-bundle.ts";
import { clientsFor, type Clients } from "../../test/support/dynamodb.ts";
import { startLocalDynamo, type LocalDynamo } from "./index.ts";

let dataDir: string;
let session: { dynamo: LocalDynamo; sdk: Clients } | undefined;

async function start(prefix: string) {
  const dynamo = await startLocalDynamo({ dataDir, ttlSweepIntervalMs: 0 });
  session = { dynamo, sdk: clientsFor(dynamo.endpoint, { maxAttempts: 1 }) };
  return { ...session, table: (await dynamo.createTables({ loyalty: tables.loyalty }, prefix)).loyalty };
}

async function stop() {
  session?.sdk.client.destroy();
  await session?.dynamo.close();
  session = undefined;
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "paybus-dynamodb-durability-"));
});

afterEach(async () => {
  await stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Every item of a customer's partition, by sort key. */
async function partition(sdk: Clients, table: string, pk: string): Promise<Map<string, number>> {
  const items = new Map<string, number>();
  let ExclusiveStartKey: Record<string, never> | undefined;
  do {
    const page = await sdk.client.send(new QueryCommand({ TableName: table, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": { S: pk } }, ConsistentRead: true, ExclusiveStartKey }));
    for (const item of page.Items ?? []) items.set(item.sk!.S!, Number(item.points?.N ?? 0));
    ExclusiveStartKey = page.LastEvaluatedKey as typeof ExclusiveStartKey;
  } while (ExclusiveStartKey);
  return items;
}

describe("single-item writes on a data directory", () => {
  it("are answered only once LevelDB has them", async () => {
    // Arrange: LevelDB's writes (dynalite's store is level's Level) wait for the test's word.
    const dynamo = await startLocalDynamo({ dataDir, ttlSweepIntervalMs: 0, thread: "caller" });
    const sdk = clientsFor(dynamo.endpoint, { maxAttempts: 1 });
    session = { dynamo, sdk };
    const table = (await dynamo.createTables({ loyalty: tables.loyalty }, "ack")).loyalty;
    const { Level } = createRequire(createRequire(import.meta.url).resolve("dynalite/db/index.js"))("level") as { Level: { prototype: Record<string, (...args: unknown[]) => Promise<void>> } };
    const originals = { _put: Level.prototype._put!, _del: Level.prototype._del!, _batch: Level.prototype._batch! };
    const writes: { method: string; count: number }[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const writing = new Promise<void>((resolve) => (reached = resolve));
    for (const [method, original] of Object.entries(originals)) {
      Level.prototype[method] = async function (this: unknown, ...args: unknown[]) {
        writes.push({ method, count: Array.isArray(args[0]) ? args[0].length : 1 });
        reached();
        await released;
        return original.apply(this, args);
      };
    }
    try {
      // Act
      const answered: string[] = [];
      const puts = ["A", "B", "C"].map((sk) =>
        sdk.client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: "PUTS" }, sk: { S: sk } } })).then(() => answered.push(sk)),
      );
      await writing;
      // A few turns of the event loop: an answer given before LevelDB has the write would be out by now.
      for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
      const answeredBeforeWrite = [...answered];
      release();
      await Promise.all(puts);

      // Assert
      expect(answeredBeforeWrite).toEqual([]);
      expect(answered.sort()).toEqual(["A", "B", "C"]);
      expect(writes.reduce((sum, write) => sum + write.count, 0)).toBe(3);
    } finally {
      Object.assign(Level.prototype, originals);
    }
  });
});

describe("write transactions on a data directory", () => {
  it("cancelled on an item's contents, leave nothing behind, before and after a restart", async () => {
    // Arrange: a balance whose points are a string, so that the transaction's ADD fails once its
    // other write (a new ledger entry) is applied.
    const first = await start("cancel");
    const balance = { pk: { S: "CUSTOMER#c" }, sk: { S: "BALANCE" } };
    const entry = { pk: { S: "CUSTOMER#c" }, sk: { S: "ENTRY#1" } };
    await first.sdk.client.send(new PutItemCommand({ TableName: first.table, Item: { ...balance, points: { S: "ten" } } }));

    // Act
    const cancelled = first.sdk.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: first.table, Item: { ...entry, points: { N: "5" } } } },
          { Update: { TableName: first.table, Key: balance, UpdateExpression: "ADD points :p", ExpressionAttributeValues: { ":p": { N: "5" } } } },
        ],
      }),
    );

    // Assert
    await expect(cancelled).rejects.toMatchObject({ name: "TransactionCanceledException", CancellationReasons: [{ Code: "None" }, { Code: "ValidationError" }] });
    expect((await first.sdk.client.send(new GetItemCommand({ TableName: first.table, Key: entry, ConsistentRead: true }))).Item).toBeUndefined();
    expect([...(await partition(first.sdk, first.table, "CUSTOMER#c")).keys()]).toEqual(["BALANCE"]);
    await stop();
    const second = await start("cancel");
    expect((await second.sdk.client.send(new GetItemCommand({ TableName: second.table, Key: entry, ConsistentRead: true }))).Item).toBeUndefined();
    expect((await second.sdk.client.send(new GetItemCommand({ TableName: second.table, Key: balance, ConsistentRead: true }))).Item).toEqual({ ...balance, points: { S: "ten" } });
  });

  it("reach the disk in one write: a kill right after a transaction's first write leaves all of it or none", async () => {
    // Arrange: the child kills itself once LevelDB has the first write of an accrual of 5 points
    // to a balance of 10 (no later write reaches LevelDB).
    const child = spawn(process.execPath, [...(await testChildArgs(join(import.meta.dirname, "../../test/support/dynamodb-crash-child.ts"))), JSON.stringify({ dataDir, trap: true })], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    expect(await new Promise((resolve) => child.once("close", (_code, signal) => resolve(signal)))).toBe("SIGKILL");

    // Act
    const { sdk, table } = await start("crash");

    // Assert: the balance and its ledger agree, whichever side of the transaction the kill fell.
    const items = await partition(sdk, table, "CUSTOMER#0");
    expect([{ balance: 10, entry: undefined }, { balance: 15, entry: 5 }]).toContainEqual({ balance: items.get("BALANCE"), entry: items.get("ENTRY#000000") });
  }, 60_000);

  it("interrupted by a kill, are all there or not at all: every balance is the sum of its ledger, every committed entry and every answered put is kept", async () => {
    // Arrange: a process accruing points, 16 transactions in flight and 8 puts, killed once 150 transactions committed.
    const committed = new Set<string>();
    const put = new Set<string>();
    const child = spawn(process.execPath, [...(await testChildArgs(join(import.meta.dirname, "../../test/support/dynamodb-crash-child.ts"))), JSON.stringify({ dataDir })], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let killed = false;
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const event = JSON.parse(line) as { committed?: string; put?: string };
      if (event.committed) committed.add(event.committed);
      if (event.put) put.add(event.put);
      if (!killed && committed.size >= 150) {
        killed = true;
        // Anywhere in the next few transactions' steps, not at one fixed phase.
        setTimeout(() => child.kill("SIGKILL"), Math.random() * 20);
      }
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once("close", (_code, closedBy) => resolve(closedBy)));
    expect(signal).toBe("SIGKILL");

    // Act: a new endpoint on the data directory the killed one left.
    const { sdk, table } = await start("crash");

    // Assert
    const ledger = new Set<string>();
    for (let customer = 0; customer < 4; customer++) {
      const items = await partition(sdk, table, `CUSTOMER#${customer}`);
      const entries = [...items].filter(([sk]) => sk.startsWith("ENTRY#"));
      for (const [sk] of entries) ledger.add(sk);
      expect(items.get("BALANCE") ?? 0, `CUSTOMER#${customer}'s balance`).toBe(entries.reduce((sum, [, points]) => sum + points, 0));
    }
    expect([...committed].filter((entry) => !ledger.has(entry))).toEqual([]);
    const puts = await partition(sdk, table, "PUTS");
    expect(put.size).toBeGreaterThan(0);
    expect([...put].filter((sk) => !puts.has(sk))).toEqual([]);
  }, 60_000);
});
