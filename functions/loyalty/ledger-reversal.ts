/**
 * Refunds, chargebacks and won disputes on a purchase's ledger entry: each applied once, the
 * balance and the entry changed in one `TransactWriteItems`, a placeholder when the reversal
 * arrives before the purchase is credited.
 */
import { PutCommand, TransactWriteCommand, UpdateCommand, type TransactWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import { cancellationReasons } from "./conditions.ts";
import type { Reversal } from "./decode.ts";
import { entryItems } from "./entries.ts";
import { balanceKey, balanceRecord, purchaseKey, type AwardedPurchase, type BalanceRecord, type PurchaseRecord } from "./layout.ts";
import { isAwarded, learned, optimistically, readBalance, readPurchase, reversalStateOf, type Known, type LedgerTable } from "./ledger-store.ts";
import { mergeReversal, reversalTarget, type ReversalState } from "./points.ts";

/** What a reversal did to the purchase and the balance. */
export type ReversalOutcome =
  | { readonly outcome: "applied"; readonly customerId: string; readonly reversedPoints: number; readonly unrecoveredPoints: number }
  /** A won dispute gave back what its chargeback took; `cancelledUnrecoveredPoints` were never taken. */
  | { readonly outcome: "restored"; readonly customerId: string; readonly restoredPoints: number; readonly cancelledUnrecoveredPoints: number }
  | { readonly outcome: "unchanged" }
  /** Recorded on a placeholder: the purchase is not credited (yet); it will be netted when it is. */
  | { readonly outcome: "pending" };

/** One Update of a TransactWriteItems request. */
type PurchaseUpdate = NonNullable<NonNullable<TransactWriteCommandInput["TransactItems"]>[number]["Update"]>;

function sameReversal(a: ReversalState, b: ReversalState): boolean {
  return (
    a.refundedAmount === b.refundedAmount &&
    a.refundBasis === b.refundBasis &&
    a.chargedBack === b.chargedBack &&
    a.disputeWon === b.disputeWon &&
    a.subscriptionPayment === b.subscriptionPayment
  );
}

/**
 * Applies a refund or chargeback once, answering the purchase's entry as the reversal left it
 * (undefined while the reversal waits on a placeholder), so that its domain events are computed
 * without reading it again: the write was conditioned on the version read, so nothing else
 * changed it meanwhile.
 *
 * The purchase's reversal state only grows (largest cumulative refund, chargeback or not), and the
 * balance loses the difference between the new target and what was already taken back — never
 * going below zero: what it cannot cover is kept as `unrecoveredPoints`. The balance is not read
 * first: the first attempt takes the whole delta under the condition that the balance covers it
 * (the usual case); when it does not, the failed condition answers with the balance (`ALL_OLD`)
 * and the next attempt takes what there is.
 */
export async function applyReversal(
  table: LedgerTable,
  reversal: Reversal,
): Promise<{ readonly outcome: ReversalOutcome; readonly purchase: PurchaseRecord | undefined }> {
  let balance: Known<BalanceRecord> | "unread" = "unread";
  return optimistically(table.maxAttempts, `reverse ${reversal.purchaseId}`, async () => {
    const existing = await readPurchase(table, reversal.purchaseId);
    const before = reversalStateOf(existing);
    const after = mergeReversal(before, reversal.state);
    if (existing && sameReversal(before, after)) return { outcome: { outcome: "unchanged" }, purchase: existing } as const;
    const event = new Set([reversal.source.eventId]);
    if (!existing) {
      const placeholder: PurchaseRecord = {
        purchaseId: reversal.purchaseId,
        status: "pending",
        version: 1,
        ...after,
        reversedPoints: 0,
        reversalEvents: event,
      };
      await table.client.send(
        new PutCommand({
          TableName: table.tableName,
          Item: { ...purchaseKey(reversal.purchaseId), ...placeholder },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return { outcome: { outcome: "pending" }, purchase: undefined } as const;
    }
    const updatePurchase = (reversedPoints: number, unrecovered: number) => ({
      TableName: table.tableName,
      Key: purchaseKey(reversal.purchaseId),
      UpdateExpression:
        "SET refundedAmount = :refunded, refundBasis = :basis, chargedBack = :chargedBack, " +
        "disputeWon = :disputeWon, subscriptionPayment = :subscriptionPayment, " +
        "reversedPoints = :reversed, version = :next ADD reversalEvents :event, unrecoveredPoints :unrecovered",
      ConditionExpression: "version = :version",
      ExpressionAttributeValues: {
        ":refunded": after.refundedAmount,
        ":basis": after.refundBasis,
        ":chargedBack": after.chargedBack,
        ":disputeWon": after.disputeWon,
        ":subscriptionPayment": after.subscriptionPayment,
        ":reversed": reversedPoints,
        ":next": existing.version + 1,
        ":version": existing.version,
        ":event": event,
        ":unrecovered": unrecovered,
      },
    });
    if (!isAwarded(existing)) {
      await table.client.send(new UpdateCommand(updatePurchase(0, 0)));
      return { outcome: { outcome: "pending" }, purchase: undefined } as const;
    }
    // The entry as `updatePurchase` leaves it.
    const reversed = (reversedPoints: number, unrecovered: number): AwardedPurchase => ({
      ...existing,
      ...after,
      reversedPoints,
      version: existing.version + 1,
      unrecoveredPoints: (existing.unrecoveredPoints ?? 0) + unrecovered,
      reversalEvents: new Set([...(existing.reversalEvents ?? []), reversal.source.eventId]),
    });
    const target = reversalTarget(existing.points, after);
    const delta = target - existing.reversedPoints;
    if (delta < 0) {
      const restored = await restore(table, existing, target, updatePurchase);
      return { outcome: restored, purchase: reversed(target, -restored.cancelledUnrecoveredPoints) };
    }
    if (balance !== "unread" && !balance.known) balance = { known: true, value: await readBalance(table, existing.customerId) };
    // Unread: assume the balance covers the delta, under a condition that fails when it does not.
    // A customer with no balance item has nothing to take.
    const available = balance === "unread" ? undefined : (balance.value?.points ?? 0);
    const taken = available === undefined ? delta : Math.min(delta, available);
    const unrecovered = delta - taken;
    const entry =
      taken > 0
        ? entryItems(
            {
              entryId: `reverse-${reversal.purchaseId}-${reversal.source.eventId}`,
              customerId: existing.customerId,
              kind: "reverse",
              delta: -taken,
              at: table.now(),
              purchaseId: reversal.purchaseId,
            },
            table.tableName,
          )
        : [];
    await table.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Update: updatePurchase(target, unrecovered) },
          {
            Update: {
              TableName: table.tableName,
              Key: balanceKey(existing.customerId),
              UpdateExpression: "ADD points :minusTaken",
              // Taking everything asks for the exact balance read, so a credit racing in is not
              // wrongly written off; otherwise any balance still covering the delta will do.
              ConditionExpression: unrecovered > 0 ? "points = :seen" : "points >= :taken",
              ExpressionAttributeValues: {
                ":minusTaken": -taken,
                ...(unrecovered > 0 ? { ":seen": available } : { ":taken": taken }),
              },
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
          },
          ...entry,
        ],
      }),
    ).catch((error: unknown) => {
      // A balance read (or learned) earlier stays: if it is stale, its condition fails and says so.
      const reasons = cancellationReasons(error);
      if (reasons?.[1]?.code === "ConditionalCheckFailed") {
        balance = learned(reasons[1], { known: false }, balanceRecord, `balance of ${existing.customerId}`);
      }
      throw error;
    });
    const outcome = { outcome: "applied", customerId: existing.customerId, reversedPoints: delta, unrecoveredPoints: unrecovered } as const;
    return { outcome, purchase: reversed(target, unrecovered) };
  });
}

