/**
 * DynamoDB tables, declared once. The SST stacks create them and the local runtime creates the
 * same tables in its DynamoDB engine; functions find the physical name in the environment variable
 * named by `envVar`.
 */

/** The tables paybus declares (`declarations/rules.ts` re-exports this for the access declarations). */
export type TableName = "loyalty" | "notifications" | "profiles" | "idempotency" | "promotions";

export interface KeyAttribute {
  readonly name: string;
  readonly type: "S" | "N";
}

export interface TableDeclaration {
  readonly description: string;
  readonly envVar: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Attribute holding an epoch-seconds expiry, enabled as DynamoDB TTL. */
  readonly ttlAttribute?: string;
}

export const tables = {
  loyalty: {
    description: "Balances, tiers and the points ledger (one item per purchase and per reversal).",
    envVar: "PAYBUS_LOYALTY_TABLE",
    partitionKey: { name: "pk", type: "S" },
    sortKey: { name: "sk", type: "S" },
  },
  notifications: {
    description: "Latest known invoice state and one record per notice sent, per channel.",
    envVar: "PAYBUS_NOTIFICATIONS_TABLE",
    partitionKey: { name: "pk", type: "S" },
    sortKey: { name: "sk", type: "S" },
    ttlAttribute: "expiresAt",
  },
  profiles: {
    description: "Customer profiles: email, name, locale (synced from Stripe) and registered devices; tombstones of deleted customers.",
    envVar: "PAYBUS_PROFILES_TABLE",
    partitionKey: { name: "pk", type: "S" },
  },
  idempotency: {
    description: "Powertools idempotency records of the device API (one per Idempotency-Key, expiring).",
    envVar: "PAYBUS_IDEMPOTENCY_TABLE",
    // Powertools' DynamoDB persistence layer's default key and expiry attributes.
    partitionKey: { name: "id", type: "S" },
    ttlAttribute: "expiration",
  },
  promotions: {
    description: "Loyalty promotion windows (one versioned item holding the whole set), written by the promotions API.",
    envVar: "PAYBUS_PROMOTIONS_TABLE",
    partitionKey: { name: "pk", type: "S" },
  },
} as const satisfies Record<TableName, TableDeclaration>;

/**
 * The physical name of a table, from the function's environment. Only a table the function is
 * granted (its declared `access.tables`) is in its environment, in AWS as locally, so a missing
 * variable nearly always means a missing grant, and the error says so.
 */
export function tableName(table: TableName, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[tables[table].envVar];
  if (!value) {
    throw new Error(
      `${tables[table].envVar} is not set: the ${table} table's name is unknown. A function gets the name of the tables its declaration grants: add \`tables: { ${table}: { actions: [...] } }\` to its \`access\` (declarations/rules.ts or workflows/index.ts)`,
    );
  }
  return value;
}
