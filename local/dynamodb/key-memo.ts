/**
 * Memoises dynalite's `createKey` (the engine's storage key of an item: an MD5-derived hash prefix
 * plus the key values, `dynalite/db`), which every item operation computes at least twice (the
 * front's per-item lock and dynalite's action): the hash was the largest single cost of an
 * `UpdateItem` after HTTP. Results are kept per table description object, so a table recreated
 * with another key schema (a new description) never reuses them. Imported for its effect; dynalite
 * is pinned (4.0.0) and `createKey` is one of its internals.
 */
import { createRequire } from "node:module";

type CreateKey = (item: Record<string, unknown>, table: { readonly KeySchema: ReadonlyArray<{ readonly AttributeName: string }> }, keySchema?: unknown) => string;

/** Items per table whose keys are remembered; past it the memo starts over (local tables are small). */
const MAX_KEYS_PER_TABLE = 100_000;

const db = createRequire(import.meta.url)("dynalite/db/index.js") as { createKey: CreateKey & { memoised?: true } };

if (!db.createKey.memoised) {
  const createKey = db.createKey;
  const memos = new WeakMap<object, Map<string, string>>();
  const memoised: CreateKey & { memoised?: true } = (item, table, keySchema) => {
    // Index keys (an explicit key schema) and malformed input take dynalite's own path.
    if (keySchema != null || typeof item !== "object" || item === null) return createKey(item, table, keySchema);
    let id = "";
    for (const { AttributeName } of table.KeySchema) {
      const value = item[AttributeName];
      if (typeof value !== "object" || value === null) return createKey(item, table);
      id += JSON.stringify(value);
    }
    let memo = memos.get(table);
    if (!memo) memos.set(table, (memo = new Map()));
    let key = memo.get(id);
    if (key === undefined) {
      key = createKey(item, table);
      if (memo.size >= MAX_KEYS_PER_TABLE) memo.clear();
      memo.set(id, key);
    }
    return key;
  };
  memoised.memoised = true;
  db.createKey = memoised;
}
