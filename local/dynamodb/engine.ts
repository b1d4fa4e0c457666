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

type LevelCallback = (error: Error | null, value?: unknown) => void;

interface LevelDatabase {
  get(key: string, callback?: LevelCallback): unknown;
  getMany(keys: readonly string[], options?: unknown): unknown;
  put(key: string, value: unknown, callback?: LevelCallback): unknown;
  del(key: string, callback?: LevelCallback): unknown;
  batch(operations: ReadonlyArray<{ type: "put" | "del"; key: string; value?: unknown }>, callback?: LevelCallback): unknown;
  iterator(options?: unknown): AsyncIterable<[string, unknown]>;
  keys(options?: unknown): unknown;
  values(options?: unknown): unknown;
  clear(options?: unknown): unknown;
}

/** abstract-level's own `batch` (dynalite replaces the instance's with one taking a callback, and no options). */
type LevelBatch = (operations: ReadonlyArray<{ type: "put" | "del"; key: string; value?: string }>, options: { readonly valueEncoding: "utf8" }) => Promise<void>;

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
  close(): Promise<void>;
}

/** Writes held back by {@link Engine.capture}; exactly one of its methods is called, once. */
export interface WriteCapture {
  /** Writes what was held back in one LevelDB batch; resolves once LevelDB has it. */
  commit(): Promise<void>;
  /** Drops what was held back: the items read again as they were before the capture. */
  discard(): void;
}

/**
 * Opens dynalite's store.
 * @param path LevelDB directory; in memory when absent.
 */
