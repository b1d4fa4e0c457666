/**
 * The `notifications` table: the latest known state of each invoice and one record per send, so
 * that at-least-once delivery of events yields each notice once per channel.
 *
 * Layout (one partition per invoice, every item expires via `expiresAt`):
 *
 * | pk              | sk                              | what                                          |
 * | --------------- | ------------------------------- | --------------------------------------------- |
 * | `invoice#in_…`  | `state`                         | latest status (`paid`/`failed`) and version   |
 * | `invoice#in_…`  | `notice#<key>#email`            | the email of one notice                       |
 * | `invoice#in_…`  | `notice#<key>#push#<endpoint>`  | the push of one notice to one device          |
 * | `invoice#in_…`  | `notice#<key>#skipped`          | why a notice was not sent at all              |
 *
 * where `<key>` is `paid` or `failed#<attempt>` ({@link noticeKey}).
 *
 * A send is claimed before it happens (status `sending` with a lease), then marked `sent` or
 * `undeliverable`, or released when it failed so a retry can claim it again. A crash between the
 * provider's acceptance and the mark leaves a claim whose lease runs out, and the retry sends again:
 * that window is the only way to a duplicate, and it is as narrow as one request.
 */
import { randomUUID } from "node:crypto";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { noticeKey, stateVersion, type Delivery, type Notice } from "./notice.ts";

/** The invoice state a notice was compared with. */
export interface RecordedState {
  readonly status: Notice["kind"];
  readonly version: number;
  readonly eventId: string;
}

export type Freshness = { readonly current: true } | { readonly current: false; readonly latest: RecordedState };

/** How a send ended for good. */
export type FinalDelivery =
  | { readonly status: "sent"; readonly messageId: string; readonly sentAt: number }
  | { readonly status: "undeliverable"; readonly reason: string };

export type Claim =
  | { readonly kind: "claimed"; readonly token: string }
  | { readonly kind: "done"; readonly status: FinalDelivery["status"] }
  /** Another attempt holds a live lease on this send. */
  | { readonly kind: "busy" };

/** What the core needs to remember; implemented on DynamoDB by {@link dynamoNotificationStore}. */
export interface NotificationStore {
  /** Records the notice's invoice state unless a newer one is recorded, and says which happened. */
  recordInvoiceState(notice: Notice): Promise<Freshness>;
  claimDelivery(notice: Notice, delivery: Delivery): Promise<Claim>;
  completeDelivery(notice: Notice, delivery: Delivery, result: FinalDelivery): Promise<void>;
  /** Gives a failed send back so that the next attempt may claim it at once. */
  releaseDelivery(notice: Notice, delivery: Delivery, token: string): Promise<void>;
  recordSkipped(notice: Notice, reason: string): Promise<void>;
}

export interface DynamoNotificationStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly retentionSeconds: number;
  readonly leaseSeconds: number;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

const invoiceKey = (notice: Notice) => `invoice#${notice.invoiceId}`;

async function unlessConditionFails<T>(operation: Promise<T>): Promise<T | "condition-failed"> {
  try {
    return await operation;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return "condition-failed";
    throw error;
  }
}

/**
 * One business fact told to a customer, as the send records know it: the partition it lives in
 * (`invoice#in_…` for invoice notices, `<notice>#<subject>` for lifecycle notices) and its key
 * within it. Any consumer that tells customers something once per fact and channel uses these.
 */
export interface FactRef {
  readonly partition: string;
  readonly key: string;
  /** The Stripe event (`evt_…`) that brought it; kept for tracing, never for dedupe. */
  readonly eventId: string;
}

/** Per-channel exactly-once send records on the `notifications` table (claim, complete, release). */
export interface DeliveryClaims {
  claim(fact: FactRef, delivery: Delivery): Promise<Claim>;
  complete(fact: FactRef, delivery: Delivery, result: FinalDelivery): Promise<void>;
  release(fact: FactRef, delivery: Delivery, token: string): Promise<void>;
  recordSkipped(fact: FactRef, reason: string): Promise<void>;
}

const factDeliveryKey = (fact: FactRef, delivery: Delivery) => ({ pk: fact.partition, sk: `notice#${fact.key}#${delivery.key}` });

