/**
 * The deployment plan: the routing, table and workflow declarations turned into plain data that
 * says which queues, dead-letter queues, rules, targets, tables, functions, state machines, grants
 * and alarms one stage gets.
 *
 * Pure on purpose (no SST or Pulumi import; the one read is a state machine's ASL file): the SST stacks only turn each entry into resources,
 * and `test/infra/` checks the mapping — a DLQ for every queue, partial batch responses for every
 * consumer, least privilege for every function — without an AWS account. Values known only at
 * deploy time (ARNs, names, the region) appear as {@link Template}s the stacks resolve.
 */
import {
  deviceApi as declaredDeviceApi,
  promotionsApi as declaredPromotionsApi,
  loyaltyApi as declaredLoyaltyApi,
  queues as declaredQueues,
  ruleList,
  webhookBridge as declaredWebhookBridge,
  type Access,
  type FunctionDeclaration,
  type QueueDeclaration,
  type RuleDeclaration,
  type StateMachineName,
  type TableAccess,
  type TableName,
} from "../events/rules.ts";
import { tables as declaredTables, type TableDeclaration } from "../functions/common/tables.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  resolvePlaceholders,
  scheduledFunctions as declaredScheduled,
  stateMachines as declaredStateMachines,
  type ScheduledFunctionDeclaration,
  type StateMachineDeclaration,
} from "../workflows/index.ts";
import { emailIdentitiesOf, StageConfigError, type BusConfig, type PushPlatform, type StageConfig } from "./stage-config.ts";

/** Lambda runtime and architecture of every paybus function. */
export const LAMBDA_RUNTIME = "nodejs22.x";
export const LAMBDA_ARCHITECTURE = "arm64";

/** CloudWatch namespace of paybus' own EMF metrics. */
export const METRICS_NAMESPACE = "paybus";
/** Seconds from Stripe's `detail.created` to a sent notification, per `channel` (functions/notifications/telemetry.ts). */
export const NOTIFICATION_DELAY_METRIC = "NotificationDelay";
const NOTIFICATION_CHANNELS = ["email", "push"] as const;

/** Component name of the webhook bridge function (deployed on custom-bus stages only). */
export const WEBHOOK_BRIDGE = "WebhookBridge";

/** Component name of the device API function (deployed where push is configured). */
export const DEVICE_API = "DeviceApi";

/** Component name of the promotions API function (every stage). */
export const PROMOTIONS_API = "PromotionsApi";

/** Milliseconds from Stripe's `detail.created` to the committed loyalty balance (functions/loyalty/core.ts). */
export const POINTS_COMMIT_DELAY_METRIC = "PointsCommitDelay";
/**
 * The `PointsCommitDelay` p95 alarm threshold, in ms. The promise is 200 ms from the Stripe event to
 * the committed balance, but Stripe's `created` has whole seconds: the measured figure is the true
 * delay plus up to 1,000 ms. 1,200 ms is the lowest threshold that never fires while the promise
 * holds; above it, at least 5% of commits certainly took longer than 200 ms. (It cannot detect a
 * breach hidden inside the 1 s uncertainty: `bench/loyalty.ts` measures the consumer's own part.)
 */
export const POINTS_COMMIT_ALARM_MS = 1_200;
/** Component name of the loyalty API function (every stage). */
export const LOYALTY_API = "LoyaltyApi";

/** The maximum SQS retention: a dead letter waits as long as possible for a human. */
const DLQ_RETENTION_SECONDS = 14 * 86_400;

// ---------------------------------------------------------------------------------------------
// Declarations the plan reads (structural, so tests can pass variations of the real ones).

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

// ---------------------------------------------------------------------------------------------
// Plan shapes.

/** A deployed resource a function may reach, or whose name/ARN it is told. */
export type ResourceRef =
  | { readonly kind: "table"; readonly table: TableName }
  | { readonly kind: "stateMachine"; readonly stateMachine: StateMachineName }
  /** The same state machine, for answering its task tokens rather than starting it. */
  | { readonly kind: "taskTokens"; readonly stateMachine: StateMachineName }
  | { readonly kind: "emailIdentity" }
  | { readonly kind: "pushApplication" }
  /**
   * The push application's device endpoints, managed rather than published to: `register`
   * (create, read, re-enable, delete: the device API) or `delete` (erasing a deleted customer).
   */
  | { readonly kind: "deviceEndpoints"; readonly mode: "register" | "delete" }
  | { readonly kind: "bus" }
  /** The Secrets Manager secret holding the Stripe webhook signing secrets (comma-separated). */
  | { readonly kind: "webhookSecret" }
  /** The Secrets Manager secret holding the Stripe API secret key (tier rewards). */
  | { readonly kind: "stripeApiKey" }
  /** A queue or dead-letter queue, by its logical name. */
  | { readonly kind: "queue"; readonly queue: string };

