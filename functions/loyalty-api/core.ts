/**
 * The loyalty API's operations, free of HTTP: read a balance and the ledger, redeem points, adjust
 * a balance. Requests are validated with zod; refusals are the named errors of `errors.ts`.
 */
import { createHash } from "node:crypto";
import * as z from "zod";
import { loyaltyEventId } from "../../events/loyalty-events.ts";
import type { BalanceRecord } from "../loyalty/ledger.ts";
import { newEntryId, type LedgerEntry } from "../loyalty/entries.ts";
import { outboxItemOf, type OutboxItem } from "../loyalty/outbox.ts";
import { LoyaltyValidationError, UnknownLoyaltyCustomerError } from "./errors.ts";
import type { Committed, LedgerPage, LoyaltyAccounts } from "./store.ts";

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
  /**
   * Puts a committed change's outbox item on the bus and removes it. It must not throw: the change
   * is committed whatever happens to its event, and an item left behind is published by the drain
   * (`functions/loyalty/outbox.ts`).
   */
  readonly publish: (item: OutboxItem) => Promise<void>;
  /** Wall clock (epoch ms) of the outbox items. */
  readonly now?: () => number;
}

/** Publishes the event of a change this request committed (none when a guard answered with an earlier one). */
async function announced(committed: Committed, deps: LoyaltyApiDependencies): Promise<LedgerEntry> {
  if (committed.outboxed) await deps.publish(committed.outboxed);
  return committed.entry;
}

/** A hashed idempotency key, namespaced per operation: the same key for a redemption and an adjustment is two requests. */
const guardOf = (operation: "redeem" | "adjust", idempotencyKey: string) => {
  const hash = createHash("sha256").update(idempotencyKey).digest("hex");
  // Redemption guards predate adjustment guards and keep their bare form.
  return operation === "redeem" ? hash : `adjust#${hash}`;
};

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

/**
 * Redeems points: one `redeem` entry, the balance never below zero (409 with the balance otherwise),
 * and `PointsRedeemed` in the outbox of the same transaction.
 */
export async function redeemPoints(id: string, request: RedeemRequest & { idempotencyKey: string }, deps: LoyaltyApiDependencies): Promise<LedgerEntry> {
  const cid = parseRequest(customerId, id, "customerId");
  const now = deps.now ?? Date.now;
  const committed = await deps.accounts.debit(
    cid,
    request.points,
    { entryId: newEntryId("redeem"), kind: "redeem", ...(request.reference ? { reference: request.reference } : {}) },
    {
      // The key's hash guards the debit itself (store.ts), beyond Powertools' 24-hour record.
      once: guardOf("redeem", request.idempotencyKey),
      announce: (entry) =>
        outboxItemOf(
          "PointsRedeemed",
          {
            id: loyaltyEventId.pointsRedeemed(cid, entry.entryId),
            customerId: cid,
            occurredAt: new Date(entry.at).toISOString(),
            redemptionId: entry.entryId,
            points: -entry.delta,
            reference: entry.reference ?? null,
          },
          now(),
        ),
    },
  );
  return announced(committed, deps);
}

/**
 * Adjusts a balance by an operator's decision: a positive adjustment is a new lot (it expires like
 * earned points), a negative one a debit that, like a redemption, never takes the balance below
 * zero (409). Lifetime points, and so tiers, are not changed by adjustments. Exactly once per
 * `Idempotency-Key`, like a redemption.
 */
export async function adjustPoints(id: string, request: AdjustRequest & { idempotencyKey: string }, deps: LoyaltyApiDependencies): Promise<LedgerEntry> {
  const cid = parseRequest(customerId, id, "customerId");
  const fields = { entryId: newEntryId("adjust"), kind: "adjust" as const, reason: request.reason, actor: request.actor };
  // As for redemptions: the key's guard commits with the change, so a retried adjustment is the same adjustment.
  const options = { once: guardOf("adjust", request.idempotencyKey) };
  const committed =
    request.points > 0
      ? await deps.accounts.credit(cid, request.points, fields, deps.lotExpirySeconds, options)
      : await deps.accounts.debit(cid, -request.points, fields, options);
  return committed.entry;
}