/**
 * Gives back what a reversal took when its cause went away (the merchant won the dispute):
 * exactly what was taken from the balance. Reversed points the balance never covered
 * (`unrecoveredPoints`) are cancelled first, never credited, so the customer does not gain
 * points they had already spent.
 */
async function restore(
  table: LedgerTable,
  existing: AwardedPurchase,
  target: number,
  updatePurchase: (reversedPoints: number, unrecovered: number) => PurchaseUpdate,
): Promise<Extract<ReversalOutcome, { outcome: "restored" }>> {
  const give = existing.reversedPoints - target;
  const cancelled = Math.min(give, existing.unrecoveredPoints ?? 0);
  const restored = give - cancelled;
  await table.client.send(
    new TransactWriteCommand({
      TransactItems: [
        { Update: updatePurchase(target, -cancelled) },
        {
          Update: {
            TableName: table.tableName,
            Key: balanceKey(existing.customerId),
            UpdateExpression: "ADD points :restored",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: { ":restored": restored },
          },
        },
        // The customer's ledger shows the points given back (entries.ts): a debit undone, not a new lot.
        ...(restored > 0
          ? entryItems(
              { entryId: `restore-${existing.purchaseId}-${existing.version}`, customerId: existing.customerId, kind: "restore", delta: restored, at: table.now(), purchaseId: existing.purchaseId },
              table.tableName,
            )
          : []),
      ],
    }),
  );
  return { outcome: "restored", customerId: existing.customerId, restoredPoints: restored, cancelledUnrecoveredPoints: cancelled };
}
