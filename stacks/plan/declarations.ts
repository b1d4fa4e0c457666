/**
 * What the plan is generated from: the routing, table, workflow and function declarations, read
 * through one structural interface so tests can pass variations of the real ones.
 */
import {
  deviceApi as declaredDeviceApi,
  promotionsApi as declaredPromotionsApi,
  loyaltyApi as declaredLoyaltyApi,
  queues as declaredQueues,
  ruleList,
  webhookBridge as declaredWebhookBridge,
  type FunctionDeclaration,
  type QueueDeclaration,
  type RuleDeclaration,
  type StateMachineName,
  type TableName,
} from "../../declarations/rules.ts";
import { tables as declaredTables, type TableDeclaration } from "../../functions/common/tables.ts";
import {
  scheduledFunctions as declaredScheduled,
  stateMachines as declaredStateMachines,
  type ScheduledFunctionDeclaration,
  type StateMachineDeclaration,
} from "../../workflows/index.ts";

/** Everything the plan is generated from. */
export interface Declarations {
  readonly rules: readonly RuleDeclaration[];
  readonly queues: Readonly<Record<string, QueueDeclaration>>;
  readonly tables: Readonly<Record<TableName, TableDeclaration>>;
  readonly stateMachines: Readonly<Record<StateMachineName, StateMachineDeclaration>>;
  readonly scheduledFunctions: Readonly<Record<string, ScheduledFunctionDeclaration>>;
  readonly webhookBridge: FunctionDeclaration;
  /** The device API (`functions/devices`), behind an IAM-authenticated function URL. */
  readonly deviceApi?: FunctionDeclaration;
  /** The promotions API (`functions/promotions`), behind an IAM-authenticated function URL. */
  readonly promotionsApi?: FunctionDeclaration;
  /** The loyalty API (`functions/loyalty-api`), behind an IAM-authenticated function URL. */
  readonly loyaltyApi?: FunctionDeclaration;
}

/** The declarations paybus ships. */
export const declarations: Declarations = {
  rules: ruleList,
  queues: declaredQueues,
  tables: declaredTables,
  stateMachines: declaredStateMachines,
  scheduledFunctions: declaredScheduled,
  webhookBridge: declaredWebhookBridge,
  deviceApi: declaredDeviceApi,
  promotionsApi: declaredPromotionsApi,
  loyaltyApi: declaredLoyaltyApi,
};

/** The declarations and the stage do not fit together (a dangling reference, a name clash). */
export class PlanError extends Error {
  override name = "PlanError";
}
