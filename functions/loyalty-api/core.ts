/**
 * The loyalty API's operations, free of HTTP: read a balance and the ledger, redeem points, adjust
 * a balance. Requests are validated with zod; refusals are the named errors of `errors.ts`.
 */
import { createHash } from "node:crypto";
import * as z from "zod";
import type { BalanceRecord } from "../loyalty/ledger.ts";
import { newEntryId, type LedgerEntry } from "../loyalty/entries.ts";
import { LoyaltyValidationError, UnknownLoyaltyCustomerError } from "./errors.ts";
import type { LedgerPage, LoyaltyAccounts } from "./store.ts";

/** The largest points figure one request may move (far above any real programme, far below 2^53). */
export const MAX_POINTS = 1_000_000_000;

/** Customer ids as the consumer keys them: `metadata.customer_id` or Stripe's `cus_…`. */
export const customerId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, "expected a customer id (letters, digits, _ . : -; at most 128)");

export const redeemRequest = z
  .object({
    points: z.number().int().positive().max(MAX_POINTS),
    /** The caller's own reference (an order id), kept on the ledger entry. */
    reference: z.string().min(1).max(200).optional(),
  })
  .strict();
export type RedeemRequest = z.infer<typeof redeemRequest>;

export const adjustRequest = z
  .object({
    /** Signed: positive credits a new lot, negative debits (never below zero). */
    points: z
      .number()
      .int()
      .min(-MAX_POINTS)
      .max(MAX_POINTS)
      .refine((points) => points !== 0, "an adjustment of 0 points changes nothing"),
    reason: z.string().trim().min(1).max(500),
    /** Who made the adjustment (an operator's id or email), for the audit trail. */
    actor: z.string().trim().min(1).max(200),
  })
  .strict();
export type AdjustRequest = z.infer<typeof adjustRequest>;

export const ledgerQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().min(1).max(2048).optional(),
});

/** Parses `value` with `schema`, or throws a 400 naming the first offending field. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, base = ""): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [base, ...issue.path.map(String)].filter(Boolean).join(".") || "(body)";
  throw new LoyaltyValidationError(path, issue.message);
}

export interface LoyaltyApiDependencies {
  readonly accounts: LoyaltyAccounts;
  /** Lot lifetime for positive adjustments (the programme's expiry), `null` when points never expire. */
  readonly lotExpirySeconds: number | null;
}

/** What the API answers about a customer's standing. */
export type AccountView = Pick<BalanceRecord, "customerId" | "points" | "lifetimePoints" | "tier" | "purchases">;

export async function getAccount(id: string, deps: LoyaltyApiDependencies): Promise<AccountView> {
  const balance = await deps.accounts.balance(parseRequest(customerId, id, "customerId"));
  if (!balance) throw new UnknownLoyaltyCustomerError(id);
  const { customerId: cid, points, lifetimePoints, tier, purchases } = balance;
  return { customerId: cid, points, lifetimePoints, tier, purchases };
}

export async function getLedger(id: string, query: unknown, deps: LoyaltyApiDependencies): Promise<LedgerPage> {
  const cid = parseRequest(customerId, id, "customerId");
  const { limit, cursor } = parseRequest(ledgerQuery, query);
  const page = await deps.accounts.ledger(cid, limit, cursor);
  // An empty first page of a customer with no balance is an unknown customer, not an empty ledger.
  if (page.entries.length === 0 && !cursor && !(await deps.accounts.balance(cid))) throw new UnknownLoyaltyCustomerError(cid);
  return page;
}

/** Redeems points: one `redeem` entry, the balance never below zero (409 with the balance otherwise). */
export async function redeemPoints(id: string, request: RedeemRequest & { idempotencyKey: string }, deps: LoyaltyApiDependencies): Promise<LedgerEntry> {
  const cid = parseRequest(customerId, id, "customerId");
  // The key's hash guards the debit itself (store.ts), beyond Powertools' 24-hour record.
  const once = createHash("sha256").update(request.idempotencyKey).digest("hex");
  return deps.accounts.debit(cid, request.points, { entryId: newEntryId("redeem"), kind: "redeem", ...(request.reference ? { reference: request.reference } : {}) }, once);
}

/**
 * Adjusts a balance by an operator's decision: a positive adjustment is a new lot (it expires like
 * earned points), a negative one a debit that, like a redemption, never takes the balance below
 * zero (409). Lifetime points, and so tiers, are not changed by adjustments.
 */
export async function adjustPoints(id: string, request: AdjustRequest, deps: LoyaltyApiDependencies): Promise<LedgerEntry> {
  const cid = parseRequest(customerId, id, "customerId");
  const fields = { entryId: newEntryId("adjust"), kind: "adjust" as const, reason: request.reason, actor: request.actor };
  return request.points > 0
    ? deps.accounts.credit(cid, request.points, fields, deps.lotExpirySeconds)
    : deps.accounts.debit(cid, -request.points, fields);
}
