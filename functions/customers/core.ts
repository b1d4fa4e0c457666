/**
 * Customer profile sync: one `customer.*` event in, the profile brought up to date (or erased)
 * out. The decisions are `sync.ts`; this module sequences the store and the endpoint deletions.
 */
import { decodeStripeMessage } from "../../events/parse.ts";
import type { ProfileSyncStore } from "./store.ts";
import { CUSTOMER_EVENT_TYPES, toProfileChange, type ProfileChange } from "./sync.ts";

/** What became of one event (no personal data: safe to log). */
export type SyncOutcome =
  | { readonly kind: "ignored"; readonly eventId: string; readonly reason: string }
  | { readonly kind: "synced"; readonly customerId: string; readonly eventId: string; readonly fields: readonly string[] }
  | { readonly kind: "erased"; readonly customerId: string; readonly eventId: string; readonly endpointsDeleted: number }
  | { readonly kind: "stale"; readonly customerId: string; readonly eventId: string; readonly reason: string };

export interface SyncDependencies {
  readonly store: ProfileSyncStore;
  /** Deletes an SNS platform endpoint; resolves when it is gone (already gone counts). */
  readonly deleteEndpoint: (endpointArn: string) => Promise<void>;
  readonly report: (outcome: SyncOutcome) => void;
}

function staleReason(change: ProfileChange, result: { kind: "stale"; storedVersion: number | undefined; deleted: boolean } | { kind: "other-account" }): string {
  if (result.kind === "other-account") return `the stored profile of ${change.customerId} belongs to another Connect account`;
  if (result.deleted) return "the customer was deleted";
  return `a newer state is stored (version ${result.storedVersion} > ${change.version})`;
}

/**
 * Handles one SQS message body.
 *
 * @throws EventContractError (poison) for a message that is not a valid customer event.
 * @throws RetryableError (or an AWS error) when the store or SNS failed; the retry resumes safely.
 */
export async function syncCustomer(body: string, deps: SyncDependencies): Promise<SyncOutcome> {
  const decoded = decodeStripeMessage(body, CUSTOMER_EVENT_TYPES);
  if (decoded.kind === "thin") {
    const outcome: SyncOutcome = { kind: "ignored", eventId: decoded.event.id, reason: `thin event ${decoded.event.type} carries no customer` };
    deps.report(outcome);
    return outcome;
  }
  const change = toProfileChange(decoded);
  const base = { customerId: change.customerId, eventId: change.eventId };
  let outcome: SyncOutcome;
  if (change.kind === "sync") {
    const result = await deps.store.apply(change);
    outcome = result.kind === "applied" ? { kind: "synced", ...base, fields: Object.keys(change.fields) } : { kind: "stale", ...base, reason: staleReason(change, result) };
  } else {
    const result = await deps.store.erase(change);
    if (result.kind !== "applied") {
      outcome = { kind: "stale", ...base, reason: staleReason(change, result) };
    } else {
      const endpoints = result.pendingEndpoints ?? [];
      // One by one, recording progress only at the end: DeleteEndpoint is idempotent, so a retry
      // after a partial failure simply deletes the rest again.
      for (const endpointArn of endpoints) await deps.deleteEndpoint(endpointArn);
      if (endpoints.length > 0) await deps.store.endpointsDeleted(change.customerId, endpoints);
      outcome = { kind: "erased", ...base, endpointsDeleted: endpoints.length };
    }
  }
  deps.report(outcome);
  return outcome;
}
