/**
 * Functions: every declared function (queue consumers, workflow tasks, scheduled jobs, the webhook
 * bridge and the function-URL APIs) as one {@link FunctionSpec}, then as a planned function with
 * exactly the environment and grants its declared access gives it.
 */
import type { Access } from "../../declarations/rules.ts";
import { settingProblems } from "../../declarations/settings.ts";
import { StageConfigError, type StageConfig } from "../stage-config.ts";
import { accessRefs, environmentFor, statementsFor } from "./access.ts";
import { DEVICE_API, EXPECTED_LIVEMODE_ENV, LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, LOYALTY_API, METRICS_NAMESPACE, PROMOTIONS_API, WEBHOOK_BRIDGE, WEBHOOK_RESERVED_CONCURRENCY } from "./constants.ts";
import { PlanError, type Declarations } from "./declarations.ts";
import { consumerLogicalName, grantLogicalName, queueLogicalName, stateMachineLogicalName } from "./names.ts";
import type { FunctionPlan, GrantPlan, ResourceRef, ScheduleExpression, Template, TriggerPlan } from "./shapes.ts";

/** One function as the declarations describe it, before its environment and grants are derived. */
export interface FunctionSpec {
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

const isScheduleExpression = (expression: string): expression is ScheduleExpression =>
  /^(rate|cron)\(.+\)$/.test(expression);

/**
 * Every function the stage deploys, in a stable order: queue consumers, workflow tasks, scheduled
 * jobs, then the webhook bridge (custom-bus stages), the device API (where push is configured), the
 * promotions and loyalty APIs.
 *
 * @throws PlanError when a function reaches an undeclared table or state machine, or a schedule
 *   is not a `rate(…)`/`cron(…)` expression.
 */
export function functionSpecs(decl: Declarations, stage: StageConfig): FunctionSpec[] {
  const tables = new Set<string>(Object.keys(decl.tables));
  const stateMachines = new Set<string>(Object.keys(decl.stateMachines));
  const checkAccess = (owner: string, access: Access) => {
    for (const table of Object.keys(access.tables ?? {})) {
      if (!tables.has(table)) throw new PlanError(`${owner} reaches undeclared table "${table}"`);
    }
    for (const machine of [...(access.stateMachines ?? []), ...(access.taskTokens ?? [])]) {
      if (!stateMachines.has(machine)) throw new PlanError(`${owner} reaches undeclared state machine "${machine}"`);
    }
    return accessRefs(access, stage);
  };
  const specs: FunctionSpec[] = [];

  for (const [name, queue] of Object.entries(decl.queues)) {
    specs.push({
      logicalName: consumerLogicalName(name),
      context: queue.context,
      description: `Consumes the ${name} queue: ${queue.description}`,
      handler: queue.consumer.handler,
      timeoutSeconds: queue.consumer.timeoutSeconds,
      memoryMb: queue.consumer.memoryMb,
      refs: checkAccess(`the ${name} consumer`, queue.consumer.access),
      access: queue.consumer.access,
      trigger: {
        kind: "queue",
        queue: queueLogicalName(name),
        batchSize: queue.consumer.batchSize,
        batchingWindowSeconds: queue.consumer.batchingWindowSeconds,
        maximumConcurrency: queue.consumer.maximumConcurrency,
        reportBatchItemFailures: true,
      },
    });
  }

  for (const [name, machine] of Object.entries(decl.stateMachines)) {
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
        trigger: { kind: "stateMachine", stateMachine: stateMachineLogicalName(name) },
      });
    }
  }

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

  if (stage.bus.kind === "custom") {
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
      extraEnvironment: { [EXPECTED_LIVEMODE_ENV]: [String(stage.livemode)] },
      trigger: { kind: "url" },
      // A flood of unsigned requests to the public URL is refused cheaply, but each still runs
      // the function: the cap keeps it from taking the account's concurrency or running up cost.
      reservedConcurrency: decl.webhookBridge.reservedConcurrency ?? WEBHOOK_RESERVED_CONCURRENCY,
    });
  }
  // The IAM-authenticated function-URL APIs: the device API only where push is deployed.
  const apis = [
    { fn: stage.push ? decl.deviceApi : undefined, logicalName: DEVICE_API, owner: "the device API", context: "customers",
      description: "Registers and removes the app's push devices for a customer (IAM-authenticated function URL)." },
    { fn: decl.promotionsApi, logicalName: PROMOTIONS_API, owner: "the promotions API", context: "loyalty",
      description: "Adds, lists and removes the loyalty programme's promotion windows (IAM-authenticated function URL)." },
    { fn: decl.loyaltyApi, logicalName: LOYALTY_API, owner: "the loyalty API", context: "loyalty",
      description: "Loyalty balances, ledger, redemptions and adjustments (IAM-authenticated function URL)." },
  ];
  for (const { fn, logicalName, owner, context, description } of apis) {
    if (!fn) continue;
    specs.push({
      logicalName,
      context,
      description,
      handler: fn.handler,
      timeoutSeconds: fn.timeoutSeconds,
      memoryMb: fn.memoryMb,
      refs: checkAccess(owner, fn.access),
      access: fn.access,
      trigger: { kind: "url", auth: "iam" },
    });
  }
  return specs;
}

/**
 * Each function with its environment (service name, metrics namespace, what its links tell it, the
 * stage's settings for its context) and one grant per linked resource.
 *
 * @throws StageConfigError when the stage sets a variable the deployment itself sets, names a
 *   context no function has, or gives a setting its functions would refuse (`declarations/settings.ts`).
 */
export function planFunctions(
  specs: readonly FunctionSpec[],
  decl: Declarations,
  stage: StageConfig,
): { functions: FunctionPlan[]; grants: GrantPlan[] } {
  const contexts = new Set(specs.map((spec) => spec.context));
  for (const [context, settings] of Object.entries(stage.environment ?? {})) {
    if (!contexts.has(context)) {
      throw new StageConfigError(`environment names context "${context}", which has no function (${[...contexts].join(", ")})`);
    }
    // The functions read their settings per event: a wrong one would send every event to a DLQ.
    const problems = settingProblems(settings);
    if (problems.length > 0) throw new StageConfigError(`environment.${context}: ${problems.join("; ")}`);
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
  return { functions, grants: [...grants.values()] };
}
