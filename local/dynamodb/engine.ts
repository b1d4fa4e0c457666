/**
 * The storage engine behind the endpoint: dynalite's store and request handlers, called in
 * process. dynalite's own HTTP server is not used: the front server already parsed the request,
 * and a second hop (serialise, send, parse, answer, parse again) cost more than the storage itself.
 *
 * Requests go through exactly the steps dynalite's server takes after its HTTP layer: type checks,
 * validations (both from `dynalite/validations/`), then the action (`dynalite/actions/`), so the
 * answers and error messages are dynalite's own. dynalite is pinned (4.0.0); these are its internals.
 */
import { createRequire } from "node:module";
import { convertTypes } from "./check-types.ts";
import { DynamoServiceError, type JsonObject } from "./errors.ts";
import "./expression-memo.ts";
import "./key-memo.ts";
import { mirror, soon, type LevelDatabase, type WriteCapture } from "./mirror.ts";

export type { WriteCapture };

interface DynaliteError {
  readonly statusCode?: number;
  readonly body?: JsonObject;
}

type Callback = (error: (Error & DynaliteError) | null | undefined, result?: JsonObject) => void;

interface TableLookup {
  (name: string, checkStatus: boolean | Callback, cb?: Callback): void;
}

/** The parts of dynalite's store (`dynalite/db`'s `create`) the engine touches. */
interface DynaliteStore {
  getTable: TableLookup;
  /** A table's item store; its `lock` serialises dynalite's own writes per key. */
  getItemDb(name: string): { lock: ItemDbLock };
  /** The LevelDB (or memory-level) database every table's items live in, `valueEncoding: json`. */
  readonly db: LevelDatabase;
  readonly tableDb: { readonly awsAccountId: string; readonly awsRegion: string };
  readonly lifecycleManager: { gracefulClose(cb: (error?: Error | null) => void): void };
}

/** dynalite's per-key lock (the `lock` package): `exec` gets a wrapper that releases the key when its callback runs. */
type ItemDbLock = (key: string, exec: (release: (done: Callback) => Callback) => void) => void;

interface ActionValidation {
  readonly types: JsonObject;
  readonly custom?: (data: JsonObject, store: unknown) => string | undefined;
}

type Action = (store: DynaliteStore, data: JsonObject, cb: Callback) => void;

const require = createRequire(import.meta.url);
const db = require("dynalite/db/index.js") as {
  create(options: JsonObject): DynaliteStore;
  updateIndexes: UpdateIndexes & { shortcut?: true };
};

type UpdateIndexes = (store: DynaliteStore, table: JsonObject, existingItem: unknown, item: unknown, cb: (error?: Error | null) => void) => void;

if (!db.updateIndexes.shortcut) {
  // Every write asks it to update the table's secondary indexes, through two `async.parallel`s even
  // when the table has none (most local tables): answered at once then, as they would have answered.
  const updateIndexes = db.updateIndexes;
  const shortcut: typeof db.updateIndexes = (store, table, existingItem, item, cb) =>
    table.LocalSecondaryIndexes || table.GlobalSecondaryIndexes ? updateIndexes(store, table, existingItem, item, cb) : cb(null);
  shortcut.shortcut = true;
  db.updateIndexes = shortcut;
}
const validations = require("dynalite/validations/index.js") as {
  checkValidations(data: JsonObject, types: JsonObject, custom: ActionValidation["custom"], store: unknown): void;
};

/** The operations dynalite implements (its own list); the front server adds the rest. */
const OPERATIONS = [
  "BatchGetItem",
  "BatchWriteItem",
  "CreateTable",
  "DeleteItem",
  "DeleteTable",
  "DescribeTable",
  "DescribeTimeToLive",
  "GetItem",
  "ListTables",
  "PutItem",
  "Query",
  "Scan",
  "TagResource",
  "UntagResource",
  "ListTagsOfResource",
  "UpdateItem",
  "UpdateTable",
] as const;

const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
const actions = new Map<string, { readonly action: Action; readonly validation: ActionValidation }>(
  OPERATIONS.map((operation) => [
    operation,
    {
      action: require(`dynalite/actions/${lowerFirst(operation)}.js`) as Action,
      validation: require(`dynalite/validations/${lowerFirst(operation)}.js`) as ActionValidation,
    },
  ]),
);

/** Operations that change a table's description (status, indexes), and so the cached one. */
const TABLE_CHANGES = new Set(["CreateTable", "DeleteTable", "UpdateTable"]);

/** The storage engine, in process. */
export interface Engine {
  /** Validates then runs a DynamoDB operation; resolves with the response body, rejects with a {@link DynamoServiceError}. */
  call(operation: string, body: JsonObject): Promise<JsonObject>;
  /**
   * Validates a request as dynalite does, without running it; returns the checked request (with
   * parsed expressions) for {@link Engine.run}. `body` is left as it was.
   * @throws DynamoServiceError
   */
  validate(operation: string, body: JsonObject): JsonObject;
  /** Runs a request {@link Engine.validate} returned (once: actions consume parsed expressions). */
  run(operation: string, checked: JsonObject): Promise<JsonObject>;
  /** `arn:aws:dynamodb:<region>:<account>:table/`: what table ARNs of this engine start with. */
  readonly tableArnPrefix: string;
  /**
   * On a data directory, holds back the writes the actions make to `items` (a table without
   * secondary indexes and an item key each, the caller holding them exclusively) until
   * {@link WriteCapture.commit} writes them to LevelDB as one batch — atomic across a kill, as
   * LevelDB applies a batch whole or not at all — or {@link WriteCapture.discard} drops them.
   * Meanwhile they are acknowledged at once and point reads see them. Undefined in memory, where
   * nothing survives the process anyway.
   */
  readonly capture?: (items: readonly { readonly tableName: string; readonly itemKey: string }[]) => WriteCapture;
  /**
   * The item stored under `itemKey` (its `createKey`, see `internals.ts`) in `tableName`, read
   * now: what a consistent `GetItem` of a validated key answers, without running one.
   */
  readItem(tableName: string, itemKey: string): JsonObject | undefined;
  close(): Promise<void>;
}


