/**
 * A lot as the expiry pass finds it: its `LOTEXPIRY` index item, and the lot read with what decides
 * how much of it is left (the balance, the credits after it: FIFO, functions/loyalty/entries.ts).
 */
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { balanceKey } from "../loyalty/ledger.ts";
import { entryKey, ENTRY_PREFIX, EXPIRY_PARTITION, ledgerEntry, lotRemaining } from "../loyalty/entries.ts";

/** An item of the `LOTEXPIRY` index (one per lot with an expiry). */
export const indexItem = z.object({
  pk: z.literal(EXPIRY_PARTITION),
  sk: z.string(),
  customerId: z.string(),
  lotKey: z.string(),
  expiresAt: z.number().int(),
  points: z.number().int(),
  stripeCustomerId: z.string().optional(),
  warnedAt: z.number().int().optional(),
});
export type IndexItem = z.infer<typeof indexItem>;

/** The lot, the balance and the credits after the lot, read together (each strongly consistent). */
export async function readLot(item: IndexItem, deps: { readonly client: DynamoDBDocumentClient; readonly tableName: string }) {
  const { client, tableName: TableName } = deps;
  const { Item: lotItem } = await client.send(new GetCommand({ TableName, Key: entryKey(item.customerId, item.lotKey), ConsistentRead: true }));
  const lot = lotItem ? ledgerEntry.parse(lotItem) : undefined;
  const { Item: balance } = await client.send(new GetCommand({ TableName, Key: balanceKey(item.customerId), ConsistentRead: true }));
  let laterCredits = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :lot AND :end",
        ExpressionAttributeValues: { ":pk": entryKey(item.customerId, "").pk, ":lot": item.lotKey, ":end": `${ENTRY_PREFIX}~` },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    start = page.LastEvaluatedKey;
    for (const entry of page.Items ?? []) {
      if (entry.sk !== item.lotKey && entry.lot === true && typeof entry.delta === "number" && entry.delta > 0) laterCredits += entry.delta;
    }
  } while (start);
  const points = typeof balance?.points === "number" ? balance.points : 0;
  const earned = typeof balance?.earned === "number" ? balance.earned : undefined;
  return { lot, points, earned, remaining: lot ? lotRemaining(points, lot.delta, laterCredits) : 0 };
}
