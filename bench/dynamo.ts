/**
 * Local DynamoDB throughput, 32 requests in flight, real SDK clients over loopback (one plain
 * `DynamoDBClient` per endpoint with `cacheMiddleware: true`, see `throughputClient`): `UpdateItem`
 * (`ADD`) into dynalite's own HTTP server (the engine the endpoint is built on, for comparison),
 * the same through the paybus endpoint on the clients' thread and in its own worker thread (the
 * default), in memory and with a data directory (LevelDB), `TransactWriteItems` (ledger `Put` +
 * balance `ADD`, the loyalty accrual), the same `UpdateItem` through a document client without the
 * middleware cache (the functions' kind of client), and the SDK's own cost against a server that
 * answers `{}` at once (the ceiling of clients on one thread). The SDK costs more CPU per request than the
 * endpoint, so one thread of clients cannot saturate it: the last figures spread the clients over
 * two processes or two worker threads (16 in flight each) with the endpoint in a worker thread of
 * this one, and measure the endpoint's own CPU per request in a process of its own (UpdateItem,
 * then per operation: UpdateItem, PutItem, GetItem, TransactWriteItems). Last, the endpoint's own
 * figures (`dynamo-engine.ts`): its rate and CPU per request, in its worker thread and in a
 * process of its own, from load generators that leave it the cores (SDK clients in two worker
 * threads; the SDK's requests replayed), repeated `--runs=<n>` times (2 by default).
 *
 * Run with `npx tsx bench/dynamo.ts [--runs=<n>] [--engine-only]` (prints and writes
 * `bench/results/dynamo.json`), `npm run -s bench -- dynamo [--runs=<n>] [--engine-only]`, or
 * import {@link run}. `--engine-only` measures the endpoint's own figures and nothing else.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { tables } from "../functions/common/tables.ts";
import {
  accrual,
  add,
  CLIENT_DESCRIPTION,
  CLIENT_PROCESSES,
  CONCURRENCY,
  endpointCpuByOperation,
  inChildProcess,
  KEYS,
  pointsHeld,
  pool,
  spreadClients,
  throughputClient,
  UPDATES,
  WARM_UP,
} from "./dynamo-elsewhere.ts";
import { engineFigures, range, type EngineRow } from "./dynamo-engine.ts";
import { startLocalDynamo } from "../local/dynamodb/index.ts";
import { clientsFor } from "../test/support/dynamodb.ts";
import { runStandalone } from "./standalone.ts";

const TRANSACTIONS = 1500;

const onlyLoyalty = { loyalty: tables.loyalty };

/** `--runs=<n>` and `--engine-only` from the command line (`npm run bench -- dynamo --runs=3`). */
function options(): { runs: number; engineOnly: boolean } {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { runs: { type: "string" }, "engine-only": { type: "boolean" } }, strict: false, allowPositionals: true });
  const runs = Number(values.runs ?? 2);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`bench dynamo: --runs must be a positive integer, not ${String(values.runs)}`);
  return { runs, engineOnly: values["engine-only"] === true };
}

/** Measures the rates; returns them (operations per second) with the parameters used. */
export async function run(): Promise<Record<string, unknown>> {
  const { runs, engineOnly } = options();
  const general = engineOnly ? {} : await generalFigures();
  console.log("the endpoint's own figures: UpdateItem ADD, %d in flight, %d run(s); CPU per request from /proc (the endpoint's thread or process, the callers' threads)", CONCURRENCY, runs);
  const rows = await engineFigures(runs, (row) =>
    console.log(
      "  %s, %s: %d UpdateItem/s; CPU µs per request: endpoint %s, callers %s (load %s)",
      row.placement,
      row.generator,
      row.updateItemPerSecond,
      row.endpointCpuMicroseconds ?? "n/a",
      row.callersCpuMicroseconds ?? "n/a",
      row.loadAverage,
    ),
  );
  const summary: Record<string, Record<string, string>> = {};
  for (const row of rows) {
    summary[`${row.placement}, ${row.generator}`] ??= {
      "UpdateItem/s": range(rows, row.placement, row.generator, "updateItemPerSecond"),
      "endpoint CPU µs/op": range(rows, row.placement, row.generator, "endpointCpuMicroseconds"),
      "callers CPU µs/op": range(rows, row.placement, row.generator, "callersCpuMicroseconds"),
    };
  }
  console.table(summary);
  return { ...general, engine: { concurrency: CONCURRENCY, runs: rows satisfies EngineRow[] } };
}