export type SecretName = "StripeWebhookSecrets" | "PushPlatformCredential" | "PushPlatformPrincipal" | "StripeApiKey";

/** One piece of a deploy-time string. */
export type Part =
  | string
  | { readonly nameOf: ResourceRef }
  | { readonly arnOf: ResourceRef }
  | { readonly secret: SecretName }
  | { readonly pseudo: "partition" | "region" | "accountId" };

/** A string the stacks assemble at deploy time by concatenating its parts. */
export type Template = readonly Part[];

export interface PolicyStatement {
  readonly actions: readonly string[];
  readonly resources: readonly Template[];
  readonly conditions?: readonly { readonly test: string; readonly variable: string; readonly values: readonly string[] }[];
}

/** What linking one resource allows one function: the stacks make each grant an `sst.Linkable`. */
export interface GrantPlan {
  readonly logicalName: string;
  /** The function the grant belongs to: grants are never shared, so each holds exactly what its function uses. */
  readonly function: string;
  readonly ref: ResourceRef;
  readonly statements: readonly PolicyStatement[];
}

export interface TablePlan {
  readonly table: TableName;
  readonly logicalName: string;
  readonly description: string;
  readonly envVar: string;
  readonly partitionKey: { readonly name: string; readonly type: "S" | "N" };
  readonly sortKey?: { readonly name: string; readonly type: "S" | "N" };
  readonly ttlAttribute?: string;
  readonly billingMode: "PAY_PER_REQUEST";
  readonly pointInTimeRecovery: true;
  readonly deletionProtection: boolean;
}

export interface QueuePlan {
  readonly queue: string;
  readonly logicalName: string;
  readonly context: string;
  readonly description: string;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  /** SSE-SQS: EventBridge cannot send to a queue encrypted with the AWS-managed KMS key. */
  readonly encryption: "SQS_MANAGED";
  readonly deadLetter: { readonly logicalName: string; readonly maxReceiveCount: number; readonly retentionSeconds: number };
  /** The function consuming the queue (a {@link FunctionPlan} logical name). */
  readonly consumer: string;
  /** Rules allowed to send to the queue (the queue policy's `aws:SourceArn`). */
  readonly senders: readonly string[];
}

export type TargetPlan =
  | { readonly kind: "queue"; readonly queue: string }
  | { readonly kind: "stateMachine"; readonly stateMachine: string };

export interface RulePlan {
  readonly name: string;
  readonly description: string;
  /** The event pattern exactly as AWS receives it. */
  readonly eventPattern: string;
  readonly target: TargetPlan;
  readonly retryPolicy: { readonly maximumRetryAttempts: number; readonly maximumEventAgeInSeconds: number };
  /** Where EventBridge puts events it could not deliver after the retry policy. */
  readonly deadLetterQueue: string;
}

/** An EventBridge schedule: `rate(5 minutes)` or `cron(0 9 * * ? *)`. */
export type ScheduleExpression = `rate(${string})` | `cron(${string})`;

const isScheduleExpression = (expression: string): expression is ScheduleExpression =>
  /^(rate|cron)\(.+\)$/.test(expression);

export type TriggerPlan =
  | {
      readonly kind: "queue";
      readonly queue: string;
      readonly batchSize: number;
      readonly batchingWindowSeconds: number;
      readonly maximumConcurrency: number;
      /** Always true: one bad record must never fail (or redeliver) its whole batch. */
      readonly reportBatchItemFailures: true;
    }
  | { readonly kind: "stateMachine"; readonly stateMachine: string }
  | { readonly kind: "schedule"; readonly scheduleExpression: ScheduleExpression }
  /** A function URL; `iam` requires SigV4-signed requests (`AWS_IAM`), otherwise anyone may call. */
  | { readonly kind: "url"; readonly auth?: "iam" };

export interface FunctionPlan {
  readonly logicalName: string;
  readonly context: string;
  readonly description: string;
  readonly handler: string;
  readonly runtime: typeof LAMBDA_RUNTIME;
  readonly architecture: typeof LAMBDA_ARCHITECTURE;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly environment: Readonly<Record<string, Template>>;
  /** Grants ({@link GrantPlan} logical names) linked to the function: everything it may reach. */
  readonly links: readonly string[];
  readonly trigger: TriggerPlan;
  /** Reserved concurrency: a cap on simultaneous executions (the public function URL's flood guard). */
  readonly reservedConcurrency?: number;
}

export interface StateMachinePlan {
  readonly stateMachine: StateMachineName;
  readonly logicalName: string;
  readonly description: string;
  readonly definitionFile: string;
  /** Functions the definition invokes (their `${LogicalName}` placeholders). */
  readonly functions: readonly string[];
  readonly type: StateMachineDeclaration["type"];
}

