/**
 * The engine's in-memory mirror of dynalite's store (see {@link mirror}): point reads from memory,
 * lazy writes to memory-level, and on LevelDB the writes of a transaction held back to be written
 * as one batch.
 */

export type LevelCallback = (error: Error | null, value?: unknown) => void;

/** The LevelDB (or memory-level) database every table's items live in, `valueEncoding: json`. */
export interface LevelDatabase {
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

/** Writes held back by `Engine.capture`; exactly one of its methods is called, once. */
export interface WriteCapture {
  /** Writes what was held back in one LevelDB batch; resolves once LevelDB has it. */
  commit(): Promise<void>;
  /** Drops what was held back: the items read again as they were before the capture. */
  discard(): void;
}

/**
 * Serves point reads from memory: every value is kept (as its JSON text) in a map loaded at open
 * and written through on every put, delete and batch, so `get` (every item operation reads its item
 * first) costs a `JSON.parse` and a microtask instead of a store lookup answered on a later turn of
 * the event loop (dynalite's callback wrappers answer with `setImmediate`, and under load each turn
 * is long). Range reads (Query, Scan, a table's deletion) stay the store's.
 *
 * `durable` (LevelDB on disk): a write goes to LevelDB and is acknowledged once LevelDB has it, as
 * before (the puts and deletes of one turn of the event loop in one batch). In memory, a write is acknowledged at once (on a microtask) and reaches memory-level
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
 * It returns a synchronous read of the map (`read`) and, on LevelDB, the means to hold back the
 * writes to some keys (`capture`, for `Engine.capture`): a
 * put or delete of a captured key updates the map and is acknowledged at once, and waits for the
 * capture's commit (one batch) or discard (the map gets the held keys' earlier texts back).
 */
export async function mirror(level: LevelDatabase, options: { readonly durable: boolean }): Promise<Mirror> {
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
  /** On LevelDB, the puts and deletes of this turn of the event loop, written together at its end. */
  let group: { operations: { type: "put" | "del"; key: string; value?: string }[]; callbacks: LevelCallback[] } | undefined;
  const writeGroup = (): void => {
    const { operations, callbacks } = group!;
    group = undefined;
    levelBatch(operations, { valueEncoding: "utf8" }).then(
      () => {
        for (const callback of callbacks) callback(null);
      },
      (error: Error) => {
        for (const callback of callbacks) callback(error);
      },
    );
  };
  /**
   * A put or delete on LevelDB, acknowledged once LevelDB has it, as before; but the writes of a
   * turn (the requests that arrived together, each holding its item's lock until acknowledged) go
   * in one batch: one trip to LevelDB's thread instead of one each.
   */
  const grouped = (operation: { type: "put" | "del"; key: string; value?: string }, callback: LevelCallback | undefined): unknown => {
    if (!group) {
      group = { operations: [], callbacks: [] };
      setImmediate(writeGroup);
    }
    group.operations.push(operation);
    if (callback) {
      group.callbacks.push(callback);
      return undefined;
    }
    return new Promise<void>((resolve, reject) => group!.callbacks.push((error) => (error ? reject(error) : resolve())));
  };
  level.put = (key, value, callback) => {
    const text = JSON.stringify(value);
    // Held back before the map changes: the capture keeps what the map held before it.
    const held = captured.size > 0 && hold(key, text, callback);
    record(key, text);
    if (held) return callback ? undefined : Promise.resolve();
    return options.durable ? grouped({ type: "put", key, value: text }, callback) : acknowledge((cb) => put(key, value, cb), callback);
  };
  level.del = (key, callback) => {
    const held = captured.size > 0 && hold(key, undefined, callback);
    record(key, undefined);
    if (held) return callback ? undefined : Promise.resolve();
    return options.durable ? grouped({ type: "del", key }, callback) : acknowledge((cb) => del(key, cb), callback);
  };
  level.batch = (operations, callback) => {
    for (const operation of operations) record(operation.key, operation.type === "put" ? JSON.stringify(operation.value) : undefined);
    return acknowledge((cb) => batch(operations, cb), callback);
  };
  const read = (key: string): string | undefined => values.get(key);
  if (options.durable) {
    const capture = (keys: readonly string[]): WriteCapture => {
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
    return { read, capture };
  }

  for (const method of ["iterator", "keys", "values", "getMany", "clear"] as const) {
    const original = (level[method] as (...args: unknown[]) => unknown).bind(level);
    (level as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      flush();
      return original(...args);
    };
  }
  return { read };
}

/** What {@link mirror} gives the engine. */
export interface Mirror {
  /** The JSON text of the value under `key` now (undefined: none), as every read of the store sees it. */
  read(key: string): string | undefined;
  /** Holds the writes to `keys` back (LevelDB only), see `Engine.capture`. */
  readonly capture?: (keys: readonly string[]) => WriteCapture;
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
export function soon(work: () => void): void {
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
