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
import { unlessConditionFails } from "../common/conditional.ts";
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { noticeKey, stateVersion, type Delivery, type Notice } from "./notice.ts";
import { assertTimeToSend, type InvocationBounds } from "../common/invocation.ts";

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

/** The key of one send record. */
export interface SendRecordKey {
  readonly pk: string;
  readonly sk: string;
}

/** Claim, complete and release of send records keyed directly (see {@link dynamoLeasedClaims}). */
export interface LeasedClaims {
  /**
   * Claims the send unless it is done or another attempt's lease is live; `attributes` are stored
   * with the claim. The lease ends at `leaseUntil` (epoch ms) when given, else `leaseSeconds` from now.
   */
  claim(key: SendRecordKey, attributes: Readonly<Record<string, unknown>>, leaseUntil?: number): Promise<Claim>;
  /** Records how the send ended, whoever holds the claim now (the send happened). */
  complete(key: SendRecordKey, item: Readonly<Record<string, unknown>>): Promise<void>;
  /** Gives the claim back, only while `token` still holds it. */
  release(key: SendRecordKey, token: string): Promise<void>;
}

export interface LeasedClaimsOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long a claim holds: at least the longest a sending invocation can live (its function timeout). */
  readonly leaseSeconds: number;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /**
   * The running invocation, when known: a claim is taken only with time left to send and record
   * (else `InvocationEndingError`, nothing claimed; see `functions/common/invocation.ts`).
   */
  readonly invocation?: InvocationBounds | undefined;
}

/**
 * Lease-based send claims on any table: `UpdateItem` to claim (status `sending`, `leaseUntil`,
 * `claimToken`) when absent or when a dead attempt's lease ran out, `GetItem` to tell a finished
 * send from a live one, `PutItem` to complete and a conditional `DeleteItem` to release. Shared by
 * the notification sends and the engagement emails.
 */
export function dynamoLeasedClaims(options: LeasedClaimsOptions): LeasedClaims {
  const { client, tableName: TableName, now } = options;
  return {
    async claim(key, attributes, leaseUntil) {
      // Named by its partition only: a push claim's sort key holds the device's endpoint.
      assertTimeToSend(options.invocation, `a send under ${key.pk}`);
      const token = randomUUID();
      const names: Record<string, string> = { "#status": "status" };
      const values: Record<string, unknown> = {
        ":sending": "sending",
        ":leaseUntil": leaseUntil ?? now() + options.leaseSeconds * 1000,
        ":now": now(),
        ":token": token,
      };
      const sets = ["#status = :sending", "leaseUntil = :leaseUntil", "claimToken = :token"];
      Object.entries(attributes).forEach(([name, value], i) => {
        names[`#a${i}`] = name;
        values[`:a${i}`] = value;
        sets.push(`#a${i} = :a${i}`);
      });
      const claimed = await unlessConditionFails(
        client.send(
          new UpdateCommand({
            TableName,
            Key: key,
            UpdateExpression: `SET ${sets.join(", ")}`,
            ConditionExpression: "attribute_not_exists(pk) OR (#status = :sending AND leaseUntil < :now)",
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
      if (claimed !== "condition-failed") return { kind: "claimed", token };
      const { Item } = await client.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }));
      // Gone again (released meanwhile) or still sending: either way another attempt is on it.
      if (Item?.status === "sent" || Item?.status === "undeliverable") return { kind: "done", status: Item.status };
      return { kind: "busy" };
    },

    async complete(key, item) {
      // Unconditional: even if our lease ran out and someone else claimed the send, it did happen.
      await client.send(new PutCommand({ TableName, Item: { ...item, ...key } }));
    },

    async release(key, token) {
      await unlessConditionFails(
        client.send(
          new DeleteCommand({
            TableName,
            Key: key,
            ConditionExpression: "claimToken = :token",
            ExpressionAttributeValues: { ":token": token },
          }),
        ),
      );
    },
  };
}

/** The send records of {@link DeliveryClaims} on the `notifications` table. */
export function dynamoDeliveryClaims(options: DynamoNotificationStoreOptions): DeliveryClaims {
  const { client, tableName: TableName, now } = options;
  const expiresAt = () => Math.floor(now() / 1000) + options.retentionSeconds;
  const leased = dynamoLeasedClaims(options);
  return {
    claim: (fact, delivery) =>
      leased.claim(factDeliveryKey(fact, delivery), { channel: delivery.channel, eventId: fact.eventId, expiresAt: expiresAt() }),
    complete: (fact, delivery, result) =>
      leased.complete(factDeliveryKey(fact, delivery), { ...result, channel: delivery.channel, eventId: fact.eventId, expiresAt: expiresAt() }),
    release: (fact, delivery, token) => leased.release(factDeliveryKey(fact, delivery), token),

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
