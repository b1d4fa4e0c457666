/**
 * The Loyalty view's read models beyond balances: each customer's ledger entries (every change of
 * the balance, `functions/loyalty/entries.ts`), the promotion windows of the `promotions` table, and
 * the tier rewards the local Stripe emulator holds (`local/stripe.ts`). Pure: records in, view
 * models out; addresses in free text (an adjustment's actor or reason) are redacted as in logs.
 */
import { moneyText } from "./events.ts";
import { redactEmail } from "../functions/common/redact.ts";
import type { LedgerEntry } from "../functions/loyalty/layout.ts";
import type { Promotion } from "../functions/loyalty/promotions.ts";
import type { BalanceTransaction, PromotionCode } from "../local/stripe.ts";
import { MAX_ACCOUNT_ENTRIES, type AccountEntryView, type PromotionView, type StripeRewardView } from "./protocol.ts";

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function entryNote(entry: LedgerEntry): string | undefined {
  const notes = [
    entry.purchaseId,
    entry.reference,
    entry.reason === undefined ? undefined : `"${redactEmail(entry.reason)}"${entry.actor ? ` by ${redactEmail(entry.actor)}` : ""}`,
  ].filter((note): note is string => Boolean(note));
  return notes.length > 0 ? notes.join(" · ") : undefined;
}

/** A customer's ledger entries, newest first, at most {@link MAX_ACCOUNT_ENTRIES}. */
export function accountEntries(entries: readonly LedgerEntry[], customerId: string): AccountEntryView[] {
  return entries
    .filter((entry) => entry.customerId === customerId)
    .sort((a, b) => b.at - a.at || b.entryId.localeCompare(a.entryId))
    .slice(0, MAX_ACCOUNT_ENTRIES)
    .map((entry) => ({
      entryId: entry.entryId,
      kind: entry.kind,
      delta: entry.delta,
      at: iso(entry.at)!,
      note: entryNote(entry),
      expiresAt: iso(entry.expiresAt),
      expiredPoints: entry.expiredPoints,
    }));
}

/** The promotion windows as of `now` (epoch ms): running ones first, then those to come, then the ended. */
export function promotionViews(promotions: readonly Promotion[], now: number): PromotionView[] {
  const order = { active: 0, scheduled: 1, ended: 2 } as const;
  return promotions
    .map((promotion): PromotionView => {
      const state = Date.parse(promotion.end) <= now ? "ended" : Date.parse(promotion.start) <= now ? "active" : "scheduled";
      const conditions = [promotion.conditions?.currencies?.join(", "), promotion.conditions?.premiumOnly ? "premium only" : undefined].filter(Boolean).join(" · ");
      return {
        name: promotion.name,
        description: promotion.description,
        start: promotion.start,
        end: promotion.end,
        multiplier: promotion.multiplier,
        combine: promotion.combine,
        conditions: conditions || undefined,
        state,
      };
    })
    .sort((a, b) => order[a.state] - order[b.state] || a.start.localeCompare(b.start));
}

/** A promotion code with all but its tier prefix and first character masked (`GOLD-1*******`). */
export function maskCode(code: string): string {
  const dash = code.indexOf("-");
  const keep = dash >= 0 ? dash + 2 : Math.min(2, code.length);
  return code.slice(0, keep) + "*".repeat(Math.max(0, code.length - keep));
}

/** The tier rewards created in the local Stripe account, newest first. */
export function stripeRewardViews(credits: readonly BalanceTransaction[], codes: readonly PromotionCode[]): StripeRewardView[] {
  const rows: (StripeRewardView & { readonly sortKey: number })[] = [
    ...credits.map((credit) => ({
      id: credit.id,
      kind: "credit" as const,
      customer: credit.customer,
      customerId: credit.metadata.paybus_customer_id,
      tier: credit.metadata.paybus_tier,
      // A negative balance transaction is a credit the customer's next invoice uses.
      amountText: moneyText(-credit.amount, credit.currency),
      created: new Date(credit.created * 1000).toISOString(),
      sortKey: credit.created,
    })),
    ...codes.map((code) => ({
      id: code.id,
      kind: "promotion-code" as const,
      customer: code.customer,
      customerId: code.metadata.paybus_customer_id,
      tier: code.metadata.paybus_tier,
      code: maskCode(code.code),
      created: new Date(code.created * 1000).toISOString(),
      expiresAt: code.expires_at === null ? undefined : new Date(code.expires_at * 1000).toISOString(),
      sortKey: code.created,
    })),
  ];
  return rows.sort((a, b) => b.sortKey - a.sortKey || b.id.localeCompare(a.id)).map(({ sortKey: _sortKey, ...row }) => row);
}
