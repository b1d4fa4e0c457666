/**
 * Profile changes on the `profiles` table, each one conditional on the stored version so that
 * duplicates are no-ops, older events never overwrite newer state, and a deletion is final.
 *
 * Stored beside the profile fields: `stripeVersion` (the version of the last change applied),
 * `syncedEventId`, `account` (Connect), and on a tombstone `deleted: true` and
 * `pendingEndpointDeletes` (SNS endpoints still to delete; emptied once they are gone).
 */
import { unlessConditionFails } from "../common/conditional.ts";
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { RetryableError } from "../common/errors.ts";
import type { ProfileTable } from "../common/profiles.ts";
import { CONTACT_STUB_ATTRIBUTES } from "./contact.ts";
import type { ProfileChange, SyncedFields } from "./sync.ts";

export type ApplyResult =
  | { readonly kind: "applied" }
  /** A newer change (or the deletion) is already stored. */
  | { readonly kind: "stale"; readonly storedVersion: number | undefined; readonly deleted: boolean }
  /** The stored profile belongs to another Connect account: the event is not about this customer. */
  | { readonly kind: "other-account" };

export type EraseResult = ApplyResult & { readonly pendingEndpoints?: readonly string[] };

const SYNCED: ReadonlyArray<keyof SyncedFields> = ["email", "name", "locale", "loyaltyCustomerId"];
/** What an erase removes: everything personal, and the devices (their endpoints are deleted too). */
const PERSONAL = [...SYNCED, "devices", "pushEndpoints"] as const;

function accountCondition(change: ProfileChange, values: Record<string, unknown>): string {
  if (change.account === undefined) return "attribute_not_exists(account)";
  values[":account"] = change.account;
  return "(attribute_not_exists(account) OR account = :account)";
}

/** The profile changed between our read and our write (a device came or went): try again. */
export class ProfileChangedError extends RetryableError {
  override name = "ProfileChangedError";
}

async function whyRefused(table: ProfileTable, change: ProfileChange): Promise<ApplyResult> {
  const { Item } = await table.client.send(new GetCommand({ TableName: table.tableName, Key: { pk: change.customerId }, ConsistentRead: true }));
  if (Item && (Item.account ?? undefined) !== change.account) return { kind: "other-account" };
  const storedVersion = Item?.stripeVersion as number | undefined;
  const deleted = Item?.deleted === true;
  if ((storedVersion !== undefined && storedVersion > change.version) || (deleted && change.kind === "sync")) {
    return { kind: "stale", storedVersion, deleted };
  }
  throw new ProfileChangedError(`profile of ${change.customerId} changed while ${change.eventId} was applied`);
}

/** The profile store the sync core needs. */
export interface ProfileSyncStore {
  apply(change: ProfileChange & { kind: "sync" }): Promise<ApplyResult>;
  /** Erases the profile; resolves with the endpoints to delete (also those of an earlier, unfinished erase). */
  erase(change: ProfileChange & { kind: "erase" }): Promise<EraseResult>;
  /** Forgets endpoints that have been deleted from SNS. */
  endpointsDeleted(customerId: string, endpoints: readonly string[]): Promise<void>;
}

/** {@link ProfileSyncStore} on DynamoDB. */
export function dynamoProfileSyncStore(table: ProfileTable, now: () => number = Date.now): ProfileSyncStore {
  const { client, tableName: TableName } = table;
  return {
    async apply(change) {
      const values: Record<string, unknown> = { ":version": change.version, ":eventId": change.eventId, ":customerId": change.customerId, ":syncedAt": now() };
      const names: Record<string, string> = {};
      const set = ["customerId = :customerId", "stripeVersion = :version", "syncedEventId = :eventId", "syncedAt = :syncedAt"];
      // A contact stub (contact.ts) is replaced whole: its bookkeeping goes with it.
      const remove: string[] = [...CONTACT_STUB_ATTRIBUTES];
      for (const field of SYNCED) {
        names[`#${field}`] = field;
        const value = change.fields[field];
        if (value === undefined) remove.push(`#${field}`);
        else {
          values[`:${field}`] = value;
          set.push(`#${field} = :${field}`);
        }
      }
      if (change.account !== undefined) set.push("account = :account");
      const condition =
        `attribute_not_exists(deleted) AND (attribute_not_exists(stripeVersion) OR stripeVersion <= :version) AND ` +
        accountCondition(change, values);
      const written = await unlessConditionFails(
        client.send(
          new UpdateCommand({
            TableName,
            Key: { pk: change.customerId },
            UpdateExpression: `SET ${set.join(", ")} REMOVE ${remove.join(", ")}`,
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
      return written === "condition-failed" ? whyRefused(table, change) : { kind: "applied" };
    },

    async erase(change) {
      const key = { pk: change.customerId };
      const { Item } = await client.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }));
      const devices = Object.values((Item?.devices ?? {}) as Record<string, { endpointArn?: string }>).flatMap((d) => (d.endpointArn ? [d.endpointArn] : []));
      const pending = [...new Set([...((Item?.pendingEndpointDeletes as string[] | undefined) ?? []), ...((Item?.pushEndpoints as string[] | undefined) ?? []), ...devices])];
      const revision = (Item?.devicesRevision as number | undefined) ?? 0;
      const values: Record<string, unknown> = {
        ":version": change.version, ":eventId": change.eventId, ":true": true, ":customerId": change.customerId, ":syncedAt": now(), ":revision": revision,
      };
      const names = Object.fromEntries(PERSONAL.map((field) => [`#${field}`, field]));
      const set = ["customerId = :customerId", "stripeVersion = :version", "syncedEventId = :eventId", "deleted = :true", "syncedAt = :syncedAt"];
      if (change.account !== undefined) set.push("account = :account");
      // The endpoints to delete are written with the erase itself, so no crash can lose them; the
      // revision check makes sure no device was registered between the read and the write.
      if (pending.length > 0) {
        values[":pending"] = pending;
        set.push("pendingEndpointDeletes = :pending");
      }
      const condition =
        `(attribute_not_exists(stripeVersion) OR stripeVersion <= :version) AND ` +
        `(attribute_not_exists(devicesRevision) AND :revision = :zero OR devicesRevision = :revision) AND ` +
        accountCondition(change, values);
      values[":zero"] = 0;
      const written = await unlessConditionFails(
        client.send(
          new UpdateCommand({
            TableName,
            Key: key,
            UpdateExpression: `SET ${set.join(", ")} REMOVE ${[...PERSONAL.map((field) => `#${field}`), ...CONTACT_STUB_ATTRIBUTES].join(", ")}`,
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
      if (written === "condition-failed") return whyRefused(table, change);
      return { kind: "applied", pendingEndpoints: pending };
    },

    async endpointsDeleted(customerId, endpoints) {
      const { Item } = await client.send(new GetCommand({ TableName, Key: { pk: customerId }, ConsistentRead: true }));
      const left = ((Item?.pendingEndpointDeletes as string[] | undefined) ?? []).filter((arn) => !endpoints.includes(arn));
      await client.send(
        new UpdateCommand({
          TableName,
          Key: { pk: customerId },
          UpdateExpression: left.length > 0 ? "SET pendingEndpointDeletes = :left" : "REMOVE pendingEndpointDeletes",
          ...(left.length > 0 ? { ExpressionAttributeValues: { ":left": left } } : {}),
        }),
      );
    },
  };
}
