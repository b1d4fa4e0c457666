/**
 * The loyalty API's reads and writes on the `loyalty` table, in the consumer's key layout
 * (functions/loyalty/ledger.ts for balances, functions/loyalty/entries.ts for ledger entries and
 * lots). Every debit or credit is one `TransactWriteItems`: the balance update (whose condition
 * keeps it at or above zero), the ledger entry, the request's guard and the change's domain event
 * (the outbox, functions/loyalty/outbox.ts) commit together or not at all.
 */
import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { balanceKey, balanceRecord, type BalanceRecord } from "../loyalty/ledger.ts";
import { customerPartition, ENTRY_PREFIX, entryItems, ledgerEntry, type LedgerEntry } from "../loyalty/entries.ts";
import { outboxPut, type OutboxItem } from "../loyalty/outbox.ts";
import { InsufficientPointsError, LoyaltyRequestError, LoyaltyValidationError, UnknownLoyaltyCustomerError } from "./errors.ts";

/**
 * Sort key prefix of the request guards: `CUSTOMER#<id>` / `ONCE#<sha-256 of the Idempotency-Key>`
 * for redemptions, `ONCE#adjust#<sha-256>` for adjustments.
 */
export const ONCE_PREFIX = "ONCE#";

/** A page of the ledger, newest first; `nextCursor` is absent on the last page. */
export interface LedgerPage {
  readonly entries: readonly LedgerEntry[];
  readonly nextCursor?: string;
}

/** A debit or credit to write: the entry's fields besides customer, delta and time. */
export type BalanceChange = Omit<LedgerEntry, "customerId" | "delta" | "at">;

export interface ChangeOptions {
  /**
   * The request's idempotency key, hashed (and namespaced): a guard item commits with the change,
   * so the same key never changes the balance twice, even after Powertools' record is gone, and
   * answers with the first entry.
   */
  readonly once?: string;
  /** The domain event announcing the change, written to the outbox in the same transaction. */
  readonly announce?: (entry: LedgerEntry) => OutboxItem;
}

/** A change as committed: its entry, and the outbox item written with it (none when a guard answered with an earlier change). */
export interface Committed {
  readonly entry: LedgerEntry;
  readonly outboxed: OutboxItem | undefined;
}

export interface LoyaltyAccounts {
  balance(customerId: string): Promise<BalanceRecord | undefined>;
  ledger(customerId: string, limit: number, cursor: string | undefined): Promise<LedgerPage>;
  /** Takes `points` (> 0) if the balance covers them; the entry is written in the same transaction. */
  debit(customerId: string, points: number, change: BalanceChange, options?: ChangeOptions): Promise<Committed>;
  /** Adds `points` (> 0) as a lot (expiring after `expirySeconds` unless null). */
  credit(customerId: string, points: number, change: BalanceChange, expirySeconds: number | null, options?: ChangeOptions): Promise<Committed>;
}

export interface AccountsOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now?: () => number;
  /** Attempts when DynamoDB reports a transaction conflict (another transaction on the balance). */
  readonly maxAttempts?: number;
}

const cancellationCodes = (error: unknown): (string | undefined)[] | undefined => {
  const e = error as { name?: string; CancellationReasons?: { Code?: string }[] };
  return e?.name === "TransactionCanceledException" ? (e.CancellationReasons ?? []).map((r) => r.Code) : undefined;
};

/** The cursor is the last key of a page, opaque to clients (base64url JSON of the sort key). */
function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify({ sk: key.sk }), "utf8").toString("base64url") : undefined;
}

function decodeCursor(customerId: string, cursor: string): Record<string, string> {
  try {
    const { sk } = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { sk?: unknown };
    if (typeof sk === "string" && sk.startsWith(ENTRY_PREFIX)) return { pk: customerPartition(customerId), sk };
  } catch {
    // Reported below: a cursor is only ever one this API returned.
  }
  throw new LoyaltyValidationError("cursor", "not a cursor this API returned (pass nextCursor unchanged)");
}