/**
 * Opens dynalite's store.
 * @param path LevelDB directory; in memory when absent.
 */
export async function startEngine(path?: string): Promise<Engine> {
  // Table state changes are instant: the endpoint is for tests and local runs, not for rehearsing
  // CREATING/DELETING delays.
  const store = db.create({ ...(path ? { path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const { read, capture } = await mirror(store.db, { durable: path !== undefined });
  // dynalite keeps a table's items under `item-<table>~<item key>` in the one database.
  const itemLevelKey = (tableName: string, itemKey: string) => `item-${tableName}~${itemKey}`;
  cacheActiveTables(store);
  unlockItemWrites(store);
  const { awsRegion, awsAccountId } = store.tableDb;

  const validate = (operation: string, body: JsonObject): JsonObject => {
    const entry = actions.get(operation);
    // AWS answers an operation it does not know with no message; one it has that is not served
    // here (PartiQL, streams, backups) gets a message saying so, a deliberate difference.
    if (!entry) throw new DynamoServiceError("UnknownOperationException", `the local DynamoDB does not implement ${operation} (no PartiQL, streams or backups: local/dynamodb/README.md)`, 400, {}, "com.amazon.coral.service");
    try {
      // convertTypes, not dynalite's checkTypes: the caller's body stays as it was.
      const checked = convertTypes(body, entry.validation.types as Parameters<typeof convertTypes>[1]) as JsonObject;
      validations.checkValidations(checked, entry.validation.types, entry.validation.custom, store);
      return checked;
    } catch (error) {
      throw asServiceError(error);
    }
  };

  const run = (operation: string, checked: JsonObject): Promise<JsonObject> => {
    const { action } = actions.get(operation)!;
    const tableChange = TABLE_CHANGES.has(operation) ? String(checked.TableName) : undefined;
    if (tableChange) store.forgetTable(tableChange);
    return new Promise((resolve, reject) => {
      action(store, checked, (error, result) => {
        if (tableChange) store.forgetTable(tableChange);
        if (error) reject(asServiceError(error));
        else resolve(result ?? {});
      });
    });
  };

  return {
    validate,
    run,
    call: (operation, body) => {
      try {
        return run(operation, validate(operation, body));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    tableArnPrefix: `arn:aws:dynamodb:${awsRegion}:${awsAccountId}:table/`,
    ...(capture ? { capture: (items) => capture(items.map(({ tableName, itemKey }) => itemLevelKey(tableName, itemKey))) } : {}),
    readItem: (tableName, itemKey) => {
      const text = read(itemLevelKey(tableName, itemKey));
      return text === undefined ? undefined : (JSON.parse(text) as JsonObject);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Waits for pending LevelDB operations, then closes it (the directory can be reopened after).
        store.lifecycleManager.gracefulClose((error) => (error ? reject(error) : resolve()));
      }),
  };
}

interface CachingStore extends DynaliteStore {
  forgetTable(name: string): void;
}

/**
 * Every item operation starts with dynalite reading and decoding the table's description from
 * LevelDB. Active descriptions only change through the table operations, which drop them from the
 * cache before and after they run (dynalite's state changes happen in between, on its timers).
 */
function cacheActiveTables(store: DynaliteStore): asserts store is CachingStore {
  const read = store.getTable.bind(store);
  const active = new Map<string, JsonObject>();
  let generation = 0;
  (store as CachingStore).forgetTable = (name) => {
    generation++;
    active.delete(name);
  };
  store.getTable = (name, checkStatus, cb) => {
    const callback = (typeof checkStatus === "function" ? checkStatus : cb) as Callback;
    const cached = active.get(name);
    if (cached) {
      soon(() => callback(null, cached));
      return;
    }
    const seen = generation;
    read(name, checkStatus, (error, table) => {
      // A table change that started meanwhile may have made this description stale.
      if (!error && table?.TableStatus === "ACTIVE" && seen === generation) active.set(name, table);
      callback(error, table);
    });
  };
}

/**
 * dynalite locks an item's key around its own `PutItem`, `UpdateItem` and `DeleteItem` (the `lock`
 * package: a map lookup, an array and closures per write). Every one of them reaches the engine
 * holding the front's exclusive lock on that item (`dispatch.ts`: single-item writes, and
 * transactions, which lock all their items), or has a key the action refuses before it locks: the
 * second lock never waits, so it is skipped.
 */
function unlockItemWrites(store: DynaliteStore): void {
  const getItemDb = store.getItemDb.bind(store);
  const held: ItemDbLock = (_key, exec) => exec((done) => done);
  store.getItemDb = (name) => {
    const itemDb = getItemDb(name);
    itemDb.lock = held;
    return itemDb;
  };
}

function asServiceError(error: unknown): unknown {
  const { statusCode, body } = (error ?? {}) as DynaliteError;
  return statusCode && body ? DynamoServiceError.fromWire(statusCode, body) : error;
}
