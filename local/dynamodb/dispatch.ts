/**
 * Routes an operation to its handler under the locks it needs, and nothing more:
 *
 * | operation | lock |
 * | --- | --- |
 * | `PutItem`, `UpdateItem`, `DeleteItem` | the item, exclusively |
 * | `GetItem` | the item, shared |
 * | `BatchWriteItem` | every item, exclusively (each write is atomic, the batch is not) |
 * | `TransactWriteItems` / `TransactGetItems` | every item (see `transactions.ts`) |
 * | `Query`, `Scan`, `BatchGetItem` | the gate's `read` mode: never alongside a transaction applying |
 * | table changes (`CreateTable`, `UpdateTable`, `DeleteTable`, `UpdateTimeToLive`, tags) | the table lock, exclusively |
 *
 * Every data operation also holds the table lock shared, so a table change (and `close`) waits
 * for the operations in flight. DynamoDB serialises writes per item and no more; so does this.
 */
import type { Engine } from "./engine.ts";
import type { JsonObject } from "./errors.ts";
import { itemIdentity } from "./internals.ts";
import type { ItemLocks, ModeGate } from "./item-locks.ts";
import type { ReadWriteLock } from "./rw-lock.ts";
import type { TableDescription, TableSchemas, WireItem } from "./schemas.ts";
import { resolveTableArns, restoreTableArns } from "./table-arn.ts";
import { lockIdentity } from "./transactions.ts";

/** Runs one client operation; resolves with the answer body. */
export type Dispatch = (operation: string, body: JsonObject) => Promise<JsonObject>;

/** A handler the front server adds or puts in front of the engine's own. */
export type Handler = (body: JsonObject) => Promise<JsonObject>;

/** Single-item writes: `checked` is the request as the engine validated it, `body` as the client sent it. */
export type SingleWrite = (operation: "PutItem" | "UpdateItem" | "DeleteItem", checked: JsonObject, body: JsonObject) => Promise<JsonObject>;

export interface DispatchContext {
  readonly engine: Engine;
  readonly schemas: TableSchemas;
  readonly locks: ItemLocks;
  readonly gate: ModeGate<"read" | "commit">;
  readonly tableLock: ReadWriteLock;
  /** Handlers of operations the engine lacks (transactions, TTL) or that need more (table changes). */
  readonly handlers: Readonly<Record<string, Handler>>;
  readonly singleWrite: SingleWrite;
}

const TABLE_CHANGES = new Set(["CreateTable", "UpdateTable", "DeleteTable", "UpdateTimeToLive", "TagResource", "UntagResource"]);
const MULTI_ITEM_READS = new Set(["Query", "Scan", "BatchGetItem"]);

/** The one path for client requests, `createTables` and the TTL sweeper. */
export function createDispatch(context: DispatchContext): Dispatch {
  const { engine, schemas, locks, gate, tableLock, handlers } = context;

  const identityIn = (table: TableDescription, keySource: object): string | undefined => {
    try {
      return lockIdentity(table.TableName, itemIdentity(keySource as WireItem, table));
    } catch {
      // A key the engine will refuse: the engine answers that, nothing to lock.
      return undefined;
    }
  };

  /** The item's lock identity; synchronous when the table's description is cached (every request but a table's first). */
  const identityOf = (tableName: unknown, keySource: unknown): string | undefined | Promise<string | undefined> => {
    if (typeof tableName !== "string" || typeof keySource !== "object" || keySource === null) return undefined;
    const cached = schemas.cached(tableName);
    if (cached) return identityIn(cached, keySource);
    return schemas.get(tableName).then(
      (table) => identityIn(table, keySource),
      // No such table: the engine answers that, nothing to lock.
      () => undefined,
    );
  };

  const singleItem = async (operation: "PutItem" | "UpdateItem" | "DeleteItem" | "GetItem", body: JsonObject): Promise<JsonObject> => {
    const checked = operation === "GetItem" ? engine.validate(operation, body) : undefined;
    const found = identityOf(body.TableName, operation === "PutItem" ? body.Item : body.Key);
    const identity = typeof found === "object" ? await found : found;
    const work = () => (operation === "GetItem" ? engine.run(operation, checked!) : context.singleWrite(operation, engine.validate(operation, body), body));
    return identity ? locks.with([identity], operation !== "GetItem", work) : work();
  };

  const batchWrite = async (body: JsonObject): Promise<JsonObject> => {
    const checked = engine.validate("BatchWriteItem", body);
    const identities: string[] = [];
    for (const [tableName, requests] of Object.entries((checked.RequestItems ?? {}) as Record<string, JsonObject[]>)) {
      for (const request of requests) {
        const put = request.PutRequest as JsonObject | undefined;
        const remove = request.DeleteRequest as JsonObject | undefined;
        const identity = await identityOf(tableName, put?.Item ?? remove?.Key);
        if (identity) identities.push(identity);
      }
    }
    return locks.with(identities, true, () => engine.run("BatchWriteItem", checked));
  };

  const data = (operation: string, body: JsonObject): Promise<JsonObject> => {
    const handler = handlers[operation];
    if (handler) return handler(body);
    switch (operation) {
      case "PutItem":
      case "UpdateItem":
      case "DeleteItem":
      case "GetItem":
        return singleItem(operation, body);
      case "BatchWriteItem":
        return batchWrite(body);
      default:
        return MULTI_ITEM_READS.has(operation) ? gate.with("read", () => engine.call(operation, body)) : engine.call(operation, body);
    }
  };

  return async (operation, body) => {
    const arns = resolveTableArns(operation, body, engine.tableArnPrefix);
    const result = TABLE_CHANGES.has(operation)
      ? await tableLock.exclusive(() => (handlers[operation] ?? ((request: JsonObject) => engine.call(operation, request)))(body))
      : await tableLock.shared(() => data(operation, body));
    return arns ? restoreTableArns(operation, result, arns) : result;
  };
}
