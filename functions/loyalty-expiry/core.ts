/**
 * Points expiry (scheduled): lots whose time has come expire, exactly once each, taking what is
 * left of them under FIFO (functions/loyalty/entries.ts); lots about to expire get one warning
 * email each. Driven by the `LOTEXPIRY` index the credits write with their lot.
 *
 * Exactly once per lot: the expiry is one transaction that marks the lot entry expired (condition:
 * not expired yet), debits the balance (condition: the balance and `earned` still as read, so the
 * FIFO figure is right at commit), writes the `expire` entry and `PointsExpired` in the outbox,
 * and removes the index items. A run that dies half-way, a restart, or two runs at once leave each
 * lot expired once. Each run first publishes what writers left in the outbox
 * (functions/loyalty/outbox.ts: redemptions and expiries whose PutEvents failed).
 */
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { SESClient } from "@aws-sdk/client-ses";
import { QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { ProfileTable } from "../common/profiles.ts";
import { balanceKey } from "../loyalty/ledger.ts";
import { dueBound, entryItems, entryKey, EXPIRY_PARTITION, warningClaimKey, type LedgerEntry } from "../loyalty/entries.ts";
import { loyaltyEventId } from "../../events/loyalty-events.ts";
import { drainOutbox, outboxItemOf, outboxPut, publishOutboxed, type OutboxDeps, type OutboxItem } from "../loyalty/outbox.ts";
import type { InvocationBounds } from "../common/invocation.ts";
import { indexItem, readLot, type IndexItem } from "./lot.ts";
import { warnLot } from "./warning.ts";

export interface ExpiryDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long before a lot expires its warning goes out (0: no warning). */
  readonly warnSeconds: number;
  readonly email: {
    readonly ses: SESClient;
    readonly profiles: ProfileTable;
    readonly from: string;
    /** The function's timeout: a warning's send claim outlives the invocation holding it. */
    readonly leaseSeconds: number;
  };
  /** Where the `PointsExpired` events go (and the outbox's leftovers). */
  readonly events: { readonly eventBridge: EventBridgeClient; readonly eventBusName: string };
  /** The wall clock (epoch ms) of the outbox, which the schedule's `time` must not move. */
  readonly wallClock?: () => number;
  /** Optimistic attempts per lot before leaving it to the next run. */
  readonly maxAttempts?: number;
  /** The running invocation, when known: no warning starts without time left to record it. */
  readonly invocation?: InvocationBounds | undefined;
}

export interface ExpirySummary {
  expiredLots: number;
  expiredPoints: number;
  warned: number;
  /** Warnings not sent: nothing left of the lot, or no one to write to. */
  notWarned: number;
  /** Lots left to the next run (contention, a warning another run is sending, SES refusing). */
  deferred: number;
  /** Loyalty events put on the bus: this run's PointsExpired and the outbox's leftovers. */
  published: number;
  /** Events left in the outbox (the bus refused or failed): the next run publishes them. */
  unpublished: number;
}

const cancellation = (error: unknown) => (error as { name?: string }).name === "TransactionCanceledException" || (error as { name?: string }).name === "TransactionConflictException";

