/**
 * The transactional outbox of the loyalty events that are not about a purchase (`PointsRedeemed`
 * from the loyalty API, `PointsExpired` from the expiry job).
 *
 * A purchase's events ride on its ledger entry and are retried by the SQS redelivery of its message
 * (`publish.ts`). A redemption or an expiry has no message that comes back, so its event is an item
 * of its own, written **in the same `TransactWriteItems` as the balance change**: the change and
 * the promise to announce it commit together or not at all. Right after the commit the writer puts
 * the event and deletes the item. If it dies or PutEvents fails in between, the item stays, and the
 * next expiry run (hourly; {@link drainOutbox}) publishes every item older than
 * {@link OUTBOX_GRACE_MS} — long enough that no writer can still be publishing it.
 *
 * Item layout (loyalty table): `OUTBOX#<shard>` / `<detail.id>`, the shard a hash of the id, so a
 * burst of redemptions spreads over {@link OUTBOX_SHARDS} partitions instead of one hot key.
 *
 * Delivery is at least once (a crash after PutEvents and before the delete, or two expiry runs
 * draining the same stale item, put an event twice); the `detail.id` is deterministic, so consumers
 * deduplicating on it see each fact once.
 */
import { createHash } from "node:crypto";
import { PutEventsCommand, type EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { DeleteCommand, QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { LOYALTY_API_TIMEOUT_SECONDS, LOYALTY_EXPIRY_TIMEOUT_SECONDS } from "../common/timeouts.ts";
import { LOYALTY_EVENT_TYPES, LOYALTY_SOURCE, loyaltyEventEntry, type LoyaltyEventDetail, type LoyaltyEventType } from "../../events/loyalty-events.ts";

export const OUTBOX_PREFIX = "OUTBOX#";
export const OUTBOX_SHARDS = 8;
/**
 * How old an outbox item must be before the drain publishes it: well beyond any writer's
 * invocation (the loyalty API's and the expiry job's timeouts), so the drain never races a writer
 * that is about to publish its own event. Five minutes with today's timeouts (10 s, 120 s).
 */
export const OUTBOX_GRACE_MS = Math.max(300, 2 * Math.max(LOYALTY_API_TIMEOUT_SECONDS, LOYALTY_EXPIRY_TIMEOUT_SECONDS)) * 1000;

const outboxItem = z.object({
  pk: z.string().startsWith(OUTBOX_PREFIX),
  sk: z.string(),
  detailType: z.enum(LOYALTY_EVENT_TYPES as [LoyaltyEventType, ...LoyaltyEventType[]]),
  detail: z.string(),
  writtenAt: z.number().int(),
});
export type OutboxItem = z.infer<typeof outboxItem>;

/** The outbox item's key of the event with `detail.id` = `eventId`. */
export function outboxKey(eventId: string): { pk: string; sk: string } {
  const shard = createHash("sha256").update(eventId).digest().readUInt32BE(0) % OUTBOX_SHARDS;
  return { pk: `${OUTBOX_PREFIX}${shard}`, sk: eventId };
}

/**
 * The outbox item of one event, validated against its schema now (a malformed detail fails the
 * transaction's caller, never the later publication). `writtenAt` is the wall clock (epoch ms).
 */
export function outboxItemOf<T extends LoyaltyEventType>(detailType: T, detail: LoyaltyEventDetail<T>, writtenAt: number): OutboxItem {
  // The bus is named at publication; validation needs one.
  const entry = loyaltyEventEntry(detailType, detail, "-");
  return { ...outboxKey(detail.id), detailType, detail: entry.Detail, writtenAt };
}

/** The `TransactWriteItems` element that writes `item` (once: its id is the fact's). */
export function outboxPut(item: OutboxItem, tableName: string) {
  return { Put: { TableName: tableName, Item: { ...item }, ConditionExpression: "attribute_not_exists(pk)" } };
}

export interface OutboxDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly eventBridge: EventBridgeClient;
  readonly eventBusName: string;
}

/**
 * Puts the items' events (10 per PutEvents, its limit) and deletes the items whose entry the bus
 * accepted; returns how many were published. Entries the bus refused stay for the next drain.
 */
export async function publishOutboxed(items: readonly OutboxItem[], deps: OutboxDeps): Promise<number> {
  let published = 0;
  for (let i = 0; i < items.length; i += 10) {
    const batch = items.slice(i, i + 10);
    const answer = await deps.eventBridge.send(
      new PutEventsCommand({
        Entries: batch.map((item) => ({
          Source: LOYALTY_SOURCE,
          DetailType: item.detailType,
          Detail: item.detail,
          EventBusName: deps.eventBusName,
          Time: new Date((JSON.parse(item.detail) as { occurredAt: string }).occurredAt),
        })),
      }),
    );
    const results = answer.Entries ?? [];
    for (const [index, item] of batch.entries()) {
      if (results[index]?.ErrorCode || !results[index]?.EventId) continue;
      await deps.client.send(new DeleteCommand({ TableName: deps.tableName, Key: { pk: item.pk, sk: item.sk } }));
      published++;
    }
  }
  return published;
}

/** Publishes what writers left in the outbox (older than the grace time as of `now`, epoch ms). */
export async function drainOutbox(now: number, deps: OutboxDeps): Promise<number> {
  const stale: OutboxItem[] = [];
  for (let shard = 0; shard < OUTBOX_SHARDS; shard++) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await deps.client.send(
        new QueryCommand({
          TableName: deps.tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": `${OUTBOX_PREFIX}${shard}` },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      start = page.LastEvaluatedKey;
      for (const raw of page.Items ?? []) {
        const item = outboxItem.parse(raw);
        if (item.writtenAt <= now - OUTBOX_GRACE_MS) stale.push(item);
      }
    } while (start);
  }
  return stale.length === 0 ? 0 : publishOutboxed(stale, deps);
}
