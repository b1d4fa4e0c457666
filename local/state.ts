/**
 * Read models over the local engines for reports, the CLI and the dashboard: loyalty balances and
 * the ledger behind them, read with the real SDK from the local DynamoDB.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, paginateScan } from "@aws-sdk/lib-dynamodb";
import {
  BALANCE_SK,
  balanceRecord,
  ENTRY_PREFIX,
  ledgerEntry,
  PURCHASE_SK,
  purchaseRecord,
  type BalanceRecord,
  type LedgerEntry,
  type PurchaseRecord,
} from "../functions/loyalty/layout.ts";
import { adminClient } from "./admin-client.ts";
import type { Runtime } from "./runtime.ts";

export interface LoyaltySnapshot {
  readonly customers: BalanceRecord[];
  readonly purchases: PurchaseRecord[];
  /** Every ledger entry (each change of a balance: earn, reverse, restore, redeem, adjust, expire), when asked for. */
  readonly entries?: LedgerEntry[];
}

/** A document client for the runtime's DynamoDB, for readers that poll it. */
export function localDynamoClient(runtime: Runtime): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(adminClient(DynamoDBClient, runtime.endpoints.dynamodb, runtime.region));
}

/**
 * Every balance and purchase in the loyalty table, read with `reader` or a client of its own; with
 * `entries`, every ledger entry too (the dashboard's; reports and backtests compare without them).
 */
export async function loyaltySnapshot(runtime: Runtime, reader?: DynamoDBDocumentClient, options: { entries?: boolean } = {}): Promise<LoyaltySnapshot> {
  const client = reader ?? localDynamoClient(runtime);
  const customers: BalanceRecord[] = [];
  const purchases: PurchaseRecord[] = [];
  const entries: LedgerEntry[] = [];
  try {
    for await (const page of paginateScan({ client }, { TableName: runtime.tableNames.loyalty })) {
      for (const item of page.Items ?? []) {
        if (item.sk === BALANCE_SK) customers.push(balanceRecord.parse(item));
        else if (item.sk === PURCHASE_SK) purchases.push(purchaseRecord.parse(item));
        else if (options.entries && typeof item.sk === "string" && item.sk.startsWith(ENTRY_PREFIX)) entries.push(ledgerEntry.parse(item));
      }
    }
  } finally {
    if (!reader) client.destroy();
  }
  customers.sort((a, b) => a.customerId.localeCompare(b.customerId));
  return options.entries ? { customers, purchases, entries } : { customers, purchases };
}

/** A profile as the run report and the CLI show it. */
export interface ProfileRow {
  readonly customerId: string;
  readonly email?: string;
  readonly name?: string;
  readonly locale?: string;
  readonly account?: string;
  /** Erased after Stripe's `customer.deleted`: a tombstone without personal data. */
  readonly deleted: boolean;
  readonly devices: number;
}

/** A registered device as the run report shows it (the token stays out). */
export interface DeviceRow {
  readonly customerId: string;
  readonly deviceId: string;
  readonly platform: string;
  readonly endpointArn: string;
  /** Whether the local SNS still has the endpoint. */
  readonly endpointExists: boolean;
}

/** Every profile and registered device in the profiles table. */
export async function profilesSnapshot(runtime: Runtime, reader?: DynamoDBDocumentClient): Promise<{ profiles: ProfileRow[]; devices: DeviceRow[] }> {
  const client = reader ?? localDynamoClient(runtime);
  const profiles: ProfileRow[] = [];
  const devices: DeviceRow[] = [];
  try {
    for await (const page of paginateScan({ client }, { TableName: runtime.tableNames.profiles })) {
      for (const item of page.Items ?? []) {
        const registered = Object.entries((item.devices ?? {}) as Record<string, { platform: string; endpointArn: string }>);
        const endpoints = new Set<string>([...((item.pushEndpoints as string[] | undefined) ?? []), ...registered.map(([, d]) => d.endpointArn)]);
        profiles.push({
          customerId: String(item.pk),
          ...(item.email ? { email: String(item.email) } : {}),
          ...(item.name ? { name: String(item.name) } : {}),
          ...(item.locale ? { locale: String(item.locale) } : {}),
          ...(item.account ? { account: String(item.account) } : {}),
          deleted: item.deleted === true,
          devices: endpoints.size,
        });
        for (const [deviceId, device] of registered) {
          devices.push({ customerId: String(item.pk), deviceId, platform: device.platform, endpointArn: device.endpointArn, endpointExists: runtime.sns.hasEndpoint(device.endpointArn) });
        }
      }
    }
  } finally {
    if (!reader) client.destroy();
  }
  profiles.sort((a, b) => a.customerId.localeCompare(b.customerId));
  return { profiles, devices };
}
