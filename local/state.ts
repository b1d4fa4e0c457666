/**
 * Read models over the local engines for reports, the CLI and the dashboard: loyalty balances and
 * the ledger behind them, read with the real SDK from the local DynamoDB.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, paginateScan } from "@aws-sdk/lib-dynamodb";
import { balanceRecord, purchaseRecord, type BalanceRecord, type PurchaseRecord } from "../functions/loyalty/ledger.ts";
import type { Runtime } from "./runtime.ts";

export interface LoyaltySnapshot {
  readonly customers: BalanceRecord[];
  readonly purchases: PurchaseRecord[];
}

/** A document client for the runtime's DynamoDB, for readers that poll it. */
export function localDynamoClient(runtime: Runtime): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: runtime.endpoints.dynamodb, region: runtime.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } }),
  );
}

/** Every balance and ledger entry in the loyalty table, read with `reader` or a client of its own. */
export async function loyaltySnapshot(runtime: Runtime, reader?: DynamoDBDocumentClient): Promise<LoyaltySnapshot> {
  const client = reader ?? localDynamoClient(runtime);
  const customers: BalanceRecord[] = [];
  const purchases: PurchaseRecord[] = [];
  try {
    for await (const page of paginateScan({ client }, { TableName: runtime.tableNames.loyalty })) {
      for (const item of page.Items ?? []) {
        if (item.sk === "BALANCE") customers.push(balanceRecord.parse(item));
        else if (item.sk === "PURCHASE") purchases.push(purchaseRecord.parse(item));
      }
    }
  } finally {
    if (!reader) client.destroy();
  }
  customers.sort((a, b) => a.customerId.localeCompare(b.customerId));
  return { customers, purchases };
}
