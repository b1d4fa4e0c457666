/**
 * The local runtime's reading of the deployment plan's functions: the same names (`<prefix>-<logical
 * name>`) and the same environment the SST stacks give each function in AWS, with the plan's
 * deploy-time templates resolved to the local resources, the SDK pointed at the gateway, and the
 * function's own credentials. Nothing else: a function that reads a variable the plan does not give
 * it fails locally as it would after deploy.
 *
 * Deliberate differences from AWS (documented in the README):
 * - `PAYBUS_PUSH_APPLICATIONS` names every local push platform (the local SNS has them all), not the
 *   stage's one platform;
 * - no Secrets Manager runs locally, so the webhook bridge gets no `PAYBUS_WEBHOOK_SECRET_ID` unless
 *   the runtime's `env` supplies one; it reads `STRIPE_WEBHOOK_SECRETS` instead;
 * - the runtime's `env` option is added to every function (test and `paybus dev` configuration) —
 *   except the webhook signing secrets, which only the function granted the webhook secret gets —, and
 *   so are the runtime process's own `PAYBUS_*` settings (`PAYBUS_LOYALTY_CONFIG`, `PAYBUS_EMAIL_FROM`, …:
 *   what a stage's `environment` sets in AWS), except variables that name resources, which a function
 *   gets only when the plan gives them to it;
 * - Powertools logs at WARN or more verbose (the runtime reads failure reasons from the logs), and
 *   EMF metrics are off unless `POWERTOOLS_METRICS_DISABLED=false`;
 * - `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` name the null device: Lambda has no such
 *   files, and without them the SDK would read the developer's.
 */
import { devNull } from "node:os";
import { buildPlan, EMAIL_FROM_ENV, PUSH_APPLICATIONS_ENV, STRIPE_API_KEY_SECRET_ID_ENV, WEBHOOK_SECRET_ID_ENV, type FunctionPlan, type InfraPlan } from "../stacks/plan.ts";
import type { StageConfig } from "../stacks/stage-config.ts";
import type { TableName } from "../declarations/rules.ts";
import { STRIPE_API_BASE_ENV, STRIPE_API_KEY_ENV } from "../functions/common/environment.ts";
import { functionCredentials } from "./function-credentials.ts";
import { localStage } from "./iam/local.ts";
import type { LocalFunction } from "./lambda.ts";
import { localStateMachineArn, resolveTemplate, UnresolvedTemplateError, type LocalResourceNames } from "./plan-templates.ts";
import { LOCAL_STRIPE_API_KEY } from "./stripe.ts";

/** The stage the local runtime plays: the `default` stage, with push (the local SNS serves every platform). */
export const LOCAL_STAGE: StageConfig = localStage("GCM");

/** The plan the local runtime runs. */
export function localPlan(): InfraPlan {
  return buildPlan(LOCAL_STAGE);
}

/** What a template refers to locally. */
export interface LocalResources {
  readonly prefix: string;
  readonly region: string;
  readonly accountId: string;
  readonly busName: string;
  readonly tableNames: Readonly<Record<TableName, string>>;
  /** Push application ARNs by platform. */
  readonly pushApplications: Readonly<Record<string, string>>;
  /** The gateway's URL: every AWS call of a function goes through it (and its IAM checks). */
  readonly gateway: string;
  /** The runtime's `env` option. */
  readonly extra?: Readonly<Record<string, string>>;
}

/** The name a plan function has locally. */
export function localFunctionName(prefix: string, logicalName: string): string {
  return `${prefix}-${logicalName}`;
}

/** The names templates resolve to in a function's environment. */
function resourceNames(local: LocalResources): LocalResourceNames {
  const application = LOCAL_STAGE.push ? local.pushApplications[LOCAL_STAGE.push.platform] : undefined;
  return {
    partition: "aws",
    region: local.region,
    accountId: local.accountId,
    tableName: (table) => {
      const name = local.tableNames[table as TableName];
      if (name === undefined) throw new UnresolvedTemplateError(`the plan names table ${table}, which the local runtime did not create`);
      return name;
    },
    stateMachineArn: (name) => localStateMachineArn(local, name),
    busName: local.busName,
    ...(application ? { pushApplication: { name: application.split("/").at(-1)!, arn: application } } : {}),
  };
}

/**
 * Variables the plan gives that the local runtime replaces rather than resolves: every local push
 * platform's application (not the stage's one), and no Secrets Manager ids (no local Secrets Manager).
 */
const REPLACED_LOCALLY = new Set([PUSH_APPLICATIONS_ENV, WEBHOOK_SECRET_ID_ENV, STRIPE_API_KEY_SECRET_ID_ENV]);

/** Powertools log levels, from the most verbose. */
export const LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "SILENT"];

/** The level the runtime's user asked for (`POWERTOOLS_LOG_LEVEL` of the runtime process), SILENT by default. */
export function terminalLogLevel(env: NodeJS.ProcessEnv = process.env): string {
  const level = (env.POWERTOOLS_LOG_LEVEL ?? "SILENT").toUpperCase();
  return LOG_LEVELS.includes(level) ? level : "SILENT";
}