export interface AlarmPlan {
  readonly logicalName: string;
  readonly description: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, Template>>;
  readonly statistic: { readonly kind: "statistic"; readonly name: "Sum" | "Maximum" } | { readonly kind: "percentile"; readonly name: `p${number}` };
  readonly comparison: "GreaterThanThreshold";
  readonly threshold: number;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  /** A missing datapoint means nothing happened, which is healthy for every paybus alarm. */
  readonly treatMissingData: "notBreaching";
}

export interface BusPlan {
  readonly kind: BusConfig["kind"];
  /** The partner event bus to reference; absent when paybus creates the bus. */
  readonly existingName?: string;
  readonly archive: { readonly logicalName: string; readonly retentionDays: number };
}

export interface InfraPlan {
  readonly bus: BusPlan;
  readonly tables: readonly TablePlan[];
  readonly queues: readonly QueuePlan[];
  readonly routingDeadLetterQueue: { readonly logicalName: string; readonly retentionSeconds: number };
  readonly rules: readonly RulePlan[];
  readonly functions: readonly FunctionPlan[];
  readonly stateMachines: readonly StateMachinePlan[];
  readonly grants: readonly GrantPlan[];
  readonly secrets: readonly SecretName[];
  /** The Secrets Manager secret the webhook bridge reads at runtime, filled from an `sst.Secret`. */
  readonly webhookSecret: { readonly logicalName: string; readonly valueFrom: SecretName } | undefined;
  /** The Secrets Manager secret the tier-reward function reads its Stripe key from, filled from an `sst.Secret`. */
  readonly stripeApiKey: { readonly logicalName: string; readonly valueFrom: SecretName } | undefined;
  readonly email: { readonly from: string; readonly identity: string };
  readonly push: { readonly logicalName: string; readonly platform: PushPlatform } | undefined;
  readonly alarms: readonly AlarmPlan[];
  readonly alarmEmail: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Naming.

/** `"followup-dispatch"` → `"FollowupDispatch"`: SST component names are PascalCase. */
export function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== "")
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join("");
}

const tableLogicalName = (table: TableName) => `${pascalCase(table)}Table`;
const queueLogicalName = (queue: string) => `${pascalCase(queue)}Queue`;
const stateMachineLogicalName = (name: string) => `${pascalCase(name)}StateMachine`;
const PUSH_APPLICATION = "PushApplication";
const ROUTING_DLQ = "RoutingDlq";
const EMAIL_IDENTITY = "EmailIdentity";
const BUS = "EventBus";
const WEBHOOK_SECRET = "WebhookSecret";
const STRIPE_API_KEY_SECRET = "StripeApiKeySecret";

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

/** The environment variable holding a state machine's ARN, e.g. `PAYBUS_ENGAGEMENT_STATE_MACHINE_ARN`. */
export function stateMachineArnEnvVar(name: string): string {
  return `PAYBUS_${name.replace(/[^A-Za-z0-9]+/g, "_").replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}_STATE_MACHINE_ARN`;
}

// ---------------------------------------------------------------------------------------------
// Access: what each kind of resource lets a function do, and what it tells it.

/**
 * Every table action a function may be granted: item-level reads and writes only, no Scan, no
 * table administration. Each function gets the subset its declaration names ({@link TableAccess}).
 * Transactions need no action of their own; IAM checks each Put/Update/ConditionCheck inside them.
 */
export const TABLE_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:ConditionCheckItem",
] as const;

/** What the device API does with endpoints (the SNS token-management flow). */
export const DEVICE_REGISTER_ACTIONS = ["sns:GetEndpointAttributes", "sns:SetEndpointAttributes", "sns:DeleteEndpoint"] as const;

/** Start executions of one state machine. */
export const START_EXECUTION_ACTIONS = ["states:StartExecution"] as const;

/**
 * Complete callback tasks; IAM scopes task responses to the state machine. Only success: the
 * dispatcher never fails or heartbeats a task (a follow-up it cannot send stays due).
 */
export const TASK_TOKEN_ACTIONS = ["states:SendTaskSuccess"] as const;

/** Reserved concurrency of the webhook bridge unless its declaration says otherwise. */
export const WEBHOOK_RESERVED_CONCURRENCY = 10;

/** The Secrets Manager variable the bridge reads its signing secrets' ARN from. */
export const WEBHOOK_SECRET_ID_ENV = "PAYBUS_WEBHOOK_SECRET_ID";

/** The variable the tier-reward function reads its Stripe key secret's ARN from (functions/common/stripe.ts). */
export const STRIPE_API_KEY_SECRET_ID_ENV = "PAYBUS_STRIPE_API_KEY_SECRET_ID";

const arnOf = (ref: ResourceRef): Part => ({ arnOf: ref });
const nameOf = (ref: ResourceRef): Part => ({ nameOf: ref });
const pseudo = (name: "partition" | "region" | "accountId"): Part => ({ pseudo: name });

