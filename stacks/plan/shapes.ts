/**
 * The shapes of the plan: plain data the SST stacks turn into resources and the local runtime
 * interprets. Values known only at deploy time (ARNs, names, the region) are {@link Template}s.
 */
import type { StateMachineName, TableName } from "../../declarations/rules.ts";
import type { StateMachineDeclaration } from "../../workflows/index.ts";
import type { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME } from "./constants.ts";
import type { BusConfig, PushPlatform } from "../stage-config.ts";

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
  /**
   * For an `AWS/Lambda` metric: the function's logical name, whose deployed name is the alarm's
   * `FunctionName` dimension (functions are not {@link ResourceRef}s: nothing is granted on them).
   */
  readonly functionName?: string;
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

