/**
 * Crediting a purchase: its ledger entry, the balance, the tier and the earned lot, in one
 * `TransactWriteItems`, exactly once whatever the redeliveries, duplicates and concurrency.
 */
import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { cancellationReasons, noPromotionCondition, promotionCondition, type TierWrite } from "./conditions.ts";
import type { Accrual } from "./decode.ts";
import { entryItems } from "./entries.ts";
import { balanceKey, balanceRecord, purchaseKey, purchaseRecord, type AwardedPurchase, type BalanceRecord, type PurchaseRecord } from "./layout.ts";
import { isAwarded, learned, optimistically, readBalance, readPurchase, reversalStateOf, type Known, type LedgerTable } from "./ledger-store.ts";
import { reversalTarget, tierAfterAccrual } from "./points.ts";

/** What crediting a purchase did: credited it now, or found it credited already. */
export type AwardOutcome =
  | { readonly outcome: "awarded"; readonly purchase: AwardedPurchase; readonly creditedPoints: number }
  | { readonly outcome: "duplicate"; readonly purchase: AwardedPurchase };

/**
 * Credits a purchase once, in one transaction: puts its ledger entry (only if no other event of
 * the purchase did) and adds the points to the balance. A placeholder left by an earlier
 * reversal is netted: the balance gets the points minus what the reversal takes back.
 *
 * The tier is settled in the same transaction: it follows lifetime points (which reversals
 * never lower, so they never demote), and the balance update is conditioned on the tier and
 * lifetime range the decision was made for. Accruals that do not cross a threshold pass that
 * condition whatever runs beside them; of concurrent accruals crossing one together, exactly one
 * commits the promotion (`promotedFrom`/`promotedTo` on its entry) and the others try again.
 *
 * Nothing is read first. Most purchases are new and promote no one, so the first attempt assumes
 * a new entry and writes the balance under the no-promotion condition, which is right whatever
 * the balance holds: one request in the usual case. A failed condition answers with the item it
 * failed on (`ReturnValuesOnConditionCheckFailure: ALL_OLD`): the stored entry (a duplicate, or a
 * placeholder of an earlier reversal) or the balance (a threshold is crossed: the next attempt
 * decides the promotion from it), so that deciding again needs no read either.
 */
export async function awardPurchase(table: LedgerTable, accrual: Accrual): Promise<AwardOutcome> {
  let entry: Known<PurchaseRecord> = { known: true, value: undefined };
  let balance: Known<BalanceRecord> | "unread" = "unread";
  return optimistically(table.maxAttempts, `award ${accrual.purchaseId}`, async () => {
    if (!entry.known) entry = { known: true, value: await readPurchase(table, accrual.purchaseId) };
    const existing = entry.value;
    if (isAwarded(existing)) return { outcome: "duplicate", purchase: existing } as const;
    if (balance !== "unread" && !balance.known) balance = { known: true, value: await readBalance(table, accrual.customerId) };
    const reversal = reversalStateOf(existing);
    const points = accrual.award.points;
    const reversedPoints = reversalTarget(points, reversal);
    // A payment an invoice payment excluded (a subscription payment) earns nothing, lifetime included.
    const lifetime = reversal.subscriptionPayment ? 0 : points;
    // Unread: assume no promotion, under a condition that fails when a threshold is reached.
    const stored = balance === "unread" ? undefined : balance.value;
    const before = stored?.tier ?? "member";
    const after = balance === "unread" ? undefined : tierAfterAccrual(before, stored?.lifetimePoints ?? 0, lifetime);
    const purchase: AwardedPurchase = {
      purchaseId: accrual.purchaseId,
      status: "awarded",
      version: (existing?.version ?? 0) + 1,
      customerId: accrual.customerId,
      stripeCustomerId: accrual.stripeCustomerId,
      amount: accrual.money.amount,
      currency: accrual.money.currency,
      premium: accrual.premium,
      basePoints: accrual.award.basePoints,
      premiumMultiplier: accrual.award.premiumMultiplier,
      promotion: accrual.award.promotion,
      points,
      occurredAt: accrual.source.created,
      sourceEvent: { eventId: accrual.source.eventId, eventType: accrual.source.eventType },
      committedAt: table.now(),
      ...reversal,
      reversedPoints,
      unrecoveredPoints: 0,
      ...(existing?.reversalEvents ? { reversalEvents: existing.reversalEvents } : {}),
      ...(after?.promoted ? { promotedFrom: before, promotedTo: after.tier } : {}),
    };
    const balanceWrite: TierWrite = after?.promoted
      ? promotionCondition(stored !== undefined, before, after.tier, after.lifetimeRange)
      : noPromotionCondition(lifetime);
    // The credit is a lot of the customer's ledger (entries.ts), stamped at commit time: lots
    // expire in the order they were credited, whatever order Stripe's events came in.
    const at = table.now();
    const credited = points - reversedPoints;
    const lot = entryItems(
      {
        entryId: `earn-${accrual.purchaseId}`,
        customerId: accrual.customerId,
        kind: "earn",
        delta: credited,
        at,
        lot: credited > 0,
        ...(credited > 0 && table.lotExpirySeconds !== null ? { expiresAt: at + table.lotExpirySeconds * 1000 } : {}),
        purchaseId: accrual.purchaseId,
        stripeCustomerId: accrual.stripeCustomerId,
      },
      table.tableName,
    );
    const transaction = new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: table.tableName,
            Item: { ...purchaseKey(accrual.purchaseId), ...purchase },
            ...(existing
              ? { ConditionExpression: "version = :version", ExpressionAttributeValues: { ":version": existing.version } }
              : { ConditionExpression: "attribute_not_exists(pk)" }),
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          },
        },
        {
          Update: {
            TableName: table.tableName,
            Key: balanceKey(accrual.customerId),
            UpdateExpression: `ADD points :credited, earned :credited, lifetimePoints :points, purchases :one SET customerId = :customer, ${balanceWrite.setTier}`,
            ConditionExpression: balanceWrite.condition,
            ExpressionAttributeValues: {
              ":credited": points - reversedPoints,
              ":points": lifetime,
              ":one": reversal.subscriptionPayment ? 0 : 1,
              ":customer": accrual.customerId,
              ...balanceWrite.values,
            },
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          },
        },
        ...lot,
      ],
    });
    try {
      await table.client.send(transaction);
    } catch (error) {
      const reasons = cancellationReasons(error);
      entry = learned(reasons?.[0], entry, purchaseRecord, `purchase ${accrual.purchaseId}`);
      // A balance read (or learned) earlier stays: if it is stale, its condition fails and says so.
      if (reasons?.[1]?.code === "ConditionalCheckFailed") {
        balance = learned(reasons[1], { known: false }, balanceRecord, `balance of ${accrual.customerId}`);
      }
      throw error;
    }
    return { outcome: "awarded", purchase, creditedPoints: points - reversedPoints } as const;
  });
}
