/**
 * The process the DynamoDB durability test kills with SIGKILL: the local endpoint on a data
 * directory (in its worker thread, as the runtime runs it) and a flood of loyalty accruals from
 * real SDK clients, 16 in flight: each one `TransactWriteItems` of a new ledger entry and the `ADD`
 * of its points to the customer's balance, and, from 8 more callers, plain `PutItem`s of items of
 * their own. It prints `{"ready":…}` once the tables exist, then one JSON line per committed
 * transaction (`{"committed":"<entry>"}`) and per answered put (`{"put":"<sk>"}`), so the parent
 * knows what the endpoint had answered before the kill.
 *
 * Usage: `node --import tsx test/support/dynamodb-crash-child.ts '{"dataDir":"…"}'`. With
 * `"trap":true` there is no flood: the endpoint runs on this thread, a balance of 10 points is
 * written, then LevelDB's writes are trapped — the first one goes through and the process kills
 * itself once LevelDB has it, any other never reaches LevelDB — and one accrual of 5 points is
 * sent: the kill lands right after the first write of that transaction reached the disk.
 */
import { createRequire } from "node:module";
import { PutItemCommand, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import { tables } from "../../functions/common/tables.ts";
import { startLocalDynamo } from "../../local/dynamodb/index.ts";
import { clientsFor } from "./dynamodb.ts";

const { dataDir, trap } = JSON.parse(process.argv[2] ?? "{}") as { dataDir: string; trap?: boolean };
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

// Trapped, the endpoint runs here: the trap patches LevelDB's class as this thread loaded it.
const dynamo = await startLocalDynamo({ dataDir, ttlSweepIntervalMs: 0, ...(trap ? { thread: "caller" as const } : {}) });
const { loyalty } = await dynamo.createTables({ loyalty: tables.loyalty }, "crash");
const { client } = clientsFor(dynamo.endpoint, { maxAttempts: 1 });
say({ ready: { table: loyalty } });

if (trap) {
  await client.send(new PutItemCommand({ TableName: loyalty, Item: { pk: { S: "CUSTOMER#0" }, sk: { S: "BALANCE" }, points: { N: "10" } } }));
  // dynalite's store is `level`'s Level (classic-level underneath): its private write methods are
  // what every put, delete and batch ends in.
  const { Level } = createRequire(createRequire(import.meta.url).resolve("dynalite/db/index.js"))("level") as { Level: { prototype: Record<string, (...args: unknown[]) => Promise<void>> } };
  let first = true;
  for (const method of ["_put", "_del", "_batch"]) {
    const original = Level.prototype[method]!;
    Level.prototype[method] = async function (this: unknown, ...args: unknown[]) {
      if (!first) return new Promise<void>(() => undefined);
      first = false;
      await original.apply(this, args);
      process.kill(process.pid, "SIGKILL");
    };
  }
  await client.send(
    new TransactWriteItemsCommand({
      TransactItems: [
        { Put: { TableName: loyalty, Item: { pk: { S: "CUSTOMER#0" }, sk: { S: "ENTRY#000000" }, points: { N: "5" } } } },
        { Update: { TableName: loyalty, Key: { pk: { S: "CUSTOMER#0" }, sk: { S: "BALANCE" } }, UpdateExpression: "ADD points :p", ExpressionAttributeValues: { ":p": { N: "5" } } } },
      ],
    }),
  );
  say({ committed: "ENTRY#000000" });
}

/** Customers the accruals spread over: few enough that every balance sees many. */
const CUSTOMERS = 4;
let next = 0;
const accrue = async (): Promise<void> => {
  for (;;) {
    const n = next++;
    const customer = `CUSTOMER#${n % CUSTOMERS}`;
    const entry = `ENTRY#${String(n).padStart(6, "0")}`;
    const points = String(1 + (n % 7));
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: loyalty, Item: { pk: { S: customer }, sk: { S: entry }, points: { N: points } }, ConditionExpression: "attribute_not_exists(pk)" } },
          { Update: { TableName: loyalty, Key: { pk: { S: customer }, sk: { S: "BALANCE" } }, UpdateExpression: "ADD points :p", ExpressionAttributeValues: { ":p": { N: points } } } },
        ],
      }),
    );
    say({ committed: entry });
  }
};
let nextPut = 0;
const putItems = async (): Promise<void> => {
  for (;;) {
    const sk = `ITEM#${String(nextPut++).padStart(6, "0")}`;
    await client.send(new PutItemCommand({ TableName: loyalty, Item: { pk: { S: "PUTS" }, sk: { S: sk }, points: { N: "1" } } }));
    say({ put: sk });
  }
};
await Promise.all([...Array.from({ length: 16 }, accrue), ...Array.from({ length: 8 }, putItems)]);
