/**
 * Component names: every resource of the plan gets one SST component name, derived here only.
 */
import type { TableName } from "../../declarations/rules.ts";
import type { ResourceRef } from "./shapes.ts";

/** `"followup-dispatch"` → `"FollowupDispatch"`: SST component names are PascalCase. */
export function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== "")
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join("");
}

export const tableLogicalName = (table: TableName) => `${pascalCase(table)}Table`;
export const queueLogicalName = (queue: string) => `${pascalCase(queue)}Queue`;
export const deadLetterLogicalName = (queue: string) => `${pascalCase(queue)}Dlq`;
export const consumerLogicalName = (queue: string) => `${pascalCase(queue)}Consumer`;
export const stateMachineLogicalName = (name: string) => `${pascalCase(name)}StateMachine`;
export const PUSH_APPLICATION = "PushApplication";
export const ROUTING_DLQ = "RoutingDlq";
export const EMAIL_IDENTITY = "EmailIdentity";
export const BUS = "EventBus";
export const EVENT_ARCHIVE = "EventArchive";
/** The archive's physical name, from the resources' name prefix (`<app>-<stage>` deployed, the runtime's prefix locally). */
export const eventArchiveName = (prefix: string) => `${prefix}-events`;
export const WEBHOOK_SECRET = "WebhookSecret";
export const STRIPE_API_KEY_SECRET = "StripeApiKeySecret";

/** The component name of the resource `ref` points at. */
export function resourceLogicalName(ref: ResourceRef): string {
  switch (ref.kind) {
    case "table":
      return tableLogicalName(ref.table);
    case "stateMachine":
    case "taskTokens":
      return stateMachineLogicalName(ref.stateMachine);
    case "emailIdentity":
      return EMAIL_IDENTITY;
    case "pushApplication":
    case "deviceEndpoints":
      return PUSH_APPLICATION;
    case "bus":
      return BUS;
    case "webhookSecret":
      return WEBHOOK_SECRET;
    case "stripeApiKey":
      return STRIPE_API_KEY_SECRET;
    case "queue":
      return ref.queue;
  }
}

/** `LoyaltyConsumerLoyaltyTableAccess`: one grant per function and resource, never shared. */
export const grantLogicalName = (fn: string, ref: ResourceRef) =>
  `${fn}${resourceLogicalName(ref)}${ref.kind === "taskTokens" ? "TaskTokens" : ref.kind === "deviceEndpoints" ? `Endpoint${pascalCase(ref.mode)}` : ""}Access`;

// Named where the functions read it.
export { stateMachineArnEnvVar } from "../../functions/common/environment.ts";
