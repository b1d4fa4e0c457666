/**
 * The deployment plan: the routing, table and workflow declarations turned into plain data that
 * says which queues, dead-letter queues, rules, targets, tables, functions, state machines, grants
 * and alarms one stage gets.
 *
 * Pure on purpose (no SST or Pulumi import; the one read is a state machine's ASL file): the SST
 * stacks only turn each entry into resources, the local runtime interprets the same entries, and
 * `test/infra/` checks the mapping — a DLQ for every queue, partial batch responses for every
 * consumer, least privilege for every function — without an AWS account. Values known only at
 * deploy time (ARNs, names, the region) appear as {@link Template}s the stacks resolve.
 *
 * This module is the plan's public surface; the parts live in `stacks/plan/`:
 * - declarations: `declarations.ts` (what the plan reads), `constants.ts` (fixed names and values);
 * - shapes: `shapes.ts` (the plan's data types);
 * - derivation: `names.ts` (component names), `access.ts` (grants and environment per linked
 *   resource), `routing.ts` (rules, queues), `functions.ts` (every function, its environment and
 *   grants), `alarms.ts`, `build.ts` (`buildPlan` composes them);
 * - deploy time: `deploy.ts` (queue policies, rendered state machine definitions).
 */
export {
  DEVICE_API,
  EMAIL_FROM_ENV,
  EVENT_BUS_NAME_ENV,
  EXPECTED_LIVEMODE_ENV,
  LAMBDA_ARCHITECTURE,
  LAMBDA_RUNTIME,
  LOYALTY_API,
  METRICS_NAMESPACE,
  NOTIFICATION_DELAY_METRIC,
  POINTS_COMMIT_ALARM_MS,
  POINTS_COMMIT_DELAY_METRIC,
  PROMOTIONS_API,
  PUSH_APPLICATIONS_ENV,
  STRIPE_API_KEY_SECRET_ID_ENV,
  WEBHOOK_BRIDGE,
  WEBHOOK_RESERVED_CONCURRENCY,
  WEBHOOK_SECRET_ID_ENV,
} from "./plan/constants.ts";
export { declarations, PlanError, type Declarations } from "./plan/declarations.ts";
export type {
  AlarmPlan,
  BusPlan,
  FunctionPlan,
  GrantPlan,
  InfraPlan,
  Part,
  PolicyStatement,
  QueuePlan,
  ResourceRef,
  RulePlan,
  ScheduleExpression,
  SecretName,
  StateMachinePlan,
  TablePlan,
  Template,
  TargetPlan,
  TriggerPlan,
} from "./plan/shapes.ts";
export { eventArchiveName, pascalCase, resourceLogicalName, stateMachineArnEnvVar } from "./plan/names.ts";
export { accessRefs, DEVICE_REGISTER_ACTIONS, START_EXECUTION_ACTIONS, TABLE_ACTIONS, TASK_TOKEN_ACTIONS } from "./plan/access.ts";
export { buildPlan } from "./plan/build.ts";
export { queuePolicy, renderDefinition } from "./plan/deploy.ts";
