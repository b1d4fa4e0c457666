/**
 * The address fallback: a customer paybus has no profile for yet (paybus deployed after the customer
 * was created, or the `customer.*` events not routed yet) can still be written to, with the address
 * Stripe already put on a payment object — invoice `customer_email`, charge `receipt_email` /
 * `billing_details.email`, PaymentIntent `receipt_email`, Checkout `customer_details.email`.
 *
 * Design: the consumer that sees such an event writes a **contact stub**, a profile holding only
 * the customer id, that address (and the Connect account), conditionally on no item existing for the
 * customer. So:
 * - a profile synced from `customer.*` events (or a tombstone of a deleted customer) always wins: the
 *   stub is never written over it, and the next `customer.created`/`customer.updated` replaces the
 *   stub whole (it has no `stripeVersion`, so the sync's out-of-order guard lets any version in);
 * - `customer.deleted` erases it like any profile;
 * - the readers (engagement emails, lifecycle notices, the device API) need no change, and the
 *   address never travels in a workflow execution's input or history, where no erasure reaches.
 *
 * Guests (no `cus_…` on the object) get no stub: there is no key a later sync or erasure could find,
 * and the receipt paths that need an address read it from the event itself (the invoice notices use
 * `customer_email` at send time).
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DecodedMessage } from "../../events/parse.ts";
import type { KnownEventType } from "../../events/stripe-event.ts";
import type { ProfileTable } from "../common/profiles.ts";

/** Which field of which object the address came from (stored on the stub, for the operator). */
export type ContactSource =
  | "invoice.customer_email"
  | "charge.receipt_email"
  | "charge.billing_details.email"
  | "payment_intent.receipt_email"
  | "checkout.customer_details.email";

/** An address for a Stripe customer, taken from an event. */
export interface ContactStub {
  readonly customerId: string;
  readonly email: string;
  /** The Connect account (`detail.account`); undefined for the platform's own customers. */
  readonly account: string | undefined;
  readonly source: ContactSource;
  readonly eventId: string;
}

type Candidate = readonly [string | null | undefined, ContactSource];

/** The addresses an object carries, most specific first (the one Stripe sends receipts to first). */
function candidates(object: { readonly object?: unknown } & Record<string, any>): readonly Candidate[] {
  switch (object.object) {
    case "invoice":
      return [[object.customer_email, "invoice.customer_email"]];
    case "charge":
      return [
        [object.receipt_email, "charge.receipt_email"],
        [object.billing_details?.email, "charge.billing_details.email"],
      ];
    case "payment_intent":
      return [[object.receipt_email, "payment_intent.receipt_email"]];
    case "checkout.session":
      return [[object.customer_details?.email, "checkout.customer_details.email"]];
    default:
      return [];
  }
}

/**
 * The contact stub an event offers, or undefined (thin event, guest, no address). Addresses were
 * validated when the event was decoded (`contactEmail`): a malformed one is already `null`.
 */
export function contactOf(message: DecodedMessage<KnownEventType>): ContactStub | undefined {
  if (message.kind === "thin") return undefined;
  const object = message.object as { readonly object?: unknown; readonly customer?: unknown } & Record<string, any>;
  const customerId = object.customer;
  if (typeof customerId !== "string" || !customerId.startsWith("cus_")) return undefined;
  const found = candidates(object).find(([email]) => typeof email === "string" && email.length > 0);
  if (!found) return undefined;
  return { customerId, email: found[0]!, account: message.event.account, source: found[1], eventId: message.event.id };
}

/** What writing a contact stub found. */
export type ContactWrite =
  | { readonly outcome: "stored" }
  | {
      readonly outcome: "exists";
      /**
       * The customer's item as the failed write found it (read it with `profileFromItem`), so that
       * a consumer needing the profile next does not read it again; undefined when not returned.
       */
      readonly item: Record<string, unknown> | undefined;
    };

/** Writes contact stubs; `stored`, or `exists` when the customer already has an item. */
export type ContactStore = (stub: ContactStub) => Promise<ContactWrite>;

/**
 * {@link ContactStore} on the `profiles` table: one conditional `UpdateItem` on `cus_…`
 * (`attribute_not_exists(pk)`), so it can only create, never change, a profile. When the customer
 * has an item, the failed condition answers with it (`ReturnValuesOnConditionCheckFailure`), a
 * strongly consistent read that costs no request of its own.
 */
export function dynamoContactStore(table: ProfileTable, now: () => number = Date.now): ContactStore {
  return async (stub) => {
    const values: Record<string, unknown> = {
      ":customerId": stub.customerId, ":email": stub.email, ":source": stub.source, ":eventId": stub.eventId, ":at": now(),
    };
    const set = ["customerId = :customerId", "email = :email", "contactSource = :source", "contactEventId = :eventId", "contactAt = :at"];
    if (stub.account !== undefined) {
      values[":account"] = stub.account;
      set.push("account = :account");
    }
    try {
      await table.client.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: { pk: stub.customerId },
          UpdateExpression: `SET ${set.join(", ")}`,
          ConditionExpression: "attribute_not_exists(pk)",
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { outcome: "stored" };
    } catch (error) {
      // The Document client leaves errors marshalled: the item is unmarshalled as its outputs are.
      if (error instanceof ConditionalCheckFailedException) return { outcome: "exists", item: error.Item && unmarshall(error.Item) };
      throw error;
    }
  };
}

/** The stub's bookkeeping attributes, which a sync from `customer.*` events removes with the stub. */
export const CONTACT_STUB_ATTRIBUTES = ["contactSource", "contactEventId", "contactAt"] as const;

/** How many customers {@link rememberingContactStore} remembers by default (a few hundred KiB at most). */
export const REMEMBERED_CONTACTS = 10_000;

/**
 * A {@link ContactStore} that skips the write for a customer it has seen with an item: the
 * conditional create can only fail for them, so skipping it changes nothing in the table and saves
 * one request per payment of a returning customer. Exact because paybus never deletes a profile
 * item (a deleted customer keeps a tombstone, `functions/customers/sync.ts`); only an item deleted
 * by hand is not seen by an execution environment that remembers its customer, until that
 * environment ends. Remembered per execution environment (module scope), the oldest forgotten past
 * `capacity`. Answers `exists` without the item: for consumers that do not read the profile next
 * (the loyalty consumer); one that does (notifications) uses the plain store, whose failed write
 * answers with the item.
 */
export function rememberingContactStore(store: ContactStore, capacity: number = REMEMBERED_CONTACTS): ContactStore {
  const known = new Set<string>();
  const remember = (customerId: string) => {
    known.add(customerId);
    if (known.size > capacity) known.delete(known.values().next().value!);
  };
  return async (stub) => {
    if (known.has(stub.customerId)) return { outcome: "exists", item: undefined };
    const written = await store(stub);
    remember(stub.customerId);
    return written;
  };
}