/** The runtime process's `PAYBUS_*` settings a function may get: none that the plan derives from a resource grant. */
function hostSettings(fn: FunctionPlan, plan: InfraPlan, host: NodeJS.ProcessEnv): Record<string, string> {
  const planned = new Set(plan.functions.flatMap((other) => Object.keys(other.environment)));
  const settings: Record<string, string> = {};
  for (const [key, value] of Object.entries(host)) {
    if (!key.startsWith("PAYBUS_") || value === undefined) continue;
    // A sender address is configuration even though the plan sets it (from the stage's emailFrom).
    if (planned.has(key) && !(key === EMAIL_FROM_ENV && key in fn.environment)) continue;
    settings[key] = value;
  }
  return settings;
}

/** The webhook signing secrets (`paybus dev` passes them in the runtime's `env`) or the secret's id (tests). */
const WEBHOOK_SECRET_VARIABLES = ["STRIPE_WEBHOOK_SECRETS", "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET_ID_ENV];

/** The runtime's `env` for one function: the signing secrets only for the function the plan lets read them. */
function extraFor(fn: FunctionPlan, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const mayReadSecret = WEBHOOK_SECRET_ID_ENV in fn.environment;
  return Object.fromEntries(Object.entries(extra).filter(([key]) => mayReadSecret || !WEBHOOK_SECRET_VARIABLES.includes(key)));
}

/** A function's complete environment, as its `process.env`. */
export function functionEnvironment(fn: FunctionPlan, plan: InfraPlan, local: LocalResources, host: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const name = localFunctionName(local.prefix, fn.logicalName);
  const credentials = functionCredentials(name);
  const names = resourceNames(local);
  const planned: Record<string, string> = {};
  for (const [key, template] of Object.entries(fn.environment)) {
    if (!REPLACED_LOCALLY.has(key)) planned[key] = resolveTemplate(template, names);
  }
  if (PUSH_APPLICATIONS_ENV in fn.environment) planned[PUSH_APPLICATIONS_ENV] = JSON.stringify(local.pushApplications);
  // No local Secrets Manager: a function the plan lets read the Stripe API key gets the local
  // test-mode key instead, and the local Stripe endpoints on the gateway.
  if (STRIPE_API_KEY_SECRET_ID_ENV in fn.environment) {
    Object.assign(planned, { [STRIPE_API_KEY_ENV]: LOCAL_STRIPE_API_KEY, [STRIPE_API_BASE_ENV]: local.gateway });
  }
  // The function must log its record failures (WARN) for the runtime to say why a message failed.
  const level = terminalLogLevel(host);
  const functionLevel = LOG_LEVELS.indexOf(level) > LOG_LEVELS.indexOf("WARN") ? "WARN" : level;
  return {
    // Lambda's reserved variables.
    AWS_REGION: local.region,
    AWS_DEFAULT_REGION: local.region,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    TZ: "UTC",
    // Lambda has no shared AWS config or credentials files. Locally the SDK would read the
    // developer's (`~/.aws/config`: retry mode, max attempts, …) and behave unlike in Lambda.
    AWS_CONFIG_FILE: devNull,
    AWS_SHARED_CREDENTIALS_FILE: devNull,
    // Where the SDK sends the function's calls: the gateway, for every service.
    AWS_ENDPOINT_URL_DYNAMODB: local.gateway,
    AWS_ENDPOINT_URL_SQS: local.gateway,
    AWS_ENDPOINT_URL_SES: local.gateway,
    AWS_ENDPOINT_URL_SNS: local.gateway,
    AWS_ENDPOINT_URL_SFN: local.gateway,
    AWS_ENDPOINT_URL_EVENTBRIDGE: local.gateway,
    // The plan deploys nodejs22.x, where the SDK has nothing to warn about; the host's Node is a local matter.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    POWERTOOLS_DEV: "false",
    POWERTOOLS_LOG_LEVEL: functionLevel,
    // EMF lines are CloudWatch's input; locally the journal and reports carry the same facts.
    POWERTOOLS_METRICS_DISABLED: host.POWERTOOLS_METRICS_DISABLED ?? "true",
    ...planned,
    ...hostSettings(fn, plan, host),
    ...extraFor(fn, local.extra),
  };
}

/** Every plan function as the local runtime runs it. */
export function localFunctions(plan: InfraPlan, local: LocalResources, host: NodeJS.ProcessEnv = process.env): LocalFunction[] {
  return plan.functions.map((fn) => ({
    name: localFunctionName(local.prefix, fn.logicalName),
    logicalName: fn.logicalName,
    handler: fn.handler,
    timeoutSeconds: fn.timeoutSeconds,
    memoryMb: fn.memoryMb,
    environment: functionEnvironment(fn, plan, local, host),
  }));
}