/** The figures before the endpoint's own: one thread of SDK clients, spread clients, the endpoint's CPU by operation. */
async function generalFigures(): Promise<Record<string, unknown>> {
  const dataDir = await mkdtemp(join(tmpdir(), "paybus-bench-dynamo-"));
  const memory = await startLocalDynamo({ ttlSweepIntervalMs: 0 });
  const sameThread = await startLocalDynamo({ ttlSweepIntervalMs: 0, thread: "caller" });
  const persistent = await startLocalDynamo({ dataDir, ttlSweepIntervalMs: 0 });
  const raw = await startDynalite();
  const echo = await startEcho();
  const sdk = {
    memory: throughputClient(memory.endpoint),
    sameThread: throughputClient(sameThread.endpoint),
    persistent: throughputClient(persistent.endpoint),
    raw: throughputClient(raw.endpoint),
    echo: throughputClient(echo.endpoint),
  };
  // The functions' kind of client, for comparison: a document client, no middleware cache.
  const documents = clientsFor(memory.endpoint);
  try {
    const memoryTable = (await memory.createTables(onlyLoyalty, "bench")).loyalty;
    const sameThreadTable = (await sameThread.createTables(onlyLoyalty, "bench")).loyalty;
    const persistentTable = (await persistent.createTables(onlyLoyalty, "bench")).loyalty;
    const rawTable = await createRawTable(sdk.raw, "bench-loyalty");
    const figures = {
      concurrency: CONCURRENCY,
      updates: UPDATES,
      transactions: TRANSACTIONS,
      clients: CLIENT_DESCRIPTION,
      sdkCeilingUpdateItemPerSecond: await measure("sdkCeilingUpdateItemPerSecond", UPDATES, (i) => sdk.echo.send(add("bench-loyalty", i))),
      rawDynaliteUpdateItemPerSecond: await measure("rawDynaliteUpdateItemPerSecond", UPDATES, (i) => sdk.raw.send(add(rawTable, i))),
      frontSameThreadUpdateItemPerSecond: await measure("frontSameThreadUpdateItemPerSecond", UPDATES, (i) => sdk.sameThread.send(add(sameThreadTable, i))),
      frontUpdateItemPerSecond: await measure("frontUpdateItemPerSecond", UPDATES, (i) => sdk.memory.send(add(memoryTable, i))),
      frontPersistentUpdateItemPerSecond: await measure("frontPersistentUpdateItemPerSecond", UPDATES, (i) => sdk.persistent.send(add(persistentTable, i))),
    };
    // Every ADD sent must be in the balances: a rate of lost or misdirected writes is no rate.
    const held = await pointsHeld(sdk.memory, memoryTable);
    if (held !== WARM_UP + UPDATES) throw new Error(`bench: the balances hold ${held} points after ${WARM_UP + UPDATES} ADDs`);
    Object.assign(figures, {
      documentClientUpdateItemPerSecond: await measure("documentClientUpdateItemPerSecond", UPDATES, (i) =>
        documents.documents.send(
          new UpdateCommand({ TableName: memoryTable, Key: { pk: `customer#${i % KEYS}`, sk: "balance" }, UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": 1 } }),
        ),
      ),
      // Every call gets its own ledger entry, so every transaction commits.
      frontTransactWriteItemsPerSecond: await measure("frontTransactWriteItemsPerSecond", TRANSACTIONS, (i) => sdk.memory.send(accrual(memoryTable, i, "ledger"))),
    });
    // Clients in two processes, the endpoint in its worker thread here: what the endpoint serves
    // when one thread of clients is not the limit, and the CPU this process (the endpoint) spends.
    const spread = await spreadClients(memory.endpoint, memoryTable);
    const spreadCeiling = await spreadClients(echo.endpoint, "bench-loyalty");
    Object.assign(figures, {
      spreadClientsUpdateItemPerSecond: spread.rate,
      spreadClientsEndpointCpuMicrosecondsPerUpdateItem: spread.hostCpuPerOperation,
      spreadClientsCpuMicrosecondsPerUpdateItem: spread.clientCpuPerOperation,
      spreadClientsSdkCeilingPerSecond: spreadCeiling.rate,
    });
    // The endpoint in a process of its own: the rate with the SDK's work elsewhere, and the CPU
    // the endpoint itself spends per request.
    const separate = await inChildProcess("paybus", async (endpoint, table) => {
      const client = throughputClient(endpoint);
      try {
        return await measure("separateProcessUpdateItemPerSecond", UPDATES, (i) => client.send(add(table, i)));
      } finally {
        client.destroy();
      }
    });
    Object.assign(figures, { separateProcessUpdateItemPerSecond: separate.rate, endpointCpuMicrosecondsPerUpdateItem: separate.cpuPerOperation });
    const byOperation = await endpointCpuByOperation();
    Object.assign(figures, { endpointCpuMicrosecondsPerOperation: byOperation });
    const rates = figures as unknown as Record<string, number>;
    const row = (key: string) => ({ "ops/s": rates[key], "CPU µs/op (client + server)": cpuPerOperation[key] });
    console.log("local dynamodb (%d concurrent, SDK clients on this process's main thread: %s; load average %s):", CONCURRENCY, CLIENT_DESCRIPTION, loadavg().map((l) => l.toFixed(1)).join(" "));
    console.table({
      "SDK ceiling (server answers {} at once, same thread)": row("sdkCeilingUpdateItemPerSecond"),
      "UpdateItem ADD, dynalite's own server (same thread)": row("rawDynaliteUpdateItemPerSecond"),
      "UpdateItem ADD, paybus endpoint (memory), same thread": row("frontSameThreadUpdateItemPerSecond"),
      "UpdateItem ADD, paybus endpoint (memory), worker thread": row("frontUpdateItemPerSecond"),
      "UpdateItem ADD, paybus endpoint (LevelDB), worker thread": row("frontPersistentUpdateItemPerSecond"),
      "UpdateItem ADD, document client without middleware cache, worker thread": row("documentClientUpdateItemPerSecond"),
      "TransactWriteItems (Put + ADD), paybus endpoint, worker thread": row("frontTransactWriteItemsPerSecond"),
    });
    console.log(
      "clients in %d processes (%d in flight each), paybus endpoint (memory) in a worker thread of this process: %d UpdateItem/s (the same clients against a server answering {} at once: %d/s); CPU per UpdateItem: endpoint %d µs, clients %d µs",
      CLIENT_PROCESSES,
      CONCURRENCY / CLIENT_PROCESSES,
      spread.rate,
      spreadCeiling.rate,
      spread.hostCpuPerOperation,
      spread.clientCpuPerOperation,
    );
    console.log(
      "paybus endpoint in its own process: %d UpdateItem/s; the endpoint's own CPU: %d µs per UpdateItem (a capacity of ~%d/s per core)",
      separate.rate,
      separate.cpuPerOperation,
      Math.round(1e6 / separate.cpuPerOperation),
    );
    console.log(
      "the endpoint's own CPU per request, in its own process: %s",
      Object.entries(byOperation)
        .map(([operation, micros]) => `${operation} ${micros} µs`)
        .join(", "),
    );
    return { ...figures, cpuMicrosecondsPerOperation: { ...cpuPerOperation } };
  } finally {
    for (const client of Object.values(sdk)) client.destroy();
    documents.client.destroy();
    await memory.close();
    await sameThread.close();
    await persistent.close();
    await raw.close();
    await echo.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

interface Listening {
  readonly endpoint: string;
  close(): Promise<void>;
}

async function listening(server: Server): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** dynalite 4.0.0 as its own HTTP server (in memory). */
function startDynalite(): Promise<Listening> {
  const dynalite = createRequire(import.meta.url)("dynalite") as (options: object) => Server;
  return listening(dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }));
}

/** A server that reads the request and answers `{}`: what the SDK and HTTP cost by themselves. */
function startEcho(): Promise<Listening> {
  return listening(
    createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        JSON.parse(Buffer.concat(chunks).toString("utf8"));
        res.writeHead(200, { "content-type": "application/x-amz-json-1.0", "content-length": 2 });
        res.end("{}");
      });
    }),
  );
}