function tableStatement(ref: Extract<ResourceRef, { kind: "table" }>, access: TableAccess): PolicyStatement {
  const actions = access.actions.map((action) => `dynamodb:${action}`);
  const unknown = actions.filter((action) => !(TABLE_ACTIONS as readonly string[]).includes(action));
  if (unknown.length > 0 || actions.length === 0) {
    throw new PlanError(`table ${ref.table}: grant one or more of ${TABLE_ACTIONS.join(", ")}, not [${actions.join(", ")}]`);
  }
  // Indexes only for the actions that can use one (Query); paybus declares none yet.
  const resources: Template[] = actions.includes("dynamodb:Query") ? [[arnOf(ref)], [arnOf(ref), "/index/*"]] : [[arnOf(ref)]];
  return {
    actions,
    resources,
    // ForAllValues: every partition key the request touches must match one pattern.
    ...(access.leadingKeys
      ? { conditions: [{ test: "ForAllValues:StringLike", variable: "dynamodb:LeadingKeys", values: access.leadingKeys }] }
      : {}),
  };
}

function statementsFor(ref: ResourceRef, stage: StageConfig, tableAccess?: TableAccess | readonly TableAccess[]): PolicyStatement[] {
  switch (ref.kind) {
    case "table": {
      const grants: readonly TableAccess[] = tableAccess === undefined ? [] : "actions" in tableAccess ? [tableAccess] : tableAccess;
      if (grants.length === 0) throw new PlanError(`table ${ref.table} is linked without its access`);
      return grants.map((grant) => tableStatement(ref, grant));
    }
    case "stateMachine":
      return [{ actions: [...START_EXECUTION_ACTIONS], resources: [[arnOf(ref)]] }];
    case "taskTokens":
      return [{ actions: [...TASK_TOKEN_ACTIONS], resources: [[arnOf({ kind: "stateMachine", stateMachine: ref.stateMachine })]] }];
    case "emailIdentity":
      // SES authorises against the identity *and*, in the sandbox, each recipient's identity: allow
      // any identity but only with our From address, so the function cannot send as anyone else.
      return [
        {
          actions: ["ses:SendEmail"],
          resources: [["arn:", pseudo("partition"), ":ses:", pseudo("region"), ":", pseudo("accountId"), ":identity/*"]],
          conditions: [{ test: "StringEquals", variable: "ses:FromAddress", values: [stage.emailFrom] }],
        },
      ];
    case "pushApplication": {
      if (!stage.push) throw new PlanError("push is disabled for this stage: nothing may link the push application");
      // Publish to the application's endpoints only (arn:…:endpoint/<platform>/<app name>/<id>);
      // devices are registered by the app's own backend, not by paybus.
      const endpoints: Template = [
        "arn:", pseudo("partition"), ":sns:", pseudo("region"), ":", pseudo("accountId"),
        `:endpoint/${stage.push.platform}/`, nameOf(ref), "/*",
      ];
      return [{ actions: ["sns:Publish"], resources: [endpoints] }];
    }
    case "deviceEndpoints": {
      if (!stage.push) throw new PlanError("push is disabled for this stage: nothing may manage device endpoints");
      const application = { kind: "pushApplication" } as const;
      const endpoints: Template = [
        "arn:", pseudo("partition"), ":sns:", pseudo("region"), ":", pseudo("accountId"),
        `:endpoint/${stage.push.platform}/`, nameOf(application), "/*",
      ];
      if (ref.mode === "delete") return [{ actions: ["sns:DeleteEndpoint"], resources: [endpoints] }];
      return [
        // CreatePlatformEndpoint is authorised on the application, the rest on its endpoints.
        { actions: ["sns:CreatePlatformEndpoint"], resources: [[arnOf(application)]] },
        { actions: [...DEVICE_REGISTER_ACTIONS], resources: [endpoints] },
      ];
    }
    case "bus":
      return [{ actions: ["events:PutEvents"], resources: [[arnOf(ref)]] }];
    case "webhookSecret":
    case "stripeApiKey":
      return [{ actions: ["secretsmanager:GetSecretValue"], resources: [[arnOf(ref)]] }];
    case "queue":
      throw new PlanError(`functions reach queues only through their event source mapping, not a link (${ref.queue})`);
  }
}

