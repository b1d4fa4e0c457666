/**
 * Creates the tables declared in `functions/common/tables.ts`, the way the SST stacks do
 * (on-demand billing, TTL where declared), idempotently: with a persisted data directory the
 * tables are there already after a restart, and that is fine.
 */
import type { TableDeclaration } from "../../functions/common/tables.ts";
import { DynamoServiceError, hasErrorCode, type JsonObject } from "./errors.ts";
import type { TableDescription } from "./schemas.ts";

/** Calls an operation on the local endpoint (locks and TTL included, fault injection excluded). */
export type Call = (operation: string, body: JsonObject) => Promise<JsonObject>;

/** An existing table's key schema differs from its declaration: reusing it would misbehave later. */
export class TableSchemaMismatchError extends DynamoServiceError {
  override name = "TableSchemaMismatchError";

  constructor(tableName: string, detail: string) {
    super("ValidationException", `Table ${tableName} exists with a different ${detail} than declared`);
  }
}

/**
 * Creates every declared table that does not exist yet and enables its TTL.
 * @returns logical name -> physical name (`<prefix>-<logical name>`), e.g. `{ loyalty: "paybus-loyalty" }`.
 * @throws TableSchemaMismatchError when an existing table's key schema or TTL attribute differs.
 */
export async function createTables<Name extends string>(
  declarations: Readonly<Record<Name, TableDeclaration>>,
  prefix: string,
  call: Call,
): Promise<Record<Name, string>> {
  const names = {} as Record<Name, string>;
  for (const logicalName of Object.keys(declarations) as Name[]) {
    const tableName = `${prefix}-${logicalName}`;
    await ensureTable(tableName, declarations[logicalName], call);
    names[logicalName] = tableName;
  }
  return names;
}

async function ensureTable(tableName: string, declaration: TableDeclaration, call: Call): Promise<void> {
  const definition = createTableRequest(tableName, declaration);
  try {
    await call("CreateTable", definition);
  } catch (error) {
    if (!hasErrorCode(error, "ResourceInUseException")) throw error;
  }
  const table = await waitUntilActive(tableName, call);
  if (keySchemaOf(table) !== keySchemaOf(definition)) throw new TableSchemaMismatchError(tableName, "key schema");
  if (declaration.ttlAttribute) await enableTimeToLive(tableName, declaration.ttlAttribute, call);
}

type KeySchema = Pick<TableDescription, "KeySchema" | "AttributeDefinitions">;

function createTableRequest(tableName: string, declaration: TableDeclaration): KeySchema & JsonObject {
  const keys = [declaration.partitionKey, ...(declaration.sortKey ? [declaration.sortKey] : [])];
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    KeySchema: keys.map((key, i) => ({ AttributeName: key.name, KeyType: i === 0 ? "HASH" : "RANGE" })),
    AttributeDefinitions: keys.map((key) => ({ AttributeName: key.name, AttributeType: key.type })),
  };
}

/** Key attributes with their roles and types, comparable as a string. */
function keySchemaOf(table: KeySchema): string {
  const types = new Map(table.AttributeDefinitions.map((definition) => [definition.AttributeName, definition.AttributeType]));
  return table.KeySchema.map((key) => `${key.KeyType}:${key.AttributeName}:${types.get(key.AttributeName)}`).join(",");
}

/** dynalite keeps new tables `CREATING` for a tick even with no configured delay. */
async function waitUntilActive(tableName: string, call: Call): Promise<TableDescription> {
  for (;;) {
    const { Table } = (await call("DescribeTable", { TableName: tableName })) as { Table: TableDescription };
    if (Table.TableStatus === "ACTIVE") return Table;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function enableTimeToLive(tableName: string, attribute: string, call: Call): Promise<void> {
  const { TimeToLiveDescription } = (await call("DescribeTimeToLive", { TableName: tableName })) as {
    TimeToLiveDescription: { TimeToLiveStatus: string; AttributeName?: string };
  };
  if (TimeToLiveDescription.TimeToLiveStatus === "DISABLED") {
    await call("UpdateTimeToLive", { TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: attribute } });
  } else if (TimeToLiveDescription.AttributeName !== attribute) {
    throw new TableSchemaMismatchError(tableName, "TTL attribute");
  }
}
