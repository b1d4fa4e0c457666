/**
 * Publishing the loyalty domain events of a purchase (`events/loyalty-events.ts`) after the ledger
 * committed them: an outbox kept on the purchase's ledger entry.
 *
 * The facts are the entry's committed state — awarded (and the promotion it caused), reversed up to
 * `reversedPoints` — and `publishedAward` / `publishedReversedPoints` say which are on the bus. After
 * every message about a purchase (a new award or reversal, and every duplicate), the consumer puts
 * what is not yet published, then records it. A crash or a PutEvents failure between the commit and
 * the record leaves the SQS message undeleted: its redelivery finds the entry (a duplicate) and
 * publishes what is missing. Each fact's `detail.id` is deterministic, so a fact put twice (a crash
 * after PutEvents, before the record) is deduplicated by consumers — exactly once per business fact
 * at the consumers, at least once on the bus.
 */
import { PutEventsCommand, type EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { loyaltyEventEntry, loyaltyEventId, type LoyaltyEventEntry } from "../../events/loyalty-events.ts";
import { EVENT_BUS_NAME_ENV } from "../common/environment.ts";
import { RetryableError } from "../common/errors.ts";
import type { AwardedPurchase, LoyaltyLedger, PurchaseRecord } from "./ledger.ts";

/** The bus the loyalty facts go to (the variable the plan sets). */
export const EVENT_BUS_ENV = EVENT_BUS_NAME_ENV;

/** PutEvents accepted only part of the entries: the message comes back and publishes the rest. */
export class LoyaltyEventsNotPublishedError extends RetryableError {
  override name = "LoyaltyEventsNotPublishedError";
}

export interface PublishDeps {
  readonly eventBridge: EventBridgeClient;
  readonly eventBusName: string;
  readonly ledger: LoyaltyLedger;
}

/** The events of a purchase's committed state that are not on the bus yet. */
export function pendingEvents(purchase: AwardedPurchase, eventBusName: string): LoyaltyEventEntry[] {
  const occurredAt = new Date(purchase.occurredAt * 1000).toISOString();
  const entries: LoyaltyEventEntry[] = [];
  if (!purchase.publishedAward) {
    entries.push(
      loyaltyEventEntry(
        "PointsAwarded",
        {
          id: loyaltyEventId.pointsAwarded(purchase.purchaseId),
          customerId: purchase.customerId,
          occurredAt,
          purchaseId: purchase.purchaseId,
          stripeCustomerId: purchase.stripeCustomerId ?? null,
          points: purchase.points,
          basePoints: purchase.basePoints ?? purchase.points,
          amount: purchase.amount,
          currency: purchase.currency,
          promotion: purchase.promotion ?? null,
        },
        eventBusName,
      ),
    );
    if (purchase.promotedTo && purchase.promotedFrom && purchase.promotedTo !== "member") {
      entries.push(
        loyaltyEventEntry(
          "TierChanged",
          {
            id: loyaltyEventId.tierChanged(purchase.customerId, purchase.promotedTo),
            customerId: purchase.customerId,
            occurredAt,
            stripeCustomerId: purchase.stripeCustomerId ?? null,
            previousTier: purchase.promotedFrom,
            newTier: purchase.promotedTo,
            purchaseId: purchase.purchaseId,
          },
          eventBusName,
        ),
      );
    }
  }
  const published = purchase.publishedReversedPoints ?? 0;
  if (purchase.reversedPoints > published) {
    entries.push(
      loyaltyEventEntry(
        "PointsReversed",
        {
          id: loyaltyEventId.pointsReversed(purchase.purchaseId, purchase.reversedPoints),
          customerId: purchase.customerId,
          // The reversal's own time is not kept on the entry: the event is stamped when published.
          occurredAt: new Date().toISOString(),
          purchaseId: purchase.purchaseId,
          points: purchase.reversedPoints - published,
          totalReversedPoints: purchase.reversedPoints,
          unrecoveredPoints: purchase.unrecoveredPoints ?? 0,
        },
        eventBusName,
      ),
    );
  }
  return entries;
}

/** Puts the purchase's unpublished events and records them; returns the detail types put. */
export async function publishPurchaseEvents(purchase: PurchaseRecord | undefined, deps: PublishDeps): Promise<string[]> {
  const put = await putPendingEvents(purchase, deps);
  if (put) await deps.ledger.markPublished(put.purchaseId, put.reversedPoints);
  return put?.detailTypes ?? [];
}

/**
 * Puts the purchase's unpublished events without recording them: the caller records them
 * (`ledger.markDone`, with whatever else it did after the commit) once they are on the bus.
 * Undefined when there was nothing to put.
 */
export async function putPendingEvents(
  purchase: PurchaseRecord | undefined,
  deps: Pick<PublishDeps, "eventBridge" | "eventBusName">,
): Promise<{ readonly purchaseId: string; readonly reversedPoints: number; readonly detailTypes: string[] } | undefined> {
  if (purchase?.status !== "awarded") return undefined;
  const awarded = purchase as AwardedPurchase;
  const entries = pendingEvents(awarded, deps.eventBusName);
  if (entries.length === 0) return undefined;
  // At most three entries: one PutEvents call (limit 10).
  const answer = await deps.eventBridge.send(new PutEventsCommand({ Entries: entries.map((entry) => ({ ...entry })) }));
  if ((answer.FailedEntryCount ?? 0) > 0) {
    const codes = (answer.Entries ?? []).map((entry) => entry.ErrorCode).filter(Boolean);
    throw new LoyaltyEventsNotPublishedError(`PutEvents refused ${answer.FailedEntryCount} loyalty event(s): ${codes.join(", ")}`);
  }
  return { purchaseId: awarded.purchaseId, reversedPoints: awarded.reversedPoints, detailTypes: entries.map((entry) => entry.DetailType) };
}

/** The bus is not configured: no record can succeed until it is. */
export class MissingEventBusError extends Error {
  override name = "MissingEventBusError";
}

/** The bus from the environment. */
export function eventBusName(env: NodeJS.ProcessEnv = process.env): string {
  const name = env[EVENT_BUS_ENV];
  if (!name) throw new MissingEventBusError(`${EVENT_BUS_ENV} is not set: loyalty events cannot be published`);
  return name;
}
