/**
 * Table descriptions, cached: transactions need each table's key schema to find an item's key, to
 * spot two operations on one item and to validate items exactly as the engine will.
 */
import type { JsonObject } from "./errors.ts";

/** An item or key as it travels on the wire: attribute name -> `{ "S": "..." }`-style value. */
export type WireItem = Record<string, JsonObject>;

/** The parts of `DescribeTable`'s `Table` that item validation reads. */
export interface TableDescription {
  readonly TableName: string;
  readonly TableStatus: string;
  readonly KeySchema: readonly { readonly AttributeName: string; readonly KeyType: "HASH" | "RANGE" }[];
  readonly AttributeDefinitions: readonly { readonly AttributeName: string; readonly AttributeType: string }[];
  /** Present when the table has such indexes (their entries are written alongside the items). */
  readonly GlobalSecondaryIndexes?: readonly unknown[];
  readonly LocalSecondaryIndexes?: readonly unknown[];
}

/** Looks tables up through `describe` (dynalite's `DescribeTable`) and caches active ones. */
export class TableSchemas {
  readonly #cache = new Map<string, TableDescription>();

  constructor(private readonly describe: (tableName: string) => Promise<TableDescription>) {}

  /** The table's description; rejects with `ResourceNotFoundException` when it does not exist. */
  async get(tableName: string): Promise<TableDescription> {
    const cached = this.#cache.get(tableName);
    if (cached) return cached;
    const table = await this.describe(tableName);
    // A table still being created may yet change; only settled descriptions are worth keeping.
    if (table.TableStatus === "ACTIVE") this.#cache.set(tableName, table);
    return table;
  }

  /** The table's description if it is cached (active and looked up before), without waiting a turn. */
  cached(tableName: string): TableDescription | undefined {
    return this.#cache.get(tableName);
  }

  /** Drops a table after it was deleted or changed. */
  forget(tableName: string): void {
    this.#cache.delete(tableName);
  }
}

/** The key attributes of `item` (which must hold them). */
export function keyOf(item: WireItem, table: TableDescription): WireItem {
  const key: WireItem = {};
  for (const { AttributeName } of table.KeySchema) {
    const value = item[AttributeName];
    if (value) key[AttributeName] = value;
  }
  return key;
}
