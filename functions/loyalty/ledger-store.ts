/**
 * What every ledger write shares: the table it works on, reading and validating stored items, what
 * a cancelled transaction says about them, and the optimistic retry loop. The writes themselves
 * live in `ledger-award.ts`, `ledger-reversal.ts` and `ledger.ts`.
 */
import { GetCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { PoisonRecordError, RetryableError } from "../common/errors.ts";
import { isConflict, isContention, type CancellationReason } from "./conditions.ts";
import { balanceKey, balanceRecord, purchaseKey, purchaseRecord, type AwardedPurchase, type BalanceRecord, type PurchaseRecord } from "./layout.ts";
import { NO_REVERSAL, type ReversalState } from "./points.ts";

/** A stored item that does not match the layout: a bug or a manual edit, which no retry can fix. */
export class CorruptLedgerItemError extends PoisonRecordError {
  override name = "CorruptLedgerItemError";
}

/** The table a ledger writes and the settings its writes follow (resolved `LedgerOptions`). */
export interface LedgerTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Optimistic attempts before giving up with a RetryableError. */
  readonly maxAttempts: number;
  /** How long a lot of points lives; `null`: points never expire. */
  readonly lotExpirySeconds: number | null;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

/** An item as last seen: its value (undefined: it does not exist), or unknown until read. */
export type Known<T> = { readonly known: true; readonly value: T | undefined } | { readonly known: false };

/** The stored fields of an item, validated against its layout; a mismatch is a {@link CorruptLedgerItemError}. */
export function parseItem<S extends z.ZodType>(schema: S, item: Record<string, unknown>, what: string): z.infer<S> {
  const { pk: _pk, sk: _sk, ...fields } = item;
  const result = schema.safeParse(fields);
  if (!result.success) {
    throw new CorruptLedgerItemError(`stored ${what} is invalid: ${result.error.issues[0]?.path.join(".")}: ${result.error.issues[0]?.message}`);
  }
  return result.data;
}

/** A purchase's ledger entry, read consistently; undefined when there is none. */
export async function readPurchase(table: LedgerTable, purchaseId: string): Promise<PurchaseRecord | undefined> {
  const { Item } = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: purchaseKey(purchaseId), ConsistentRead: true }),
  );
  return Item ? parseItem(purchaseRecord, Item, `purchase ${purchaseId}`) : undefined;
}

/** A customer's stored balance, read consistently; undefined for a customer never credited. */
export async function readBalance(table: LedgerTable, customerId: string): Promise<BalanceRecord | undefined> {
  const { Item } = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: balanceKey(customerId), ConsistentRead: true }),
  );
  return Item ? parseItem(balanceRecord, Item, `balance of ${customerId}`) : undefined;
}

/**
 * What a cancelled transaction tells of one of its items: unchanged when its own condition held
 * (`None`), the item it failed on when the answer carries it; otherwise unknown (read it again).
 * A failed condition without the item means the engine did not return it (or the item does not
 * exist): the read settles which.
 */
export function learned<S extends z.ZodType>(reason: CancellationReason | undefined, before: Known<z.infer<S>>, schema: S, what: string): Known<z.infer<S>> {
  if (reason?.code === "None") return before;
  if (reason?.code === "ConditionalCheckFailed" && reason.item) return { known: true, value: parseItem(schema, reason.item, what) };
  return { known: false };
}

/**
 * Runs a read-then-conditional-write step until its conditions hold. A failed condition means
 * another delivery or a concurrent change got there first: re-reading settles it. After
 * `maxAttempts` it gives up with a RetryableError (SQS redelivers later).
 */
export async function optimistically<T>(maxAttempts: number, what: string, step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!isContention(error)) throw error;
      if (attempt >= maxAttempts) {
        throw new RetryableError(`${what}: still contended after ${attempt} attempts`, { cause: error });
      }
      // A failed condition is settled by re-reading at once; repeated failures and conflicts
      // back off with full jitter, so that writers contending for one balance spread out.
      if (attempt >= 3 || isConflict(error)) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(1000, 10 * 2 ** attempt)));
      }
    }
  }
}

/** The reversal state a purchase's entry holds (none for a purchase not yet seen). */
export function reversalStateOf(record: PurchaseRecord | undefined): ReversalState {
  if (!record) return NO_REVERSAL;
  return {
    refundedAmount: record.refundedAmount,
    refundBasis: record.refundBasis,
    chargedBack: record.chargedBack,
    disputeWon: record.disputeWon ?? false,
    subscriptionPayment: record.subscriptionPayment ?? false,
  };
}

/** Whether the entry is a credited purchase (not a placeholder or a skip). */
export function isAwarded(record: PurchaseRecord | undefined): record is AwardedPurchase {
  return record?.status === "awarded";
}
