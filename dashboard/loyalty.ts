/**
 * The Loyalty view's read model: balances and tiers per customer, each with the ledger entries
 * behind it. The items are read and parsed by the loyalty consumer's own ledger schemas and key
 * layout (`local/state.ts` `loyaltySnapshot`, on `functions/loyalty/ledger.ts`): this module never
 * restates how the table is keyed.
 */
import type { PurchaseRecord } from "../functions/loyalty/ledger.ts";
import type { LoyaltySnapshot } from "../local/state.ts";
import { moneyText } from "./events.ts";
import type { CustomerView, LedgerEntryView } from "./protocol.ts";
import { accountEntries } from "./rewards.ts";

const isoSeconds = (epochSeconds: number | undefined) => (epochSeconds === undefined ? undefined : new Date(epochSeconds * 1000).toISOString());

function ledgerEntry(purchase: PurchaseRecord): LedgerEntryView {
  const money = (amount: number) => (purchase.currency ? moneyText(amount, purchase.currency) : undefined);
  return {
    purchaseId: purchase.purchaseId,
    status: purchase.status,
    amountText: purchase.amount === undefined ? undefined : money(purchase.amount),
    points: purchase.points ?? 0,
    reversedPoints: purchase.reversedPoints,
    refundedText: purchase.refundedAmount > 0 ? money(purchase.refundedAmount) : undefined,
    chargedBack: purchase.chargedBack,
    promotedTo: purchase.promotedTo,
    skipReason: purchase.skipReason,
    stripeEventId: purchase.sourceEvent?.eventId,
    eventType: purchase.sourceEvent?.eventType,
    occurredAt: isoSeconds(purchase.occurredAt),
  };
}

/** Each customer's balance with its purchases, oldest first, and its ledger entries, newest first. */
export function loyaltyViews(loyalty: LoyaltySnapshot): CustomerView[] {
  return loyalty.customers.map(
    (balance): CustomerView => ({
      ...balance,
      ledger: loyalty.purchases
        .filter((purchase) => purchase.customerId === balance.customerId)
        .sort((a, b) => (a.occurredAt ?? 0) - (b.occurredAt ?? 0))
        .map(ledgerEntry),
      entries: accountEntries(loyalty.entries ?? [], balance.customerId),
    }),
  );
}

/** Purchase id -> the Stripe event that credited it: how a workflow's effects find their cause. */
export function purchaseEvents(loyalty: LoyaltySnapshot): Map<string, { eventId: string; eventType: string }> {
  return new Map(loyalty.purchases.flatMap((p) => (p.sourceEvent ? [[p.purchaseId, p.sourceEvent] as const] : [])));
}
