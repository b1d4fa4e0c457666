/**
 * The loyalty ledger in DynamoDB (the `loyalty` table): one item per purchase and one balance per
 * customer, changed together in `TransactWriteItems` so that a purchase is credited, and each
 * reversal applied, exactly once whatever the redeliveries, duplicates, concurrency and order.
 *
 * Item layout (pk / sk):
 * - `PURCHASE#<purchaseId>` / `PURCHASE` — the ledger entry of one purchase: `status` (`awarded`,
 *   `pending` = a reversal arrived first, `skipped` = recorded but not credited), the award, the
 *   reversal state (cumulative refund, chargeback), `reversedPoints`, `unrecoveredPoints`, the
 *   promotion it caused (`promotedFrom`, `promotedTo`) and `engagementExecution`.
 *   `version` grows on every change and guards every read-modify-write.
 * - `CUSTOMER#<customerId>` / `BALANCE` — `points` (spendable, never below 0), `lifetimePoints`
 *   (everything ever awarded, which tiers are based on), `tier`, `purchases`.
 *
 * This module is the ledger's public surface: the award is written in `ledger-award.ts`, reversals
 * in `ledger-reversal.ts`, what they share in `ledger-store.ts`; skips and the after-commit marks
 * are here.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Accrual, Reversal, Skip } from "./decode.ts";
import { purchaseKey, type BalanceRecord, type PurchaseRecord } from "./layout.ts";
import { awardPurchase, type AwardOutcome } from "./ledger-award.ts";
import { applyReversal, type ReversalOutcome } from "./ledger-reversal.ts";
import { readBalance, readPurchase, type LedgerTable } from "./ledger-store.ts";

export {
  balanceKey,
  balanceRecord,
  purchaseKey,
  purchaseRecord,
  type AwardedPurchase,
  type BalanceRecord,
  type PurchaseRecord,
} from "./layout.ts";
export type { AwardOutcome } from "./ledger-award.ts";
export type { ReversalOutcome } from "./ledger-reversal.ts";
export { CorruptLedgerItemError } from "./ledger-store.ts";

/** How a {@link LoyaltyLedger} writes. */
export interface LedgerOptions {
  /** Optimistic attempts before giving up with a RetryableError (SQS redelivers later). */
  readonly maxAttempts?: number;
  /** How long a lot of points lives before it expires; `null`: points never expire. */
  readonly lotExpirySeconds?: number | null;
  /** Epoch milliseconds, for `committedAt` and the time ledger entries and lots are stamped with; default `Date.now`. */
  readonly now?: () => number;
}

/** The loyalty ledger over one table. */
export class LoyaltyLedger {
  private readonly table: LedgerTable;

  constructor(client: DynamoDBDocumentClient, tableName: string, options: LedgerOptions = {}) {
    this.table = {
      client,
      tableName,
      maxAttempts: options.maxAttempts ?? 10,
      lotExpirySeconds: options.lotExpirySeconds ?? null,
      now: options.now ?? Date.now,
    };
  }

  /** A purchase's ledger entry (consistent read); undefined when no event of it was recorded. */
  async getPurchase(purchaseId: string): Promise<PurchaseRecord | undefined> {
    return readPurchase(this.table, purchaseId);
  }

  /** The customer's balance; a customer never seen has zero points and the `member` tier. */
  async getBalance(customerId: string): Promise<BalanceRecord> {
    return (await readBalance(this.table, customerId)) ?? { customerId, points: 0, lifetimePoints: 0, tier: "member", purchases: 0 };
  }

  /** Credits a purchase once: one transaction, nothing read first (`ledger-award.ts`, {@link awardPurchase}). */
  async award(accrual: Accrual): Promise<AwardOutcome> {
    return awardPurchase(this.table, accrual);
  }

