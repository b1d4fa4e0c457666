/**
 * The plan of one stage, composed from its parts: routing, functions and their grants, tables,
 * state machines, secrets, alarms; then checked for name clashes.
 */
import type { StateMachineName, TableName } from "../../declarations/rules.ts";
import type { TableDeclaration } from "../../functions/common/tables.ts";
import type { StateMachineDeclaration } from "../../workflows/index.ts";
import { emailIdentitiesOf, type StageConfig } from "../stage-config.ts";
import { alarmsFor } from "./alarms.ts";
import { DLQ_RETENTION_SECONDS } from "./constants.ts";
import { declarations, PlanError, type Declarations } from "./declarations.ts";
import { functionSpecs, planFunctions, type FunctionSpec } from "./functions.ts";
import { BUS, EMAIL_IDENTITY, EVENT_ARCHIVE, PUSH_APPLICATION, ROUTING_DLQ, STRIPE_API_KEY_SECRET, stateMachineLogicalName, tableLogicalName, WEBHOOK_SECRET } from "./names.ts";
import { planQueues, planRules } from "./routing.ts";
import type { InfraPlan, SecretName, StateMachinePlan, TablePlan } from "./shapes.ts";

/**
 * The infrastructure of one stage.
 *
 * @throws PlanError when a declaration points at something undeclared or two resources would
 *   share a name.
 */
export function buildPlan(stage: StageConfig, decl: Declarations = declarations): InfraPlan {
  const rules = planRules(decl);
  const queues = planQueues(decl, rules);
  const specs = functionSpecs(decl, stage);
  const secrets = secretsFor(stage, specs);
  const { functions, grants } = planFunctions(specs, decl, stage);

  const plan: InfraPlan = {
    bus: {
      kind: stage.bus.kind,
      ...(stage.bus.kind === "partner" ? { existingName: stage.bus.eventSourceName } : {}),
      archive: { logicalName: EVENT_ARCHIVE, retentionDays: stage.archiveRetentionDays },
    },
    tables: planTables(decl, stage),
    queues,
    routingDeadLetterQueue: { logicalName: ROUTING_DLQ, retentionSeconds: DLQ_RETENTION_SECONDS },
    rules,
    functions,
    stateMachines: planStateMachines(decl),
    grants,
    secrets,
    webhookSecret: secrets.includes("StripeWebhookSecrets") ? { logicalName: WEBHOOK_SECRET, valueFrom: "StripeWebhookSecrets" } : undefined,
    stripeApiKey: secrets.includes("StripeApiKey") ? { logicalName: STRIPE_API_KEY_SECRET, valueFrom: "StripeApiKey" } : undefined,
    email: { from: stage.emailFrom, identity: emailIdentitiesOf(stage)[0]! },
    push: stage.push ? { logicalName: PUSH_APPLICATION, platform: stage.push.platform } : undefined,
    alarms: alarmsFor(queues, functions, stage),
    alarmEmail: stage.alarmEmail,
  };
  assertUniqueNames(plan);
  return plan;
}

/** The `sst.Secret`s the stage needs set: webhook signing secrets, push credentials, the Stripe key. */
function secretsFor(stage: StageConfig, specs: readonly FunctionSpec[]): SecretName[] {
  const secrets: SecretName[] = [];
  if (stage.bus.kind === "custom") secrets.push("StripeWebhookSecrets");
  if (stage.push) {
    secrets.push("PushPlatformCredential");
    if (stage.push.platform !== "GCM") secrets.push("PushPlatformPrincipal");
  }
  // A function applying rewards in Stripe reads the key from a secret filled from `StripeApiKey`.
  if (specs.some((spec) => spec.access.stripeApiKey)) secrets.push("StripeApiKey");
  return secrets;
}

function planTables(decl: Declarations, stage: StageConfig): TablePlan[] {
  return (Object.entries(decl.tables) as [TableName, TableDeclaration][]).map(([table, t]) => ({
    table,
    logicalName: tableLogicalName(table),
    description: t.description,
    envVar: t.envVar,
    partitionKey: t.partitionKey,
    ...(t.sortKey ? { sortKey: t.sortKey } : {}),
    ...(t.ttlAttribute ? { ttlAttribute: t.ttlAttribute } : {}),
    billingMode: "PAY_PER_REQUEST",
    pointInTimeRecovery: true,
    deletionProtection: stage.retain,
  }));
}

function planStateMachines(decl: Declarations): StateMachinePlan[] {
  return (Object.entries(decl.stateMachines) as [StateMachineName, StateMachineDeclaration][]).map(([name, machine]) => ({
    stateMachine: name,
    logicalName: stateMachineLogicalName(name),
    description: machine.description,
    definitionFile: machine.definitionFile,
    functions: Object.keys(machine.functions),
    type: machine.type,
  }));
}

/** SST component names are global to the app: two resources with one name would collide. */
function assertUniqueNames(plan: InfraPlan): void {
  const names = [
    BUS,
    plan.bus.archive.logicalName,
    EMAIL_IDENTITY,
    ...(plan.push ? [plan.push.logicalName] : []),
    plan.routingDeadLetterQueue.logicalName,
    ...(plan.webhookSecret ? [plan.webhookSecret.logicalName] : []),
    ...(plan.stripeApiKey ? [plan.stripeApiKey.logicalName] : []),
    ...plan.tables.map((table) => table.logicalName),
    ...plan.queues.flatMap((queue) => [queue.logicalName, queue.deadLetter.logicalName]),
    ...plan.rules.map((rule) => rule.name),
    ...plan.functions.map((fn) => fn.logicalName),
    ...plan.stateMachines.map((machine) => machine.logicalName),
    ...plan.grants.map((grant) => grant.logicalName),
    ...plan.secrets,
    ...plan.alarms.map((alarm) => alarm.logicalName),
  ];
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new PlanError(`two resources would be named "${name}"`);
    seen.add(name);
  }
}