function environmentFor(ref: ResourceRef, tables: Declarations["tables"], stage: StageConfig): Record<string, Template> {
  switch (ref.kind) {
    case "table":
      return { [tables[ref.table].envVar]: [nameOf(ref)] };
    case "stateMachine":
      return { [stateMachineArnEnvVar(ref.stateMachine)]: [arnOf(ref)] };
    case "emailIdentity":
      return { PAYBUS_EMAIL_FROM: [stage.emailFrom] };
    case "deviceEndpoints":
      // The device API creates endpoints in the application of the stage's platform.
      if (ref.mode === "register" && stage.push) {
        return { PAYBUS_PUSH_APPLICATIONS: [`{"${stage.push.platform}":"`, arnOf({ kind: "pushApplication" }), '"}'] };
      }
      return {};
    case "pushApplication":
      // The function publishes to endpoint ARNs kept in customer profiles: it needs no address.
    case "taskTokens":
      // Task tokens carry their execution: answering one needs no address either.
      return {};
    case "bus":
      return { PAYBUS_EVENT_BUS_NAME: [nameOf(ref)] };
    case "webhookSecret":
      return { [WEBHOOK_SECRET_ID_ENV]: [arnOf(ref)] };
    case "stripeApiKey":
      return { [STRIPE_API_KEY_SECRET_ID_ENV]: [arnOf(ref)] };
    case "queue":
      return {};
  }
}

/** The resources a declared {@link Access} reaches on this stage (push only where it is deployed). */
export function accessRefs(access: Access, stage: StageConfig): ResourceRef[] {
  return [
    ...(Object.keys(access.tables ?? {}) as TableName[]).map((table): ResourceRef => ({ kind: "table", table })),
    ...(access.stateMachines ?? []).map((stateMachine): ResourceRef => ({ kind: "stateMachine", stateMachine })),
    ...(access.taskTokens ?? []).map((stateMachine): ResourceRef => ({ kind: "taskTokens", stateMachine })),
    ...(access.email ? [{ kind: "emailIdentity" } as const] : []),
    ...(access.push && stage.push ? [{ kind: "pushApplication" } as const] : []),
    ...(access.putEvents ? [{ kind: "bus" } as const] : []),
    ...(access.deviceEndpoints && stage.push ? [{ kind: "deviceEndpoints", mode: access.deviceEndpoints } as const] : []),
    ...(access.webhookSecret ? [{ kind: "webhookSecret" } as const] : []),
    ...(access.stripeApiKey ? [{ kind: "stripeApiKey" } as const] : []),
  ];
}

/** `LoyaltyConsumerLoyaltyTableAccess`: one grant per function and resource, never shared. */
const grantLogicalName = (fn: string, ref: ResourceRef) =>
  `${fn}${resourceLogicalName(ref)}${ref.kind === "taskTokens" ? "TaskTokens" : ref.kind === "deviceEndpoints" ? `Endpoint${pascalCase(ref.mode)}` : ""}Access`;

// ---------------------------------------------------------------------------------------------
// The plan.

interface FunctionSpec {
  readonly logicalName: string;
  readonly context: string;
  readonly description: string;
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly refs: readonly ResourceRef[];
  readonly access: Access;
  readonly extraEnvironment?: Readonly<Record<string, Template>>;
  readonly trigger: TriggerPlan;
  readonly reservedConcurrency?: number;
}

/**
 * The infrastructure of one stage.
 *
 * @throws PlanError when a declaration points at something undeclared or two resources would
 *   share a name.
 */
