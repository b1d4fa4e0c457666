/**
 * The shapes of the lifecycle projection (`local/lifecycle.ts`) that views share. This module
 * imports nothing, so the dashboard's browser code can use the same types.
 */

/** Where one event stands, as a whole. */
export type EventStatus = "rejected" | "unmatched" | "in-flight" | "retrying" | "dlq" | "discarded" | "done";

/** Where one event stands at one target of one of its rules. */
export type DestinationState = "pending" | "queued" | "retrying" | "consumed" | "dlq" | "redriven" | "discarded" | "delivered" | "target-dlq";

export interface Destination {
  /** The rules that sent the event here (several rules may share a target). */
  readonly rules: string[];
  readonly kind: "queue" | "stateMachine";
  /** Queue or state machine name, as declared in `declarations/rules.ts`. */
  readonly target: string;
  readonly state: DestinationState;
  /** Consumer attempts so far (queues only). */
  readonly attempts: number;
}