/** The send records of {@link DeliveryClaims} on the `notifications` table. */
export function dynamoDeliveryClaims(options: DynamoNotificationStoreOptions): DeliveryClaims {
  const { client, tableName: TableName, now } = options;
  const expiresAt = () => Math.floor(now() / 1000) + options.retentionSeconds;
  return {
    async claim(fact, delivery) {
      const key = factDeliveryKey(fact, delivery);
      const token = randomUUID();
      const claimed = await unlessConditionFails(
        client.send(
          new UpdateCommand({
            TableName,
            Key: key,
            UpdateExpression:
              "SET #status = :sending, leaseUntil = :leaseUntil, claimToken = :token, channel = :channel, eventId = :eventId, expiresAt = :expiresAt",
            ConditionExpression: "attribute_not_exists(pk) OR (#status = :sending AND leaseUntil < :now)",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: {
              ":sending": "sending",
              ":leaseUntil": now() + options.leaseSeconds * 1000,
              ":now": now(),
              ":token": token,
              ":channel": delivery.channel,
              ":eventId": fact.eventId,
              ":expiresAt": expiresAt(),
            },
          }),
        ),
      );
      if (claimed !== "condition-failed") return { kind: "claimed", token };
      const { Item } = await client.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }));
      // Gone again (released meanwhile) or still sending: either way another attempt is on it.
      if (Item?.status === "sent" || Item?.status === "undeliverable") return { kind: "done", status: Item.status };
      return { kind: "busy" };
    },

    async complete(fact, delivery, result) {
      // Unconditional: even if our lease ran out and someone else claimed the send, it did happen.
      await client.send(
        new PutCommand({
          TableName,
          Item: { ...factDeliveryKey(fact, delivery), ...result, channel: delivery.channel, eventId: fact.eventId, expiresAt: expiresAt() },
        }),
      );
    },

    async release(fact, delivery, token) {
      await unlessConditionFails(
        client.send(
          new DeleteCommand({
            TableName,
            Key: factDeliveryKey(fact, delivery),
            ConditionExpression: "claimToken = :token",
            ExpressionAttributeValues: { ":token": token },
          }),
        ),
      );
    },

    async recordSkipped(fact, reason) {
      await client.send(
        new PutCommand({
          TableName,
          Item: { pk: fact.partition, sk: `notice#${fact.key}#skipped`, status: "skipped", reason, eventId: fact.eventId, expiresAt: expiresAt() },
        }),
      );
    },
  };
}

/** Whether the invoice's latest recorded state (`invoice#in_…` / `state`) is paid. */
export async function invoiceRecordedPaid(table: { client: DynamoDBDocumentClient; tableName: string }, invoiceId: string): Promise<boolean> {
  const { Item } = await table.client.send(new GetCommand({ TableName: table.tableName, Key: { pk: `invoice#${invoiceId}`, sk: "state" }, ConsistentRead: true }));
  return Item?.status === "paid";
}

const invoiceFact = (notice: Notice): FactRef => ({ partition: invoiceKey(notice), key: noticeKey(notice), eventId: notice.eventId });

/** {@link NotificationStore} on the `notifications` table. */
export function dynamoNotificationStore(options: DynamoNotificationStoreOptions): NotificationStore {
  const { client, tableName: TableName, now } = options;
  const expiresAt = () => Math.floor(now() / 1000) + options.retentionSeconds;
  const claims = dynamoDeliveryClaims(options);

  return {
    async recordInvoiceState(notice) {
      const version = stateVersion(notice);
      const key = { pk: invoiceKey(notice), sk: "state" };
      const written = await unlessConditionFails(
        client.send(
          new UpdateCommand({
            TableName,
            Key: key,
            UpdateExpression:
              "SET #status = :status, version = :version, eventId = :eventId, eventCreated = :created, expiresAt = :expiresAt",
            // Equal versions pass: a redelivered event is as current as it was the first time.
            ConditionExpression: "attribute_not_exists(pk) OR version <= :version",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: {
              ":status": notice.kind,
              ":version": version,
              ":eventId": notice.eventId,
              ":created": notice.eventCreated,
              ":expiresAt": expiresAt(),
            },
          }),
        ),
      );
      if (written !== "condition-failed") return { current: true };
      const { Item } = await client.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }));
      return { current: false, latest: { status: Item?.status, version: Item?.version, eventId: Item?.eventId } };
    },

    claimDelivery: (notice, delivery) => claims.claim(invoiceFact(notice), delivery),
    completeDelivery: (notice, delivery, result) => claims.complete(invoiceFact(notice), delivery, result),
    releaseDelivery: (notice, delivery, token) => claims.release(invoiceFact(notice), delivery, token),
    recordSkipped: (notice, reason) => claims.recordSkipped(invoiceFact(notice), reason),
  };
}