/** {@link LoyaltyAccounts} on the loyalty table. */
export function dynamoLoyaltyAccounts(options: AccountsOptions): LoyaltyAccounts {
  const { client, tableName: TableName } = options;
  const now = options.now ?? Date.now;
  const maxAttempts = options.maxAttempts ?? 8;

  const balance = async (customerId: string): Promise<BalanceRecord | undefined> => {
    const { Item } = await client.send(new GetCommand({ TableName, Key: balanceKey(customerId), ConsistentRead: true }));
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, ...fields } = Item;
    return balanceRecord.parse(fields);
  };

  /** Commits the balance update with the entry; a failed balance condition is answered by re-reading it. */
  const change = async (
    customerId: string,
    delta: number,
    entry: LedgerEntry,
    balanceUpdate: { expression: string; condition: string; values: Record<string, unknown> },
    { once, announce }: ChangeOptions = {},
  ): Promise<Committed> => {
    const guardKey = once === undefined ? undefined : { pk: customerPartition(customerId), sk: `${ONCE_PREFIX}${once}` };
    const outboxed = announce?.(entry);
    for (let attempt = 1; ; attempt++) {
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName,
                  Key: balanceKey(customerId),
                  UpdateExpression: balanceUpdate.expression,
                  ConditionExpression: balanceUpdate.condition,
                  ExpressionAttributeValues: balanceUpdate.values,
                },
              },
              ...entryItems(entry, TableName),
              ...(outboxed ? [outboxPut(outboxed, TableName)] : []),
              // Last: its cancellation reason is the last one.
              ...(guardKey ? [{ Put: { TableName, Item: { ...guardKey, entry }, ConditionExpression: "attribute_not_exists(pk)" } }] : []),
            ],
          }),
        );
        return { entry, outboxed };
      } catch (error) {
        const codes = cancellationCodes(error);
        if (guardKey && codes?.at(-1) === "ConditionalCheckFailed") {
          // This key already changed the balance: answer with that change (or refuse a different one).
          const { Item } = await client.send(new GetCommand({ TableName, Key: guardKey, ConsistentRead: true }));
          const first = ledgerEntry.parse(Item?.entry);
          if (first.delta !== entry.delta || first.reference !== entry.reference || first.reason !== entry.reason || first.actor !== entry.actor) {
            throw new LoyaltyRequestError(`this Idempotency-Key was used for another ${entry.kind === "adjust" ? "adjustment" : "redemption"} of this customer: use a new key per request`, 422, "IdempotencyKeyReused");
          }
          return { entry: first, outboxed: undefined };
        }
        if (codes?.[0] === "ConditionalCheckFailed") {
          const current = await balance(customerId);
          if (!current) throw new UnknownLoyaltyCustomerError(customerId);
          if (delta < 0 && current.points < -delta) throw new InsufficientPointsError(customerId, -delta, current.points);
          // The balance covered it by the time we looked (a credit landed): try again.
        } else {
          const conflict = (error as { name?: string }).name === "TransactionConflictException" || codes?.includes("TransactionConflict");
          if (!conflict) throw error;
        }
        if (attempt >= maxAttempts) throw error;
        // Full jitter: writers contending for one balance spread out.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(500, 10 * 2 ** attempt)));
      }
    }
  };

  return {
    balance,

    async ledger(customerId, limit, cursor) {
      const { Items = [], LastEvaluatedKey } = await client.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
          ExpressionAttributeValues: { ":pk": customerPartition(customerId), ":prefix": ENTRY_PREFIX },
          ScanIndexForward: false,
          Limit: limit,
          ...(cursor ? { ExclusiveStartKey: decodeCursor(customerId, cursor) } : {}),
        }),
      );
      const entries = Items.map(({ pk: _pk, sk: _sk, ...fields }) => ledgerEntry.parse(fields));
      const nextCursor = encodeCursor(LastEvaluatedKey);
      return nextCursor ? { entries, nextCursor } : { entries };
    },

    async debit(customerId, points, fields, options) {
      const entry: LedgerEntry = { ...fields, customerId, delta: -points, at: now() };
      return change(
        customerId,
        -points,
        entry,
        {
          expression: "ADD points :minus",
          // The floor, checked at commit: concurrent debits can never take the balance below zero.
          condition: "attribute_exists(pk) AND points >= :points",
          values: { ":minus": -points, ":points": points },
        },
        options,
      );
    },

    async credit(customerId, points, fields, expirySeconds, options) {
      const at = now();
      const entry: LedgerEntry = { ...fields, customerId, delta: points, at, lot: true, ...(expirySeconds === null ? {} : { expiresAt: at + expirySeconds * 1000 }) };
      const update = {
        // A credit is a lot: `earned` moves with it (entries.ts, FIFO expiry).
        expression: "ADD points :points, earned :points",
        condition: "attribute_exists(pk)",
        values: { ":points": points },
      };
      return change(customerId, points, entry, update, options);
    },
  };
}
