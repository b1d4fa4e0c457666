/**
 * The loyalty table's item layout: the public surface other readers (the local run report, the
 * dashboard, benchmarks) may rely on without importing the ledger's internals.
 *
 * - `PURCHASE#<purchaseId>` / `PURCHASE` — a purchase's ledger entry ({@link purchaseRecord}).
 * - `CUSTOMER#<customerId>` / `BALANCE` — a customer's balance ({@link balanceRecord}).
 */
import * as z from "zod";
import { TIER_NAMES } from "./points.ts";

// The ledger entries' layout (entries.ts) is read outside the consumer too (the dashboard's ledger).
export { ENTRY_PREFIX, ledgerEntry, type LedgerEntry } from "./entries.ts";

const tier = z.enum(TIER_NAMES);

/** A purchase's ledger entry as stored. */
export const purchaseRecord = z.object({
  purchaseId: z.string(),
  status: z.enum(["awarded", "pending", "skipped"]),
  version: z.number().int().positive(),
  customerId: z.string().optional(),
  stripeCustomerId: z.string().nullable().optional(),
  amount: z.number().int().optional(),
  currency: z.string().optional(),
  premium: z.boolean().optional(),
  basePoints: z.number().int().optional(),
  premiumMultiplier: z.number().int().optional(),
  promotion: z.object({ name: z.string(), multiplier: z.number().int() }).nullable().optional(),
  /** Points awarded (gross, before reversals). */
  points: z.number().int().nonnegative().optional(),
  occurredAt: z.number().int().optional(),
  /** The Stripe event that credited (or skipped) the purchase. */
  sourceEvent: z.object({ eventId: z.string(), eventType: z.string() }).optional(),
  refundedAmount: z.number().int().nonnegative(),
  refundBasis: z.number().int().nonnegative(),
  chargedBack: z.boolean(),
  /** The chargeback's dispute was won (absent on entries written before disputes could be won). */
  disputeWon: z.boolean().optional(),
  /** An invoice payment said this is a subscription payment, which does not accrue (absent: no). */
  subscriptionPayment: z.boolean().optional(),
  /** Points taken back so far: always the reversal target of the stored state once awarded. */
  reversedPoints: z.number().int().nonnegative(),
  /** Reversed points the balance could not cover (it never goes below zero). */
  unrecoveredPoints: z.number().int().nonnegative().optional(),
  reversalEvents: z.set(z.string()).optional(),
  skipReason: z.string().optional(),
  skipDetail: z.string().optional(),
  promotedFrom: tier.optional(),
  promotedTo: tier.optional(),
  engagementExecution: z.string().optional(),
  /** When the award transaction was sent (epoch ms): `PointsCommitDelay` is this minus the event's `created`. */
  committedAt: z.number().int().optional(),
  /** Domain events already on the bus (`publish.ts`): the award (and its promotion), reversals up to this total. */
  publishedAward: z.boolean().optional(),
  publishedReversedPoints: z.number().int().nonnegative().optional(),
});
export type PurchaseRecord = z.infer<typeof purchaseRecord>;
/** An awarded purchase: the fields the award wrote are present. */
export type AwardedPurchase = PurchaseRecord &
  Required<Pick<PurchaseRecord, "customerId" | "points" | "amount" | "currency" | "occurredAt">> & { status: "awarded" };

export const balanceRecord = z.object({
  customerId: z.string(),
  points: z.number().int().nonnegative(),
  lifetimePoints: z.number().int().nonnegative(),
  tier,
  purchases: z.number().int().nonnegative(),
  // The stored item also has `earned` (every point ever credited, entries.ts), which only the
  // expiry job reads: it is left out of the record so that balances compare as before.
});
export type BalanceRecord = z.infer<typeof balanceRecord>;


/** Sort key of a purchase's ledger entry. */
export const PURCHASE_SK = "PURCHASE";
/** Sort key of a customer's balance. */
export const BALANCE_SK = "BALANCE";

export const purchaseKey = (purchaseId: string) => ({ pk: `PURCHASE#${purchaseId}`, sk: PURCHASE_SK });
export const balanceKey = (customerId: string) => ({ pk: `CUSTOMER#${customerId}`, sk: BALANCE_SK });