export function buildPlan(stage: StageConfig, decl: Declarations = declarations): InfraPlan {
  const specs: FunctionSpec[] = [];
  const known = {
    tables: new Set<string>(Object.keys(decl.tables)),
    stateMachines: new Set<string>(Object.keys(decl.stateMachines)),
    queues: new Set<string>(Object.keys(decl.queues)),
  };
  const checkAccess = (owner: string, access: Access) => {
    for (const table of Object.keys(access.tables ?? {})) {
      if (!known.tables.has(table)) throw new PlanError(`${owner} reaches undeclared table "${table}"`);
    }
    for (const machine of [...(access.stateMachines ?? []), ...(access.taskTokens ?? [])]) {
      if (!known.stateMachines.has(machine)) throw new PlanError(`${owner} reaches undeclared state machine "${machine}"`);
    }
    return accessRefs(access, stage);
  };

  const rules: RulePlan[] = decl.rules.map((rule) => {
    const target = rule.target;
    let targetPlan: TargetPlan;
    if ("queue" in target) {
      if (!known.queues.has(target.queue)) throw new PlanError(`rule ${rule.name} targets undeclared queue "${target.queue}"`);
      targetPlan = { kind: "queue", queue: queueLogicalName(target.queue) };
    } else {
      if (!known.stateMachines.has(target.stateMachine)) {
        throw new PlanError(`rule ${rule.name} targets undeclared state machine "${target.stateMachine}"`);
      }
      targetPlan = { kind: "stateMachine", stateMachine: stateMachineLogicalName(target.stateMachine) };
    }
    return {
      name: rule.name,
      description: rule.description,
      eventPattern: JSON.stringify(rule.pattern),
      target: targetPlan,
      retryPolicy: {
        maximumRetryAttempts: rule.retryPolicy.maximumRetryAttempts,
        maximumEventAgeInSeconds: rule.retryPolicy.maximumEventAgeSeconds,
      },
      deadLetterQueue: ROUTING_DLQ,
    };
  });

  const queues: QueuePlan[] = Object.entries(decl.queues).map(([name, queue]) => {
    const logicalName = queueLogicalName(name);
    const consumer = `${pascalCase(name)}Consumer`;
    specs.push({
      logicalName: consumer,
      context: queue.context,
      description: `Consumes the ${name} queue: ${queue.description}`,
      handler: queue.consumer.handler,
      timeoutSeconds: queue.consumer.timeoutSeconds,
      memoryMb: queue.consumer.memoryMb,
      refs: checkAccess(`the ${name} consumer`, queue.consumer.access),
      access: queue.consumer.access,
      trigger: {
        kind: "queue",
        queue: logicalName,
        batchSize: queue.consumer.batchSize,
        batchingWindowSeconds: queue.consumer.batchingWindowSeconds,
        maximumConcurrency: queue.consumer.maximumConcurrency,
        reportBatchItemFailures: true,
      },
    });
    return {
      queue: name,
      logicalName,
      context: queue.context,
      description: queue.description,
      visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
      retentionSeconds: queue.retentionSeconds,
      encryption: "SQS_MANAGED",
      deadLetter: {
        logicalName: `${pascalCase(name)}Dlq`,
        maxReceiveCount: queue.maxReceiveCount,
        retentionSeconds: DLQ_RETENTION_SECONDS,
      },
      consumer,
      senders: rules.filter((rule) => rule.target.kind === "queue" && rule.target.queue === logicalName).map((rule) => rule.name),
    };
  });

  const machineEntries = Object.entries(decl.stateMachines) as [StateMachineName, StateMachineDeclaration][];
  const stateMachines: StateMachinePlan[] = machineEntries.map(([name, machine]) => {
    const logicalName = stateMachineLogicalName(name);
    for (const [functionName, fn] of Object.entries(machine.functions)) {
      specs.push({
        logicalName: functionName,
        context: "workflows",
        description: fn.description,
        handler: fn.handler,
        timeoutSeconds: fn.timeoutSeconds,
        memoryMb: fn.memoryMb,
        refs: checkAccess(`${functionName} (${name} workflow)`, fn.access),
        access: fn.access,
        trigger: { kind: "stateMachine", stateMachine: logicalName },
      });
    }
    return {
      stateMachine: name,
      logicalName,
      description: machine.description,
      definitionFile: machine.definitionFile,
      functions: Object.keys(machine.functions),
      type: machine.type,
    };
  });

  for (const [name, fn] of Object.entries(decl.scheduledFunctions)) {
    const scheduleExpression = fn.scheduleExpression;
    if (!isScheduleExpression(scheduleExpression)) {
      throw new PlanError(`${name}: "${scheduleExpression}" is not a rate(…) or cron(…) expression`);
    }
    specs.push({
      logicalName: name,
      context: fn.context ?? "workflows",
      description: fn.description,
      handler: fn.handler,
      timeoutSeconds: fn.timeoutSeconds,
      memoryMb: fn.memoryMb,
      refs: checkAccess(name, fn.access),
      access: fn.access,
      trigger: { kind: "schedule", scheduleExpression },
    });
  }

  const secrets: SecretName[] = [];
  if (stage.bus.kind === "custom") {
    secrets.push("StripeWebhookSecrets");
    specs.push({
      logicalName: WEBHOOK_BRIDGE,
      context: "ingest",
      description: "Verifies Stripe webhook signatures and puts the events on the paybus event bus.",
      handler: decl.webhookBridge.handler,
      timeoutSeconds: decl.webhookBridge.timeoutSeconds,
      memoryMb: decl.webhookBridge.memoryMb,
      refs: checkAccess("the webhook bridge", decl.webhookBridge.access),
      access: decl.webhookBridge.access,
      // The signing secrets are read from Secrets Manager at runtime (PAYBUS_WEBHOOK_SECRET_ID),
      // never put in the environment, which lambda:GetFunctionConfiguration shows in clear.
      extraEnvironment: { PAYBUS_EXPECTED_LIVEMODE: [String(stage.livemode)] },
      trigger: { kind: "url" },
      // A flood of unsigned requests to the public URL is refused cheaply, but each still runs
      // the function: the cap keeps it from taking the account's concurrency or running up cost.
      reservedConcurrency: decl.webhookBridge.reservedConcurrency ?? WEBHOOK_RESERVED_CONCURRENCY,
    });
  }
  if (decl.deviceApi && stage.push) {
    specs.push({
      logicalName: DEVICE_API,
      context: "customers",
      description: "Registers and removes the app's push devices for a customer (IAM-authenticated function URL).",
      handler: decl.deviceApi.handler,
      timeoutSeconds: decl.deviceApi.timeoutSeconds,
      memoryMb: decl.deviceApi.memoryMb,
      refs: checkAccess("the device API", decl.deviceApi.access),
      access: decl.deviceApi.access,
      trigger: { kind: "url", auth: "iam" },
    });
  }
  if (decl.promotionsApi) {
    specs.push({
      logicalName: PROMOTIONS_API,
      context: "loyalty",
      description: "Adds, lists and removes the loyalty programme's promotion windows (IAM-authenticated function URL).",
      handler: decl.promotionsApi.handler,
      timeoutSeconds: decl.promotionsApi.timeoutSeconds,
      memoryMb: decl.promotionsApi.memoryMb,
      refs: checkAccess("the promotions API", decl.promotionsApi.access),
      access: decl.promotionsApi.access,
      trigger: { kind: "url", auth: "iam" },
    });
  }
  if (decl.loyaltyApi) {
    specs.push({
      logicalName: LOYALTY_API,
      context: "loyalty",
      description: "Loyalty balances, ledger, redemptions and adjustments (IAM-authenticated function URL).",
      handler: decl.loyaltyApi.handler,
      timeoutSeconds: decl.loyaltyApi.timeoutSeconds,
      memoryMb: decl.loyaltyApi.memoryMb,
      refs: checkAccess("the loyalty API", decl.loyaltyApi.access),
      access: decl.loyaltyApi.access,
      trigger: { kind: "url", auth: "iam" },
    });
  }
  if (stage.push) {
    secrets.push("PushPlatformCredential");
    if (stage.push.platform !== "GCM") secrets.push("PushPlatformPrincipal");
  }

  // A function applying rewards in Stripe reads the key from a secret filled from `StripeApiKey`.
  if (specs.some((spec) => spec.access.stripeApiKey)) secrets.push("StripeApiKey");

  const contexts = new Set(specs.map((spec) => spec.context));
  for (const context of Object.keys(stage.environment ?? {})) {
    if (!contexts.has(context)) {
      throw new StageConfigError(`environment names context "${context}", which has no function (${[...contexts].join(", ")})`);
    }
  }

  const grants = new Map<string, GrantPlan>();
  const functions: FunctionPlan[] = specs.map((spec) => {
    const environment: Record<string, Template> = {
      POWERTOOLS_SERVICE_NAME: [spec.context],
      POWERTOOLS_METRICS_NAMESPACE: [METRICS_NAMESPACE],
    };
    for (const ref of spec.refs) {
      const logicalName = grantLogicalName(spec.logicalName, ref);
      const tableAccess = ref.kind === "table" ? spec.access.tables?.[ref.table] : undefined;
      grants.set(logicalName, { logicalName, function: spec.logicalName, ref, statements: statementsFor(ref, stage, tableAccess) });
      Object.assign(environment, environmentFor(ref, decl.tables, stage));
    }
    Object.assign(environment, spec.extraEnvironment);
    for (const [key, value] of Object.entries(stage.environment?.[spec.context] ?? {})) {
      if (key in environment) throw new StageConfigError(`environment.${spec.context}.${key} is set by the deployment itself`);
      environment[key] = [value];
    }
    return {
      logicalName: spec.logicalName,
      context: spec.context,
      description: spec.description,
      handler: spec.handler,
      runtime: LAMBDA_RUNTIME,
      architecture: LAMBDA_ARCHITECTURE,
      timeoutSeconds: spec.timeoutSeconds,
      memoryMb: spec.memoryMb,
      environment,
      links: spec.refs.map((ref) => grantLogicalName(spec.logicalName, ref)),
      trigger: spec.trigger,
      ...(spec.reservedConcurrency === undefined ? {} : { reservedConcurrency: spec.reservedConcurrency }),
    };
  });

  const tables: TablePlan[] = (Object.entries(decl.tables) as [TableName, TableDeclaration][]).map(([table, t]) => ({
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

  const plan: InfraPlan = {
    bus: {
      kind: stage.bus.kind,
      ...(stage.bus.kind === "partner" ? { existingName: stage.bus.eventSourceName } : {}),
      archive: { logicalName: "EventArchive", retentionDays: stage.archiveRetentionDays },
    },
    tables,
    queues,
    routingDeadLetterQueue: { logicalName: ROUTING_DLQ, retentionSeconds: DLQ_RETENTION_SECONDS },
    rules,
    functions,
    stateMachines,
    grants: [...grants.values()],
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

function alarmsFor(queues: readonly QueuePlan[], functions: readonly FunctionPlan[], stage: StageConfig): AlarmPlan[] {
  const depth = (logicalName: string, queueLogical: string, what: string): AlarmPlan => ({
    logicalName,
    description: `${what} holds messages: inspect them, fix the cause, then redrive.`,
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: [{ nameOf: { kind: "queue", queue: queueLogical } }] },
    statistic: { kind: "statistic", name: "Maximum" },
    comparison: "GreaterThanThreshold",
    threshold: 0,
    periodSeconds: 60,
    evaluationPeriods: 1,
    treatMissingData: "notBreaching",
  });
  const alarms = [
    ...queues.map((queue) => depth(`${queue.deadLetter.logicalName}Depth`, queue.deadLetter.logicalName, `The ${queue.queue} DLQ`)),
    depth(`${ROUTING_DLQ}Depth`, ROUTING_DLQ, "The routing DLQ (events EventBridge could not deliver)"),
  ];
  const notifications = functions.find((fn) => fn.context === "notifications");
  if (notifications) {
    for (const channel of stage.push ? NOTIFICATION_CHANNELS : NOTIFICATION_CHANNELS.filter((c) => c !== "push")) {
      alarms.push({
        logicalName: `NotificationSla${pascalCase(channel)}`,
        description: `p99 delay from Stripe event to ${channel} notification above ${stage.notificationSlaSeconds} s.`,
        namespace: METRICS_NAMESPACE,
        metricName: NOTIFICATION_DELAY_METRIC,
        // Powertools adds the service (POWERTOOLS_SERVICE_NAME) to every metric; the function adds the channel.
        dimensions: { service: notifications.environment.POWERTOOLS_SERVICE_NAME!, channel: [channel] },
        statistic: { kind: "percentile", name: "p99" },
        comparison: "GreaterThanThreshold",
        threshold: stage.notificationSlaSeconds,
        periodSeconds: 300,
        evaluationPeriods: 1,
        treatMissingData: "notBreaching",
      });
    }
  }
  const loyalty = functions.find((fn) => fn.handler === "functions/loyalty/handler.handler");
  if (loyalty) {
    alarms.push({
      logicalName: "PointsCommitSla",
      description: `p95 delay from Stripe event to committed loyalty balance above ${POINTS_COMMIT_ALARM_MS} ms (the 200 ms promise plus the 1 s resolution of Stripe's created).`,
      namespace: METRICS_NAMESPACE,
      metricName: POINTS_COMMIT_DELAY_METRIC,
      dimensions: { service: loyalty.environment.POWERTOOLS_SERVICE_NAME! },
      statistic: { kind: "percentile", name: "p95" },
      comparison: "GreaterThanThreshold",
      threshold: POINTS_COMMIT_ALARM_MS,
      periodSeconds: 300,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    });
  }
  const bridge = functions.find((fn) => fn.logicalName === WEBHOOK_BRIDGE);
  if (bridge) {
    alarms.push({
      logicalName: "OversizedWebhookEvents",
      description: "The webhook bridge refused Stripe events too large for EventBridge: they never reached the bus.",
      namespace: METRICS_NAMESPACE,
      metricName: "OversizedWebhookEvents",
      dimensions: { service: bridge.environment.POWERTOOLS_SERVICE_NAME! },
      statistic: { kind: "statistic", name: "Sum" },
      comparison: "GreaterThanThreshold",
      threshold: 0,
      periodSeconds: 300,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    });
  }
  return alarms;
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

/**
 * The policy of a queue EventBridge delivers to: `events.amazonaws.com` may send, and only on
 * behalf of the given rules (`aws:SourceArn`), so no other rule or account can inject messages.
 */
export function queuePolicy(queueArn: string, ruleArns: readonly string[]): object {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EventBridgeRules",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queueArn,
        Condition: { ArnEquals: { "aws:SourceArn": [...ruleArns] } },
      },
    ],
  };
}

/**
 * The ASL of a planned state machine, read from `root` (the repository root), with each
 * `${LogicalName}` replaced by `functionArns[LogicalName]`.
 *
 * Reads relative to an explicit root rather than through `workflows/index.ts`' own
 * `readDefinition`: SST runs the stacks from a bundle under `.sst/platform/`, where a path derived
 * from `import.meta.url` no longer points into the repository.
 */
export function renderDefinition(
  machine: StateMachinePlan,
  root: string,
  functionArns: Readonly<Record<string, string>>,
): string {
  const definition = JSON.parse(readFileSync(join(root, machine.definitionFile), "utf8")) as object;
  const declared = Object.fromEntries(machine.functions.map((name) => [name, true]));
  const resolved = resolvePlaceholders(
    definition,
    declared,
    (logicalName) => {
      const arn = functionArns[logicalName];
      if (arn === undefined) throw new PlanError(`${machine.definitionFile}: no ARN given for ${logicalName}`);
      return arn;
    },
    machine.definitionFile,
  );
  return JSON.stringify(resolved);
}