/** Runs one expiry pass as of `now` (epoch ms): expires what is due, warns what soon will be. */
export async function runExpiry(now: number, deps: ExpiryDeps): Promise<ExpirySummary> {
  const summary: ExpirySummary = { expiredLots: 0, expiredPoints: 0, warned: 0, notWarned: 0, deferred: 0, published: 0, unpublished: 0 };
  const outbox = outboxDeps(deps);
  try {
    summary.published += await drainOutbox((deps.wallClock ?? Date.now)(), outbox);
  } catch {
    // The bus is down: the leftovers stay for the next run; expiry itself goes on.
    summary.unpublished++;
  }
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.client.send(
      new QueryCommand({
        TableName: deps.tableName,
        // Index items sort by expiry time; warning claims (`WARN#…`) sort after every digit.
        KeyConditionExpression: "pk = :pk AND sk <= :due",
        ExpressionAttributeValues: { ":pk": EXPIRY_PARTITION, ":due": dueBound(now + deps.warnSeconds * 1000) },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    start = page.LastEvaluatedKey;
    for (const raw of page.Items ?? []) {
      const item = indexItem.parse(raw);
      if (item.expiresAt <= now) {
        const expired = await expireLot(item, now, deps);
        if (expired === undefined) summary.deferred++;
        else if (expired.points >= 0) {
          summary.expiredLots++;
          summary.expiredPoints += expired.points;
          if (expired.outboxed) {
            try {
              summary.published += await publishOutboxed([expired.outboxed], outbox);
            } catch {
              summary.unpublished++;
            }
          }
        }
      } else if (item.warnedAt === undefined && deps.warnSeconds > 0) {
        const outcome = await warnLot(item, now, deps);
        if (outcome === "sent") summary.warned++;
        else if (outcome === "deferred") summary.deferred++;
        else summary.notWarned++;
      }
    }
  } while (start);
  return summary;
}

const outboxDeps = (deps: ExpiryDeps): OutboxDeps => ({ client: deps.client, tableName: deps.tableName, ...deps.events });

/**
 * Expires one lot: the points it took (-1 when it had expired already) and the outbox item of its
 * PointsExpired (none when nothing was left of it); undefined when deferred.
 */
async function expireLot(item: IndexItem, now: number, deps: ExpiryDeps): Promise<{ points: number; outboxed?: OutboxItem } | undefined> {
  const { client, tableName: TableName } = deps;
  const cleanup = [
    { Delete: { TableName, Key: { pk: item.pk, sk: item.sk } } },
    { Delete: { TableName, Key: warningClaimKey(item.customerId, item.lotKey) } },
  ];
  for (let attempt = 1; attempt <= (deps.maxAttempts ?? 8); attempt++) {
    const { lot, points, earned, remaining } = await readLot(item, deps);
    if (!lot || lot.expiredAt !== undefined) {
      // Expired by an earlier run that died before removing the index, or never written: tidy up.
      await client.send(new TransactWriteCommand({ TransactItems: cleanup }));
      return { points: -1 };
    }
    const expiry: LedgerEntry = {
      entryId: `expire-${lot.entryId}`,
      customerId: item.customerId,
      kind: "expire",
      delta: -remaining,
      at: now,
      lotKey: item.lotKey,
    };
    const outboxed =
      remaining > 0
        ? outboxItemOf(
            "PointsExpired",
            {
              id: loyaltyEventId.pointsExpired(item.customerId, lot.entryId),
              customerId: item.customerId,
              occurredAt: new Date(now).toISOString(),
              lotId: lot.entryId,
              points: remaining,
              balanceAfter: points - remaining,
            },
            (deps.wallClock ?? Date.now)(),
          )
        : undefined;
    try {
      await client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName,
                Key: entryKey(item.customerId, item.lotKey),
                UpdateExpression: "SET expiredAt = :now, expiredPoints = :taken",
                // The lot's own guard: it expires once, whatever runs, restarts and retries.
                ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(expiredAt)",
                ExpressionAttributeValues: { ":now": now, ":taken": remaining },
              },
            },
            ...(remaining > 0
              ? [
                  {
                    Update: {
                      TableName,
                      Key: balanceKey(item.customerId),
                      UpdateExpression: "ADD points :minus",
                      // The FIFO figure holds only for the balance it was computed from.
                      ConditionExpression: earned === undefined ? "points = :seen AND attribute_not_exists(earned)" : "points = :seen AND earned = :earned",
                      ExpressionAttributeValues: { ":minus": -remaining, ":seen": points, ...(earned === undefined ? {} : { ":earned": earned }) },
                    },
                  },
                  ...entryItems(expiry, TableName),
                  outboxPut(outboxed!, TableName),
                ]
              : []),
            ...cleanup,
          ],
        }),
      );
      return outboxed ? { points: remaining, outboxed } : { points: remaining };
    } catch (error) {
      if (!cancellation(error)) throw error;
      // A debit or credit landed meanwhile, or another run expired the lot: re-read and decide again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(500, 10 * 2 ** attempt)));
    }
  }
  return undefined;
}
