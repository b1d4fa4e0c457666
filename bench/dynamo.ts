/**
 * Local DynamoDB throughput: `UpdateItem` (`ADD`) straight into dynalite, the same through the
 * front server (which serialises writes), and `TransactWriteItems` (ledger `Put` + balance `ADD`,
 * the loyalty accrual) through the front server. Real SDK clients, loopback, in-process.
 *
 * Run with `npx tsx bench/dynamo.ts` (prints and writes `bench/results/dynamo.json`), or import
 * {@link run}.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { tables } from "../functions/common/tables.ts";
import { startEngine } from "../local/dynamodb/engine.ts";
import { startLocalDynamo } from "../local/dynamodb/index.ts";
import { createTables } from "../local/dynamodb/tables.ts";
import { clientsFor } from "../local/dynamodb/testing.ts";

const CONCURRENCY = 32;
const UPDATES = 3000;
const TRANSACTIONS = 1500;
const WARM_UP = 300;
/** Balances updated round-robin: enough keys that dynalite's per-item lock is not the bottleneck. */
const KEYS = 16;

const onlyLoyalty = { loyalty: tables.loyalty };

/** Measures the rates; returns them (operations per second) with the parameters used. */
export async function run(): Promise<Record<string, unknown>> {
  const front = await startLocalDynamo({ ttlSweepIntervalMs: 0 });
  const raw = await startEngine();
  const frontSdk = clientsFor(front.endpoint);
  const rawSdk = clientsFor(raw.endpoint);
  try {
    const frontTable = (await front.createTables(onlyLoyalty, "bench")).loyalty;
    const rawTable = (await createTables(onlyLoyalty, "bench", raw.call)).loyalty;
    const add = (TableName: string, i: number) =>
      new UpdateCommand({
        TableName,
        Key: { pk: `customer#${i % KEYS}`, sk: "balance" },
        UpdateExpression: "ADD points :n",
        ExpressionAttributeValues: { ":n": 1 },
      });
    const accrue = (i: number) =>
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: frontTable, Item: { pk: `customer#${i % KEYS}`, sk: `ledger#${i}`, points: 1 }, ConditionExpression: "attribute_not_exists(pk)" } },
          { Update: { TableName: frontTable, Key: { pk: `customer#${i % KEYS}`, sk: "balance" }, UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": 1 } } },
        ],
      });

    const figures = {
      concurrency: CONCURRENCY,
      updates: UPDATES,
      transactions: TRANSACTIONS,
      rawDynaliteUpdateItemPerSecond: await rate(UPDATES, (i) => rawSdk.documents.send(add(rawTable, i))),
      frontUpdateItemPerSecond: await rate(UPDATES, (i) => frontSdk.documents.send(add(frontTable, i))),
      // Every call gets its own ledger entry, so every transaction commits.
      frontTransactWriteItemsPerSecond: await rate(TRANSACTIONS, (i) => frontSdk.documents.send(accrue(i))),
    };
    console.log("local dynamodb (ops/s, %d concurrent):", CONCURRENCY);
    console.table({
      "UpdateItem ADD, raw dynalite": figures.rawDynaliteUpdateItemPerSecond,
      "UpdateItem ADD, front server": figures.frontUpdateItemPerSecond,
      "TransactWriteItems (Put + ADD), front server": figures.frontTransactWriteItemsPerSecond,
    });
    return figures;
  } finally {
    frontSdk.client.destroy();
    rawSdk.client.destroy();
    await front.close();
    await raw.close();
  }
}

/** Operations per second over `count` operations, `CONCURRENCY` at a time, after a warm-up. */
async function rate(count: number, operation: (i: number) => Promise<unknown>): Promise<number> {
  await pool(WARM_UP, operation);
  const started = performance.now();
  await pool(count, (i) => operation(i + WARM_UP));
  return Math.round(count / ((performance.now() - started) / 1000));
}

async function pool(count: number, operation: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await operation(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await run();
  const results = fileURLToPath(new URL("./results/", import.meta.url));
  await mkdir(results, { recursive: true });
  await writeFile(`${results}dynamo.json`, `${JSON.stringify({ ...figures, node: process.version, at: new Date().toISOString() }, null, 2)}\n`);
}
