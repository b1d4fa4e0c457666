/**
 * The customer's ledger and points lots, shared by the loyalty consumer (accrual, reversal), the
 * loyalty API (redemption, adjustment) and the expiry job: one key layout, one entry shape, so that
 * every change to a balance is written with its entry in the same `TransactWriteItems`.
 *
 * Item layout (loyalty table, pk / sk):
 * - `CUSTOMER#<id>` / `LEDGER#<13-digit ms>#<entryId>`: one entry per change of the balance
 *   (`delta`, signed; `restore` is what a won dispute gave back, a reversal undone). Entries that
 *   credit points (`earn`, a positive `adjust`) are **lots** (`lot: true`): they expire, oldest first.
 * - `LOTEXPIRY` / `<13-digit expiresAt ms>#<customerId>#<entry sk>`: the expiry index, one item
 *   per lot that will expire, removed when it has.
 * - `LOTEXPIRY` / `WARN#<customerId>#<entry sk>`: the expiry warning's send claim (once per lot).
 *
 * **FIFO without touching lots on every debit.** Redemptions, reversals, expiries and negative
 * adjustments consume the oldest points first. Instead of decrementing lots one by one (which
 * would make every redemption contend on the same lot items), the balance alone is kept: under
 * FIFO the points left are always the *newest* credits, so what remains of lot `k` is
 * `clamp(points − credits after k, 0, lot.delta)`. The balance's `earned` counter (every credit
 * ever made) lets the expiry job commit only on the state it computed from.
 */
import { randomUUID } from "node:crypto";
import * as z from "zod";

/** What changed the balance. */
export const ENTRY_KINDS = ["earn", "reverse", "restore", "redeem", "adjust", "expire"] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** One ledger entry as stored (and as the loyalty API returns it). */
export const ledgerEntry = z.object({
  entryId: z.string(),
  customerId: z.string(),
  kind: z.enum(ENTRY_KINDS),
  /** Signed change of the spendable balance. */
  delta: z.number().int(),
  /** Epoch milliseconds of the change. */
  at: z.number().int(),
  /** A credit that expires (oldest first). */
  lot: z.boolean().optional(),
  expiresAt: z.number().int().optional(),
  /** Set once the lot expired (exactly once), with the points it took. */
  expiredAt: z.number().int().optional(),
  expiredPoints: z.number().int().nonnegative().optional(),
  purchaseId: z.string().optional(),
  stripeCustomerId: z.string().nullable().optional(),
  reason: z.string().optional(),
  actor: z.string().optional(),
  reference: z.string().optional(),
  /** For `expire`: the lot's entry sort key. */
  lotKey: z.string().optional(),
});
export type LedgerEntry = z.infer<typeof ledgerEntry>;

export const ENTRY_PREFIX = "LEDGER#";
export const EXPIRY_PARTITION = "LOTEXPIRY";

const pad = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(13, "0");

/** The sort key of an entry: time-ordered, then unique by id. */
export const entrySortKey = (at: number, entryId: string) => `${ENTRY_PREFIX}${pad(at)}#${entryId}`;
export const customerPartition = (customerId: string) => `CUSTOMER#${customerId}`;
export const entryKey = (customerId: string, sk: string) => ({ pk: customerPartition(customerId), sk });
export const expiryIndexKey = (expiresAt: number, customerId: string, lotSk: string) => ({
  pk: EXPIRY_PARTITION,
  sk: `${pad(expiresAt)}#${customerId}#${lotSk}`,
});
export const warningClaimKey = (customerId: string, lotSk: string) => ({ pk: EXPIRY_PARTITION, sk: `WARN#${customerId}#${lotSk}` });
/** Upper bound of the index sort keys due by `at` (digits sort before `WARN#`). */
export const dueBound = (at: number) => `${pad(at)}#~`;

/** A new entry id for a change that has no natural one (redemption, adjustment). */
export const newEntryId = (kind: EntryKind) => `${kind}-${randomUUID()}`;

/** The ledger entry item and, for a lot that expires, its expiry index item. */
export function entryItems(entry: LedgerEntry, tableName: string): { Put: { TableName: string; Item: Record<string, unknown>; ConditionExpression: string } }[] {
  const sk = entrySortKey(entry.at, entry.entryId);
  const items: { Put: { TableName: string; Item: Record<string, unknown>; ConditionExpression: string } }[] = [
    { Put: { TableName: tableName, Item: { ...entryKey(entry.customerId, sk), ...withoutUndefined(entry) }, ConditionExpression: "attribute_not_exists(pk)" } },
  ];
  if (entry.lot && entry.expiresAt !== undefined && entry.delta > 0) {
    items.push({
      Put: {
        TableName: tableName,
        Item: {
          ...expiryIndexKey(entry.expiresAt, entry.customerId, sk),
          customerId: entry.customerId,
          lotKey: sk,
          expiresAt: entry.expiresAt,
          points: entry.delta,
          ...(entry.stripeCustomerId ? { stripeCustomerId: entry.stripeCustomerId } : {}),
        },
        ConditionExpression: "attribute_not_exists(pk)",
      },
    });
  }
  return items;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * What is left of a lot under FIFO: the balance holds the newest credits, so the lot keeps what
 * the credits made after it do not account for.
 */
export function lotRemaining(points: number, lotDelta: number, laterCredits: number): number {
  return Math.max(0, Math.min(lotDelta, points - laterCredits));
}
