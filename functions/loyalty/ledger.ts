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
 */
import {
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { PoisonRecordError, RetryableError } from "../common/errors.ts";
import { entryItems } from "./entries.ts";
import type { Accrual, Reversal, Skip } from "./decode.ts";
import { cancellationReasons, isConflict, isContention, noPromotionCondition, promotionCondition, type CancellationReason, type TierWrite } from "./conditions.ts";
import { mergeReversal, NO_REVERSAL, reversalTarget, tierAfterAccrual, type ReversalState } from "./points.ts";

export {
  balanceKey,
  balanceRecord,
  purchaseKey,
  purchaseRecord,
  type AwardedPurchase,
  type BalanceRecord,
  type PurchaseRecord,
} from "./layout.ts";
import { balanceKey, balanceRecord, purchaseKey, purchaseRecord, type AwardedPurchase, type BalanceRecord, type PurchaseRecord } from "./layout.ts";

/** One Update of a TransactWriteItems request. */
type PurchaseUpdate = NonNullable<NonNullable<TransactWriteCommandInput["TransactItems"]>[number]["Update"]>;

/** A stored item that does not match the layout: a bug or a manual edit, which no retry can fix. */
export class CorruptLedgerItemError extends PoisonRecordError {
  override name = "CorruptLedgerItemError";
}

export type AwardOutcome =
  | { readonly outcome: "awarded"; readonly purchase: AwardedPurchase; readonly creditedPoints: number }
  | { readonly outcome: "duplicate"; readonly purchase: AwardedPurchase };

export type ReversalOutcome =
  | { readonly outcome: "applied"; readonly customerId: string; readonly reversedPoints: number; readonly unrecoveredPoints: number }
  /** A won dispute gave back what its chargeback took; `cancelledUnrecoveredPoints` were never taken. */
  | { readonly outcome: "restored"; readonly customerId: string; readonly restoredPoints: number; readonly cancelledUnrecoveredPoints: number }
  | { readonly outcome: "unchanged" }
  /** Recorded on a placeholder: the purchase is not credited (yet); it will be netted when it is. */
  | { readonly outcome: "pending" };

export interface LedgerOptions {
  /** Optimistic attempts before giving up with a RetryableError (SQS redelivers later). */
  readonly maxAttempts?: number;
  /** How long a lot of points lives before it expires; `null`: points never expire. */
  readonly lotExpirySeconds?: number | null;
  /** Epoch milliseconds, for `committedAt` and the time ledger entries and lots are stamped with; default `Date.now`. */
  readonly now?: () => number;
}

/** An item as last seen: its value (undefined: it does not exist), or unknown until read. */
type Known<T> = { readonly known: true; readonly value: T | undefined } | { readonly known: false };

function reversalStateOf(record: PurchaseRecord | undefined): ReversalState {
  if (!record) return NO_REVERSAL;
  return {
    refundedAmount: record.refundedAmount,
    refundBasis: record.refundBasis,
    chargedBack: record.chargedBack,
    disputeWon: record.disputeWon ?? false,
    subscriptionPayment: record.subscriptionPayment ?? false,
  };
}

function sameReversal(a: ReversalState, b: ReversalState): boolean {
  return (
    a.refundedAmount === b.refundedAmount &&
    a.refundBasis === b.refundBasis &&
    a.chargedBack === b.chargedBack &&
    a.disputeWon === b.disputeWon &&
    a.subscriptionPayment === b.subscriptionPayment
  );
}

function isAwarded(record: PurchaseRecord | undefined): record is AwardedPurchase {
  return record?.status === "awarded";
}

/** The loyalty ledger over one table. */
export class LoyaltyLedger {
  private readonly maxAttempts: number;
  private readonly lotExpirySeconds: number | null;
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: LedgerOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 10;
    this.lotExpirySeconds = options.lotExpirySeconds ?? null;
    this.now = options.now ?? Date.now;
  }

  async getPurchase(purchaseId: string): Promise<PurchaseRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: purchaseKey(purchaseId), ConsistentRead: true }),
    );
    return Item ? this.parse(purchaseRecord, Item, `purchase ${purchaseId}`) : undefined;
  }

  /** The customer's balance; a customer never seen has zero points and the `member` tier. */
  async getBalance(customerId: string): Promise<BalanceRecord> {
    return (await this.readBalance(customerId)) ?? { customerId, points: 0, lifetimePoints: 0, tier: "member", purchases: 0 };
  }

  private async readBalance(customerId: string): Promise<BalanceRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: balanceKey(customerId), ConsistentRead: true }),
    );
    return Item ? this.parse(balanceRecord, Item, `balance of ${customerId}`) : undefined;
  }

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
  async award(accrual: Accrual): Promise<AwardOutcome> {
    let entry: Known<PurchaseRecord> = { known: true, value: undefined };
    let balance: Known<BalanceRecord> | "unread" = "unread";
    return this.optimistically(`award ${accrual.purchaseId}`, async () => {
      if (!entry.known) entry = { known: true, value: await this.getPurchase(accrual.purchaseId) };
      const existing = entry.value;
      if (isAwarded(existing)) return { outcome: "duplicate", purchase: existing } as const;
      if (balance !== "unread" && !balance.known) balance = { known: true, value: await this.readBalance(accrual.customerId) };
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
        committedAt: this.now(),
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
      const at = this.now();
      const credited = points - reversedPoints;
      const lot = entryItems(
        {
          entryId: `earn-${accrual.purchaseId}`,
          customerId: accrual.customerId,
          kind: "earn",
          delta: credited,
          at,
          lot: credited > 0,
          ...(credited > 0 && this.lotExpirySeconds !== null ? { expiresAt: at + this.lotExpirySeconds * 1000 } : {}),
          purchaseId: accrual.purchaseId,
          stripeCustomerId: accrual.stripeCustomerId,
        },
        this.tableName,
      );
      const transaction = new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: { ...purchaseKey(accrual.purchaseId), ...purchase },
              ...(existing
                ? { ConditionExpression: "version = :version", ExpressionAttributeValues: { ":version": existing.version } }
                : { ConditionExpression: "attribute_not_exists(pk)" }),
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
          },
          {
            Update: {
              TableName: this.tableName,
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
        await this.client.send(transaction);
      } catch (error) {
        const reasons = cancellationReasons(error);
        entry = this.learned(reasons?.[0], entry, purchaseRecord, `purchase ${accrual.purchaseId}`);
        // A balance read (or learned) earlier stays: if it is stale, its condition fails and says so.
        if (reasons?.[1]?.code === "ConditionalCheckFailed") {
          balance = this.learned(reasons[1], { known: false }, balanceRecord, `balance of ${accrual.customerId}`);
        }
        throw error;
      }
      return { outcome: "awarded", purchase, creditedPoints: points - reversedPoints } as const;
    });
  }

  /**
   * What a cancelled transaction tells of one of its items: unchanged when its own condition held
   * (`None`), the item it failed on when the answer carries it; otherwise unknown (read it again).
   * A failed condition without the item means the engine did not return it (or the item does not
   * exist): the read settles which.
   */
  private learned<S extends z.ZodType>(reason: CancellationReason | undefined, before: Known<z.infer<S>>, schema: S, what: string): Known<z.infer<S>> {
    if (reason?.code === "None") return before;
    if (reason?.code === "ConditionalCheckFailed" && reason.item) return { known: true, value: this.parse(schema, reason.item, what) };
    return { known: false };
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
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
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
   * it again: the write was conditioned on the version read, so nothing else changed it meanwhile.
   *
   * The balance is not read first either: the first attempt takes the whole delta under the
   * condition that the balance covers it (the usual case); when it does not, the failed condition
   * answers with the balance (`ALL_OLD`) and the next attempt takes what there is.
   */
  async applyReversal(reversal: Reversal): Promise<{ readonly outcome: ReversalOutcome; readonly purchase: PurchaseRecord | undefined }> {
    let balance: Known<BalanceRecord> | "unread" = "unread";
    return this.optimistically(`reverse ${reversal.purchaseId}`, async () => {
      const existing = await this.getPurchase(reversal.purchaseId);
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
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...purchaseKey(reversal.purchaseId), ...placeholder },
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        );
        return { outcome: { outcome: "pending" }, purchase: undefined } as const;
      }
      const updatePurchase = (reversedPoints: number, unrecovered: number) => ({
        TableName: this.tableName,
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
        await this.client.send(new UpdateCommand(updatePurchase(0, 0)));
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
        const restored = await this.restore(existing, target, updatePurchase);
        return { outcome: restored, purchase: reversed(target, -restored.cancelledUnrecoveredPoints) };
      }
      if (balance !== "unread" && !balance.known) balance = { known: true, value: await this.getBalance(existing.customerId) };
      // Unread: assume the balance covers the delta, under a condition that fails when it does not.
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
                at: this.now(),
                purchaseId: reversal.purchaseId,
              },
              this.tableName,
            )
          : [];
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: updatePurchase(target, unrecovered) },
            {
              Update: {
                TableName: this.tableName,
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
          balance = this.learned(reasons[1], { known: false }, balanceRecord, `balance of ${existing.customerId}`);
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
  private async restore(
    existing: AwardedPurchase,
    target: number,
    updatePurchase: (reversedPoints: number, unrecovered: number) => PurchaseUpdate,
  ): Promise<Extract<ReversalOutcome, { outcome: "restored" }>> {
    const give = existing.reversedPoints - target;
    const cancelled = Math.min(give, existing.unrecoveredPoints ?? 0);
    const restored = give - cancelled;
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Update: updatePurchase(target, -cancelled) },
          {
            Update: {
              TableName: this.tableName,
              Key: balanceKey(existing.customerId),
              UpdateExpression: "ADD points :restored",
              ConditionExpression: "attribute_exists(pk)",
              ExpressionAttributeValues: { ":restored": restored },
            },
          },
          // The customer's ledger shows the points given back (entries.ts): a debit undone, not a new lot.
          ...(restored > 0
            ? entryItems(
                { entryId: `restore-${existing.purchaseId}-${existing.version}`, customerId: existing.customerId, kind: "restore", delta: restored, at: this.now(), purchaseId: existing.purchaseId },
                this.tableName,
              )
            : []),
        ],
      }),
    );
    return { outcome: "restored", customerId: existing.customerId, restoredPoints: restored, cancelledUnrecoveredPoints: cancelled };
  }

  /** Remembers the engagement execution started for a purchase, so duplicates need not start it again. */
  async markEngagementStarted(purchaseId: string, executionName: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
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
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
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

  /**
   * Runs a read-then-conditional-write step until its conditions hold. A failed condition means
   * another delivery or a concurrent change got there first: re-reading settles it.
   */
  private async optimistically<T>(what: string, step: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (!isContention(error)) throw error;
        if (attempt >= this.maxAttempts) {
          throw new RetryableError(`${what}: still contended after ${attempt} attempts`, { cause: error });
        }
        // A failed condition is settled by re-reading at once; repeated failures and conflicts
        // back off with full jitter, so that writers contending for one balance spread out.
        if (attempt >= 3 || isConflict(error)) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(1000, 10 * 2 ** attempt)));
        }
      }
    }
  }

  private parse<S extends z.ZodType>(schema: S, item: Record<string, unknown>, what: string): z.infer<S> {
    const { pk: _pk, sk: _sk, ...fields } = item;
    const result = schema.safeParse(fields);
    if (!result.success) {
      throw new CorruptLedgerItemError(`stored ${what} is invalid: ${result.error.issues[0]?.path.join(".")}: ${result.error.issues[0]?.message}`);
    }
    return result.data;
  }
}
