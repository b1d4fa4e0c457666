/**
 * The parts of `bench/dynamo.ts` that run clients or the endpoint in other processes and threads:
 * the endpoint alone in a child process (its own CPU per request), and clients spread over two
 * processes or two worker threads. Also the load both files generate (`UpdateItem` `ADD`, 32 in
 * flight).
 */
import { fork, type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { DynamoDBClient, GetItemCommand, PutItemCommand, TransactWriteItemsCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { adminClient } from "../local/admin-client.ts";

export const CONCURRENCY = 32;
export const UPDATES = 3000;
export const WARM_UP = 300;
/** Balances updated round-robin: enough keys that per-item locks are not the bottleneck. */
export const KEYS = 16;

/**
 * The bench's clients, as a user after throughput configures them: one plain `DynamoDBClient` per
 * endpoint (shared by every request in flight), the SDK's default keep-alive HTTP agent, and
 * `cacheMiddleware: true`, so the middleware stack is resolved once per command class rather than
 * on every call (about a third of the SDK's CPU per call). Commands carry wire-typed attribute
 * values (`{ N: "1" }`): no marshalling. Not a document client: lib-dynamodb's commands resolve
 * to a handler bound to their first instance, so under `cacheMiddleware` every later call of a
 * class would send the first call's input.
 */
export function throughputClient(endpoint: string): DynamoDBClient {
  return adminClient(DynamoDBClient, endpoint, "us-east-1", { cacheMiddleware: true });
}

/** What {@link throughputClient} is, for the bench's output. */
export const CLIENT_DESCRIPTION = "one plain DynamoDBClient per endpoint, cacheMiddleware: true, the SDK's default keep-alive agent, wire-typed values";

/** A balance's key. */
const balance = (i: number) => ({ pk: { S: `customer#${i % KEYS}` }, sk: { S: "balance" } });

/** The measured write: one point added to one of {@link KEYS} balances. */
export const add = (TableName: string, i: number) =>
  new UpdateItemCommand({
    TableName,
    Key: balance(i),
    UpdateExpression: "ADD points :n",
    ExpressionAttributeValues: { ":n": { N: "1" } },
  });

/**
 * The points the balances of `TableName` hold, summed: a run of {@link add} must leave exactly as
 * many as it sent (a client sending a stale input, or an endpoint losing a write, shows here).
 */
export async function pointsHeld(client: DynamoDBClient, TableName: string): Promise<number> {
  let sum = 0;
  for (let i = 0; i < KEYS; i++) {
    const { Item } = await client.send(new GetItemCommand({ TableName, Key: balance(i), ConsistentRead: true }));
    sum += Number(Item?.points?.N ?? 0);
  }
  return sum;
}

/** Runs `operation(0 … count-1)`, {@link CONCURRENCY} at a time. */
export async function pool(count: number, operation: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await operation(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** `bench/dynamo-server.ts` running in a child process. */
export interface ChildEndpoint {
  readonly endpoint: string;
  /** The loyalty-shaped table it created (`paybus`; empty for `dynalite`). */
  readonly table: string;
  /** The child's CPU time so far (all its threads), µs. */
  cpu(): Promise<number>;
  close(): void;
}

/** Starts `bench/dynamo-server.ts` (`kind`, from `root`); resolves once it listens. */
export async function startChildEndpoint(kind: "paybus" | "dynalite", root?: string): Promise<ChildEndpoint> {
  const child = fork(fileURLToPath(new URL("./dynamo-server.ts", import.meta.url)), [kind, ...(root ? [root] : [])], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const next = () => new Promise<any>((resolvePromise) => child.once("message", resolvePromise));
  const { endpoint, table } = await next();
  return {
    endpoint,
    table,
    cpu: async () => {
      child.send("cpu");
      const { user, system } = (await next()).cpu as NodeJS.CpuUsage;
      return user + system;
    },
    close: () => void child.kill(),
  };
}

/**
 * Starts `bench/dynamo-server.ts` (`kind`, from `root`), runs `work` against it, and returns the
 * rate `work` measured and the child's CPU time per operation during it.
 */
export async function inChildProcess(
  kind: "paybus" | "dynalite",
  work: (endpoint: string, table: string) => Promise<number>,
  root?: string,
): Promise<{ rate: number; cpuPerOperation: number }> {
  const child = await startChildEndpoint(kind, root);
  try {
    const before = await child.cpu();
    const rate = await work(child.endpoint, child.table);
    // The rate's warm-up ran inside `work` too: count its operations.
    return { rate, cpuPerOperation: Math.round(((await child.cpu()) - before) / (UPDATES + WARM_UP)) };
  } finally {
    child.close();
  }
}

/**
 * The endpoint's own CPU per request by operation (`bench/dynamo-server.ts` in a child process, in
 * memory; SDK clients here, 32 in flight): `UpdateItem` (`ADD`), `PutItem` of a new ledger item
 * with `attribute_not_exists(pk)`, `GetItem`, and the loyalty accrual's `TransactWriteItems`.
 */
export async function endpointCpuByOperation(): Promise<Record<string, number>> {
  const child = await startChildEndpoint("paybus");
  const { endpoint, table, cpu } = child;
  const client = throughputClient(endpoint);
  const operations: Record<string, (i: number) => Promise<unknown>> = {
    UpdateItem: (i) => client.send(add(table, i)),
    PutItem: (i) =>
      client.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: `customer#${i % KEYS}` }, sk: { S: `ledger#${i}` }, points: { N: "1" }, kind: { S: "accrual" } },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      ),
    GetItem: (i) => client.send(new GetItemCommand({ TableName: table, Key: balance(i) })),
    TransactWriteItems: (i) => client.send(accrual(table, i, "tx")),
  };
  try {
    const figures: Record<string, number> = {};
    for (const [operation, send] of Object.entries(operations)) {
      await pool(WARM_UP, send);
      const before = await cpu();
      // Past the warm-up's numbers, so that every PutItem writes a new item.
      await pool(UPDATES, (i) => send(i + WARM_UP));
      figures[operation] = Math.round(((await cpu()) - before) / UPDATES);
    }
    return figures;
  } finally {
    client.destroy();
    child.close();
  }
}

/** The loyalty accrual: a new ledger item (`<kind>#<i>`, `attribute_not_exists(pk)`) and its balance's `ADD`, in one transaction. */
export const accrual = (TableName: string, i: number, kind: string) =>
  new TransactWriteItemsCommand({
    TransactItems: [
      { Put: { TableName, Item: { pk: { S: `customer#${i % KEYS}` }, sk: { S: `${kind}#${i}` }, points: { N: "1" } }, ConditionExpression: "attribute_not_exists(pk)" } },
      { Update: { TableName, Key: balance(i), UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": { N: "1" } } } },
    ],
  });

export const CLIENT_PROCESSES = 2;

/** A client process or thread, as {@link spreadClients} talks to it. */
type ClientRunner = ChildProcess | Worker;

/** What {@link spreadClients} measured; CPU figures are µs per operation. */
export interface SpreadFigures {
  readonly rate: number;
  /** This process's CPU (every thread: with `"threads"`, the clients' too). */
  readonly hostCpuPerOperation: number;
  /** The clients' CPU: their processes', or with `"threads"` their own threads' (undefined without /proc). */
  readonly clientCpuPerOperation: number | undefined;
  /** The endpoint's, read by `endpointCpu` (undefined without it). */
  readonly endpointCpuPerOperation: number | undefined;
}

/**
 * Runs `UpdateItem` from {@link CLIENT_PROCESSES} child processes (or, with `"threads"`, worker
 * threads of this process) at once (`bench/dynamo-clients.ts`, {@link CONCURRENCY} in flight in
 * all), after each warmed up ({@link WARM_UP} each): the total rate, this process's CPU per
 * operation meanwhile (the endpoint's worker thread, when the endpoint is here; with threads, the
 * clients' too), the clients' own, and the endpoint's by `endpointCpu` (its CPU so far, µs: its
 * thread's or its process's), read before and after.
 */
export async function spreadClients(
  endpoint: string,
  table: string,
  where: "processes" | "threads" = "processes",
  endpointCpu?: () => number | undefined | Promise<number | undefined>,
): Promise<SpreadFigures> {
  const each = Math.round(UPDATES / CLIENT_PROCESSES);
  const script = new URL("./dynamo-clients.ts", import.meta.url);
  const argv = [endpoint, table, String(each), String(CONCURRENCY / CLIENT_PROCESSES), String(WARM_UP)];
  const children: ClientRunner[] = Array.from({ length: CLIENT_PROCESSES }, () =>
    where === "threads"
      ? // A worker thread does not inherit tsx's loader: it registers it, then loads the script.
        new Worker(`import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); })`, { eval: true, workerData: { argv } })
      : fork(fileURLToPath(script), argv, { execArgv: ["--import", "tsx"], stdio: ["ignore", "ignore", "inherit", "ipc"] }),
  );
  const next = (child: ClientRunner) =>
    new Promise<any>((resolvePromise, reject) => {
      child.once("message", resolvePromise);
      child.once("exit", (code: number) => reject(new Error(`bench client exited (${code})`)));
      if (child instanceof Worker) child.once("error", reject);
    });
  try {
    await Promise.all(children.map(next));
    const endpointBefore = await endpointCpu?.();
    const started = performance.now();
    const cpu = process.cpuUsage();
    const done = children.map(next);
    for (const child of children) (child instanceof Worker ? child.postMessage("go") : child.send("go"));
    const reports = (await Promise.all(done)) as { ms: number; cpu: number; threadCpu?: number }[];
    const elapsed = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const endpointAfter = await endpointCpu?.();
    const total = each * CLIENT_PROCESSES;
    // A thread's `cpu` is this whole process's (already in `used`): its own thread's is its share.
    const clientCpu = where === "threads" ? (reports.every((report) => report.threadCpu !== undefined) ? reports.reduce((sum, report) => sum + report.threadCpu!, 0) : undefined) : reports.reduce((sum, report) => sum + report.cpu, 0);
    return {
      rate: Math.round(total / (elapsed / 1000)),
      hostCpuPerOperation: Math.round((used.user + used.system) / total),
      clientCpuPerOperation: clientCpu === undefined ? undefined : Math.round(clientCpu / total),
      endpointCpuPerOperation: endpointBefore === undefined || endpointAfter === undefined ? undefined : Math.round((endpointAfter - endpointBefore) / total),
    };
  } finally {
    for (const child of children) void (child instanceof Worker ? child.terminate() : child.kill());
  }
}
