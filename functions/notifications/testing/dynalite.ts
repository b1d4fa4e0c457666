/**
 * Test support: dynalite on a random loopback port with paybus tables created from their
 * declarations. Same shape as the local runtime's `startLocalDynamo` (endpoint, close,
 * createTables) so tests can move to it; dynalite is enough here because notifications use no
 * transactions.
 */
import { createRequire } from "node:module";
import type { AddressInfo, Server } from "node:net";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { TableName } from "../../../events/rules.ts";
import { tables } from "../../shared/tables.ts";

// dynalite ships no types; requiring it keeps an ambient `declare module` out of the shared tsconfig.
const dynalite = createRequire(import.meta.url)("dynalite") as (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

/** Credentials and region the SDK needs to sign requests to a local engine. */
export const LOCAL_AWS = { region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } };

export interface LocalDynamo {
  readonly endpoint: string;
  /** A document client on this engine, marshalled like the shared `dynamo()` client. */
  readonly client: DynamoDBDocumentClient;
  /** Creates each table under its own name (`paybus-<name>`) and returns the physical names. */
  createTables(names: readonly TableName[]): Promise<Record<TableName, string>>;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const raw = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  return {
    endpoint,
    client,
    async createTables(names) {
      const created = {} as Record<TableName, string>;
      for (const name of names) {
        const table = tables[name];
        const keys = "sortKey" in table ? [table.partitionKey, table.sortKey] : [table.partitionKey];
        const physical = `paybus-${name}`;
        await raw.send(
          new CreateTableCommand({
            TableName: physical,
            BillingMode: "PAY_PER_REQUEST",
            AttributeDefinitions: keys.map((key) => ({ AttributeName: key.name, AttributeType: key.type })),
            KeySchema: keys.map((key, index) => ({ AttributeName: key.name, KeyType: index === 0 ? "HASH" : "RANGE" })),
          }),
        );
        created[name] = physical;
      }
      return created;
    },
    async close() {
      raw.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