  /**
   * Records a purchase the programme skipped for a reason an operator can fix (no customer, a
   * currency without a rate), unless the purchase is already known — a placeholder left by an
   * early reversal takes the record, keeping its reversal state. A later event of the same
   * purchase that can be credited still is.
   */
  async recordSkip(skip: Skip & { purchaseId: string }): Promise<"recorded" | "already-known"> {
    const fields: Record<string, unknown> = {
      purchaseId: skip.purchaseId,
      skipReason: skip.reason,
      skipDetail: skip.detail,
      ...(skip.customerId ? { customerId: skip.customerId } : {}),
      ...(skip.money ? { amount: skip.money.amount, currency: skip.money.currency } : {}),
      ...(skip.source
        ? { occurredAt: skip.source.created, sourceEvent: { eventId: skip.source.eventId, eventType: skip.source.eventType } }
        : {}),
    };
    const names = Object.keys(fields);
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: purchaseKey(skip.purchaseId),
          UpdateExpression:
            `SET #status = :skipped, ${names.map((name) => `${name} = :${name}`).join(", ")}, ` +
            // The version moves, so that an award racing with this record re-reads it.
            "version = if_not_exists(version, :zero) + :one, reversedPoints = if_not_exists(reversedPoints, :zero), " +
            "refundedAmount = if_not_exists(refundedAmount, :zero), refundBasis = if_not_exists(refundBasis, :zero), " +
            "chargedBack = if_not_exists(chargedBack, :false)",
          ConditionExpression: "attribute_not_exists(pk) OR #status = :pending",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ...Object.fromEntries(names.map((name) => [`:${name}`, fields[name]])),
            ":skipped": "skipped",
            ":pending": "pending",
            ":zero": 0,
            ":one": 1,
            ":false": false,
          },
        }),
      );
      return "recorded";
    } catch (error) {
      if ((error as { name?: string }).name === "ConditionalCheckFailedException") return "already-known";
      throw error;
    }
  }

  /**
   * Applies a refund or chargeback once. The purchase's reversal state only grows (largest
   * cumulative refund, chargeback or not), and the balance loses the difference between the new
   * target and what was already taken back — never going below zero: what it cannot cover is
   * kept as `unrecoveredPoints`. Before the purchase is credited, the state waits on a placeholder.
   */
  async reverse(reversal: Reversal): Promise<ReversalOutcome> {
    return (await this.applyReversal(reversal)).outcome;
  }

  /**
   * {@link reverse}, also answering the purchase's entry as the reversal left it (undefined while
   * the reversal waits on a placeholder), so that its domain events are computed without reading
   * it again (written in `ledger-reversal.ts`).
   */
  async applyReversal(reversal: Reversal): Promise<{ readonly outcome: ReversalOutcome; readonly purchase: PurchaseRecord | undefined }> {
    return applyReversal(this.table, reversal);
  }

  /** Remembers the engagement execution started for a purchase, so duplicates need not start it again. */
  async markEngagementStarted(purchaseId: string, executionName: string): Promise<void> {
    await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: purchaseKey(purchaseId),
        UpdateExpression: "SET engagementExecution = :execution",
        ExpressionAttributeValues: { ":execution": executionName },
      }),
    );
  }

  /**
   * Remembers which domain events of a purchase are on the bus, so later deliveries need not put
   * them again (putting them again is harmless: consumers dedupe on `detail.id`). Never moves back.
   */
  async markPublished(purchaseId: string, reversedPoints: number): Promise<void> {
    await this.markDone(purchaseId, { publishedReversedPoints: reversedPoints });
  }

  /**
   * Remembers, in one write, what a delivery did after the commit: the engagement execution it
   * started ({@link markEngagementStarted}) and the domain events it put on the bus
   * ({@link markPublished}). Both are only shortcuts for later deliveries, which otherwise repeat
   * the step harmlessly (Step Functions refuses a second execution of the name, consumers dedupe the
   * events on `detail.id`); so one write after both steps keeps every guarantee and saves a request.
   */
  async markDone(purchaseId: string, done: { readonly engagementExecution?: string | undefined; readonly publishedReversedPoints?: number | undefined }): Promise<void> {
    const { engagementExecution, publishedReversedPoints } = done;
    if (publishedReversedPoints === undefined) {
      if (engagementExecution !== undefined) await this.markEngagementStarted(purchaseId, engagementExecution);
      return;
    }
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: purchaseKey(purchaseId),
          UpdateExpression: `SET publishedAward = :true, publishedReversedPoints = :reversed${engagementExecution !== undefined ? ", engagementExecution = :execution" : ""}`,
          ConditionExpression: "attribute_exists(pk) AND (attribute_not_exists(publishedReversedPoints) OR publishedReversedPoints <= :reversed)",
          ExpressionAttributeValues: {
            ":true": true,
            ":reversed": publishedReversedPoints,
            ...(engagementExecution !== undefined ? { ":execution": engagementExecution } : {}),
          },
        }),
      );
    } catch (error) {
      // A concurrent delivery recorded more already: the execution is still worth remembering.
      if ((error as { name?: string }).name !== "ConditionalCheckFailedException") throw error;
      if (engagementExecution !== undefined) await this.markEngagementStarted(purchaseId, engagementExecution);
    }
  }
}