export async function startEngine(path?: string): Promise<Engine> {
  // Table state changes are instant: the endpoint is for tests and local runs, not for rehearsing
  // CREATING/DELETING delays.
  const store = db.create({ ...(path ? { path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const capture = await mirror(store.db, { durable: path !== undefined });
  cacheActiveTables(store);
  unlockItemWrites(store);
  const { awsRegion, awsAccountId } = store.tableDb;

  const validate = (operation: string, body: JsonObject): JsonObject => {
    const entry = actions.get(operation);
    if (!entry) throw new DynamoServiceError("UnknownOperationException", "", 400, {}, "com.amazon.coral.service");
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
    // dynalite keeps a table's items under `item-<table>~<item key>` in the one database.
    ...(capture ? { capture: (items) => capture(items.map(({ tableName, itemKey }) => `item-${tableName}~${itemKey}`)) } : {}),
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

/**
 * Serves point reads from memory: every value is kept (as its JSON text) in a map loaded at open
 * and written through on every put, delete and batch, so `get` (every item operation reads its item
 * first) costs a `JSON.parse` and a microtask instead of a store lookup answered on a later turn of
 * the event loop (dynalite's callback wrappers answer with `setImmediate`, and under load each turn
 * is long). Range reads (Query, Scan, a table's deletion) stay the store's.
 *
 * `durable` (LevelDB on disk): a write goes to LevelDB and is acknowledged once LevelDB has it, as
 * before. In memory, a write is acknowledged at once (on a microtask) and reaches memory-level
 * later: it waits in `pending` (the last value per key) until something reads the store itself —
 * an iterator (`iterator`, `keys`, `values`: every range read and stream), `getMany`, `clear`, a
 * promise `get` — which first applies everything pending in one batch. memory-level applies a
 * batch synchronously when it is called and its iterators read the tree as it was when they were
 * created, so every such read sees every write acknowledged before it, as with writing through.
 * What it saves: memory-level's tree is persistent (a put copies the path to the key, and the
 * encoding, promise and lifecycle bookkeeping around it cost more than the tree), and a run of
 * point writes to the same items (balances, counters) reaches the tree once per item and range
 * read, not once per write.
 *
 * Local data sets are small; a production-sized table would not fit, and is not what this endpoint
 * is for.
 *
 * On LevelDB it also returns the means to hold back the writes to some keys (`Engine.capture`): a
 * put or delete of a captured key updates the map and is acknowledged at once, and waits for the
 * capture's commit (one batch) or discard (the map gets the held keys' earlier texts back).
 */
async function mirror(level: LevelDatabase, options: { readonly durable: boolean }): Promise<((keys: readonly string[]) => WriteCapture) | undefined> {
  const values = new Map<string, string>();
  for await (const [key, value] of level.iterator()) values.set(key, JSON.stringify(value));
  /** Key -> its last value's JSON text (`undefined`: deleted), not yet in memory-level (in memory only; empty on LevelDB). */
  const pending = new Map<string, string | undefined>();
  const levelBatch = (Object.getPrototypeOf(level) as { batch: LevelBatch }).batch.bind(level);
  const flush = (): void => {
    if (pending.size === 0) return;
    const operations: { type: "put" | "del"; key: string; value?: string }[] = [];
    for (const [key, text] of pending) operations.push(text === undefined ? { type: "del", key } : { type: "put", key, value: text });
    pending.clear();
    // The JSON text as is: what the store's `json` encoding would have made of the value.
    levelBatch(operations, { valueEncoding: "utf8" }).catch((error: unknown) => console.error("local dynamodb: in-memory write failed:", error));
  };
  const get = level.get.bind(level);
  level.get = (key, callback) => {
    if (!callback) {
      flush();
      return get(key);
    }
    const text = values.get(key);
    // Asynchronous like the store's own answer (callers are written for it); a missing key is `undefined`.
    soon(() => callback(null, text === undefined ? undefined : JSON.parse(text)));
    return undefined;
  };
  /** Keeps the mirror (and, in memory, the pending batch) up to date with one write. */
  const record = (key: string, text: string | undefined): void => {
    if (text === undefined) values.delete(key);
    else values.set(key, text);
    if (!options.durable) pending.set(key, text);
  };
  // On LevelDB a write is acknowledged once LevelDB has it; in memory at once, on a microtask.
  const acknowledge = (write: (callback?: LevelCallback) => unknown, callback: LevelCallback | undefined): unknown => {
    if (options.durable) return write(callback);
    if (!callback) return Promise.resolve();
    soon(() => callback(null));
    return undefined;
  };
  const put = level.put.bind(level);
  const del = level.del.bind(level);
  const batch = level.batch.bind(level);
  /** Captured key -> its capture (`Engine.capture`; LevelDB only). */
  const captured = new Map<string, Held>();
  /** Holds a write to a captured key back: true when it did. */
  const hold = (key: string, text: string | undefined, callback: LevelCallback | undefined): boolean => {
    const held = captured.get(key);
    if (!held) return false;
    if (!held.before.has(key)) held.before.set(key, values.get(key));
    held.texts.set(key, text);
    if (callback) soon(() => callback(null));
    return true;
  };
  level.put = (key, value, callback) => {
    const text = JSON.stringify(value);
    // Held back before the map changes: the capture keeps what the map held before it.
    const held = captured.size > 0 && hold(key, text, callback);
    record(key, text);
    if (held) return callback ? undefined : Promise.resolve();
    return acknowledge((cb) => put(key, value, cb), callback);
  };
  level.del = (key, callback) => {
    const held = captured.size > 0 && hold(key, undefined, callback);
    record(key, undefined);
    if (held) return callback ? undefined : Promise.resolve();
    return acknowledge((cb) => del(key, cb), callback);
  };
  level.batch = (operations, callback) => {
    for (const operation of operations) record(operation.key, operation.type === "put" ? JSON.stringify(operation.value) : undefined);
    return acknowledge((cb) => batch(operations, cb), callback);
  };
  if (options.durable) {
    return (keys) => {
      const held: Held = { before: new Map(), texts: new Map() };
      for (const key of keys) {
        if (captured.has(key)) throw new Error(`local dynamodb: ${key} is captured twice`);
        captured.set(key, held);
      }
      const release = () => {
        for (const key of keys) captured.delete(key);
      };
      const restore = () => {
        for (const [key, text] of held.before) {
          if (text === undefined) values.delete(key);
          else values.set(key, text);
        }
      };
      return {
        commit: () => {
          release();
          const operations: { type: "put" | "del"; key: string; value?: string }[] = [];
          for (const [key, text] of held.texts) operations.push(text === undefined ? { type: "del", key } : { type: "put", key, value: text });
          if (operations.length === 0) return Promise.resolve();
          // The JSON text as the store's `json` encoding would have written the value. A batch
          // LevelDB refused changed nothing there: nor may it in the map.
          return levelBatch(operations, { valueEncoding: "utf8" }).catch((error: unknown) => {
            restore();
            throw error;
          });
        },
        discard: () => {
          release();
          restore();
        },
      };
    };
  }

  for (const read of ["iterator", "keys", "values", "getMany", "clear"] as const) {
    const original = (level[read] as (...args: unknown[]) => unknown).bind(level);
    (level as unknown as Record<string, unknown>)[read] = (...args: unknown[]) => {
      flush();
      return original(...args);
    };
  }
  return undefined;
}

/** The writes one capture holds back, and what the map held for their keys before. */
interface Held {
  readonly before: Map<string, string | undefined>;
  /** Key -> the JSON text of its last value (`undefined`: deleted). */
  readonly texts: Map<string, string | undefined>;
}

const settled = Promise.resolve();

/**
 * Runs `work` on a microtask, as `queueMicrotask` does, without the async resource `queueMicrotask`
 * creates and destroys for each call (async hooks bookkeeping, paid on every item read and write).
 * An error `work` throws is still reported as uncaught: it is rethrown outside the promise chain.
 */
function soon(work: () => void): void {
  void settled.then(() => {
    try {
      work();
    } catch (error) {
      setImmediate(() => {
        throw error;
      });
    }
  });
}

function asServiceError(error: unknown): unknown {
  const { statusCode, body } = (error ?? {}) as DynaliteError;
  return statusCode && body ? DynamoServiceError.fromWire(statusCode, body) : error;
}