async function createRawTable(client: DynamoDBClient, TableName: string): Promise<string> {
  await client.send(
    new CreateTableCommand({
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
    }),
  );
  while ((await client.send(new DescribeTableCommand({ TableName }))).Table?.TableStatus !== "ACTIVE") {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return TableName;
}

/** CPU time (µs) this process spent per operation, by the last {@link rate}: unlike a rate, barely moved by other processes' load. */
const cpuPerOperation: Record<string, number> = {};
let measuring = "";

/** Operations per second over `count` operations, `CONCURRENCY` at a time, after a warm-up. */
async function rate(count: number, operation: (i: number) => Promise<unknown>): Promise<number> {
  await pool(WARM_UP, operation);
  const started = performance.now();
  const cpu = process.cpuUsage();
  await pool(count, (i) => operation(i + WARM_UP));
  const used = process.cpuUsage(cpu);
  cpuPerOperation[measuring] = Math.round((used.user + used.system) / count);
  return Math.round(count / ((performance.now() - started) / 1000));
}

/** {@link rate}, recording the CPU per operation under `name`. */
function measure(name: string, count: number, operation: (i: number) => Promise<unknown>): Promise<number> {
  measuring = name;
  return rate(count, operation);
}

await runStandalone(import.meta.url, "dynamo", run);
