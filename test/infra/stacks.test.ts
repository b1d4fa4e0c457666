/**
 * The real stacks, with SST's real components, under Pulumi's runtime mocks
 * (`test/support/stacks/mock-deploy.ts`): the resource graph and the IAM an actual `sst deploy` would
 * send to AWS, checked offline.
 *
 * Needs `.sst/platform` from `sst install` (scripts/check-sst.sh runs it, then this file with
 * PAYBUS_REQUIRE_SST_PLATFORM=1 so a missing platform fails instead of skipping).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queues as declaredQueues, ruleList } from "../../declarations/rules.ts";
import { tables as declaredTables } from "../../functions/common/tables.ts";
import { buildPlan } from "../../stacks/plan.ts";
import type { StageConfig } from "../../stacks/stage-config.ts";
import type { MockDeployment, RegisteredResource } from "../support/stacks/deployment.ts";
import { prebuildHandlers, PREBUILT_ENV, type PrebuiltHandlers } from "../support/stacks/handler-bundles.ts";
import { customStage, PARTNER_BUS, partnerStage } from "../support/stages.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PLATFORM = join(ROOT, ".sst", "platform");
const available = existsSync(join(PLATFORM, "node_modules", "@pulumi", "pulumi"));
if (!available && process.env.PAYBUS_REQUIRE_SST_PLATFORM === "1") {
  throw new Error(".sst/platform is missing: run scripts/check-sst.sh (sst install) first");
}

const scratch = mkdtempSync(join(tmpdir(), "paybus-stacks-"));
// Inside .sst/platform, as SST places its own bundle, so `@pulumi/*` resolve from there.
const harness = join(PLATFORM, `paybus-mock-deploy-${process.pid}.mjs`);

async function mockDeploy(name: string, stage: StageConfig, prebuilt: PrebuiltHandlers): Promise<Graph> {
  const out = join(scratch, `${name}.json`);
  // A failed run still writes what it registered and why; the first test reports its errors.
  await promisify(execFile)(process.execPath, [harness], {
    cwd: ROOT,
    timeout: 45_000,
    env: {
      ...process.env,
      PAYBUS_MOCK_ROOT: ROOT,
      PAYBUS_MOCK_OUT: out,
      PAYBUS_MOCK_STAGE: JSON.stringify(stage),
      [PREBUILT_ENV]: JSON.stringify(prebuilt),
      SST_SECRET_StripeWebhookSecrets: "whsec_mock",
      SST_SECRET_PushPlatformCredential: "mock-credential",
      SST_SECRET_StripeApiKey: "sk_test_mock",
    },
  }).catch((error: unknown) => {
    if (!existsSync(out)) throw error;
  });
  return new Graph(JSON.parse(readFileSync(out, "utf8")) as MockDeployment);
}

interface Statement {
  actions: string[];
  resources: string[];
  effect: string;
  conditions?: { test: string; variable: string; values: string[] }[];
}

/** Queries over one mocked deployment. */
class Graph {
  constructor(readonly deployment: MockDeployment) {}

  all(type: string): RegisteredResource[] {
    return this.deployment.resources.filter((resource) => resource.type === type);
  }

  one(type: string, name: string): RegisteredResource {
    const found = this.all(type).filter((resource) => resource.name === name);
    if (found.length !== 1) throw new Error(`${found.length} ${type} named ${name}`);
    return found[0]!;
  }

  input<T = string>(type: string, name: string, key: string): T {
    return this.one(type, name).inputs[key] as T;
  }

  /** The mocked ARN of a queue / function / state machine / rule, as the mocks derive it. */
  arn(type: string, name: string): string {
    const resource = this.one(type, name);
    const physical = resource.id ?? (resource.inputs.name as string | undefined) ?? `${name}-mock`;
    const region = "eu-west-1";
    const account = "111122223333";
    switch (type) {
      case "aws:sqs/queue:Queue":
        return `arn:aws:sqs:${region}:${account}:${physical}`;
      case "aws:lambda/function:Function":
        return `arn:aws:lambda:${region}:${account}:function:${physical}`;
      case "aws:sfn/stateMachine:StateMachine":
        return `arn:aws:states:${region}:${account}:stateMachine:${physical}`;
      case "aws:cloudwatch/eventRule:EventRule":
        return `arn:aws:events:${region}:${account}:rule/${physical}`;
      default:
        throw new Error(`no ARN scheme for ${type}`);
    }
  }

  /** The Lambda function SST created for a paybus function (`<Logical>Function`). */
  lambda(logicalName: string): RegisteredResource {
    return this.one("aws:lambda/function:Function", `${logicalName}Function`);
  }

  /** The statements of a function role's inline policy. */
  statements(logicalName: string): Statement[] {
    const policies = this.input<{ name: string; policy: string }[]>("aws:iam/role:Role", `${logicalName}Role`, "inlinePolicies");
    return policies.flatMap((policy) => (JSON.parse(policy.policy) as { Statement: Statement[] }).Statement);
  }
}

let custom: Graph;
let partner: Graph;

beforeAll(async () => {
  if (!available) return;
  // Every handler either stage deploys, bundled once for both by the esbuild the harness would use
  // (SST's, in .sst/platform): test/support/stacks/handler-bundles.ts.
  const handlers = prebuildHandlers(ROOT, [...buildPlan(customStage).functions, ...buildPlan(partnerStage).functions].map((fn) => fn.handler), PLATFORM);
  await build({
    entryPoints: [join(ROOT, "test", "support", "stacks", "mock-deploy.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: harness,
    // Resolved at run time from .sst/platform/node_modules (stacks/tsconfig.json maps them there for tsc).
    packages: "external",
    external: ["@pulumi/*"],
    logLevel: "silent",
  });
  const prebuilt = await handlers;
  [custom, partner] = await Promise.all([mockDeploy("custom", customStage, prebuilt), mockDeploy("partner", partnerStage, prebuilt)]);
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(harness, { force: true });
});

const plan = buildPlan(customStage);

describe.skipIf(!available)("the stacks under Pulumi mocks", () => {
  it("deploy without an error, every handler bundling with its export", () => {
    expect(custom.deployment.errors).toEqual([]);
    expect(partner.deployment.errors).toEqual([]);
    expect(custom.all("aws:lambda/function:Function").map((fn) => fn.name).sort()).toEqual(
      plan.functions.map((fn) => `${fn.logicalName}Function`).sort(),
    );
  });

  it("encrypts every queue and redrives each consumer queue to its own DLQ after the declared receives", () => {
    for (const queue of custom.all("aws:sqs/queue:Queue")) expect([queue.name, queue.inputs.sqsManagedSseEnabled]).toEqual([queue.name, true]);
    for (const queue of plan.queues) {
      const redrive = JSON.parse(custom.input("aws:sqs/queue:Queue", queue.logicalName, "redrivePolicy")) as Record<string, unknown>;

      expect(redrive).toEqual({
        deadLetterTargetArn: custom.arn("aws:sqs/queue:Queue", queue.deadLetter.logicalName),
        maxReceiveCount: declaredQueues[queue.queue as keyof typeof declaredQueues].maxReceiveCount,
      });
    }
  });

  it("feeds each consumer through an event source mapping with the declared batching and partial batch responses", () => {
    for (const queue of plan.queues) {
      const declared = declaredQueues[queue.queue as keyof typeof declaredQueues].consumer;
      const mapping = custom.one("aws:lambda/eventSourceMapping:EventSourceMapping", `${queue.consumer}Source`).inputs;

      expect(mapping).toMatchObject({
        eventSourceArn: custom.arn("aws:sqs/queue:Queue", queue.logicalName),
        functionName: custom.arn("aws:lambda/function:Function", `${queue.consumer}Function`),
        batchSize: declared.batchSize,
        maximumBatchingWindowInSeconds: declared.batchingWindowSeconds,
        scalingConfig: { maximumConcurrency: declared.maximumConcurrency },
        functionResponseTypes: ["ReportBatchItemFailures"],
      });
    }
  });

  it("puts every declared rule on the bus with its exact pattern, retry policy and a target DLQ", () => {
    const busName = custom.input("aws:cloudwatch/eventBus:EventBus", "EventBusBus", "name");
    for (const rule of ruleList) {
      const created = custom.one("aws:cloudwatch/eventRule:EventRule", rule.name).inputs;
      const target = custom.one("aws:cloudwatch/eventTarget:EventTarget", `${rule.name}Target`).inputs;
      const queue = "queue" in rule.target ? plan.queues.find((q) => q.queue === (rule.target as { queue: string }).queue) : undefined;

      expect(JSON.parse(created.eventPattern as string)).toEqual(rule.pattern);
      expect(created.eventBusName).toBe(busName);
      expect(target).toMatchObject({
        eventBusName: busName,
        arn: custom.arn("aws:sqs/queue:Queue", queue!.logicalName),
        retryPolicy: {
          maximumRetryAttempts: rule.retryPolicy.maximumRetryAttempts,
          maximumEventAgeInSeconds: rule.retryPolicy.maximumEventAgeSeconds,
        },
        deadLetterConfig: { arn: custom.arn("aws:sqs/queue:Queue", "RoutingDlq") },
      });
    }
  });

  it("lets EventBridge send to a queue only for the rules that target it", () => {
    const policy = JSON.parse(custom.input("aws:sqs/queuePolicy:QueuePolicy", "LoyaltyQueuePolicy", "policy")) as {
      Statement: { Condition: { ArnEquals: { "aws:SourceArn": string[] } } }[];
    };

    expect(policy.Statement[0]!.Condition.ArnEquals["aws:SourceArn"]).toEqual([
      custom.arn("aws:cloudwatch/eventRule:EventRule", "LoyaltyAccrual"),
      custom.arn("aws:cloudwatch/eventRule:EventRule", "LoyaltyReversal"),
    ]);
  });

  it("runs every function on arm64 nodejs22.x with its tables' names in the declared variables", () => {
    for (const fn of custom.all("aws:lambda/function:Function")) {
      expect([fn.name, fn.inputs.runtime, fn.inputs.architectures]).toEqual([fn.name, "nodejs22.x", ["arm64"]]);
    }
    const variables = custom.lambda("NotificationsConsumer").inputs.environment as { variables: Record<string, string> };
    for (const table of ["notifications", "profiles"] as const) {
      const physical = custom.input("aws:dynamodb/table:Table", plan.tables.find((t) => t.table === table)!.logicalName, "name") ?? `${plan.tables.find((t) => t.table === table)!.logicalName}-mock`;
      expect(variables.variables[declaredTables[table].envVar]).toBe(physical);
    }
    expect(variables.variables.PAYBUS_EMAIL_FROM).toBe("billing@shop.example");
  });

  it("gives each function role only its own resources: loyalty no email or push, notifications no workflow", () => {
    const actions = (logicalName: string) => custom.statements(logicalName).flatMap((statement) => statement.actions);

    expect(actions("LoyaltyConsumer").filter((action) => /^(ses|sns):/.test(action))).toEqual([]);
    expect(actions("NotificationsConsumer").filter((action) => action.startsWith("states:"))).toEqual([]);
    expect(actions("LoyaltyConsumer")).toContain("states:StartExecution");
    for (const fn of plan.functions) {
      for (const statement of custom.statements(fn.logicalName)) {
        expect(statement.actions.filter((action) => action.includes("*"))).toEqual([]);
        expect(statement.resources).not.toContain("*");
      }
    }
    const sqsResources = custom
      .statements("NotificationsConsumer")
      .filter((statement) => statement.actions.some((action) => action.startsWith("sqs:")))
      .flatMap((statement) => statement.resources);
    expect(sqsResources).toEqual([custom.arn("aws:sqs/queue:Queue", "NotificationsQueue")]);
  });

  it("lets only Lambda assume the function roles", () => {
    for (const fn of plan.functions) {
      const trust = custom.input<string | object>("aws:iam/role:Role", `${fn.logicalName}Role`, "assumeRolePolicy");
      const document = (typeof trust === "string" ? JSON.parse(trust) : trust) as { Statement: { Principal: unknown }[] };

      expect(document.Statement.map((statement) => statement.Principal)).toEqual([{ Service: "lambda.amazonaws.com" }]);
    }
  });

  it("deploys the engagement state machine invoking exactly its deployed functions", () => {
    const machine = plan.stateMachines[0]!;
    const definition = custom.input("aws:sfn/stateMachine:StateMachine", machine.logicalName, "definition");
    const functionArns = machine.functions.map((name) => custom.arn("aws:lambda/function:Function", `${name}Function`));
    const invoked = [...definition.matchAll(/"FunctionName":"([^"]+)"/g)].map((match) => match[1]);
    const rolePolicy = JSON.parse(custom.input("aws:iam/rolePolicy:RolePolicy", `${machine.logicalName}Invoke`, "policy")) as {
      Statement: { Action: string[]; Resource: string[] }[];
    };

    expect(definition).not.toContain("${");
    expect(new Set(invoked)).toEqual(new Set(functionArns));
    expect(custom.input("aws:sfn/stateMachine:StateMachine", machine.logicalName, "type")).toBe("STANDARD");
    expect(rolePolicy.Statement).toEqual([
      { Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: functionArns.flatMap((arn) => [arn, `${arn}:*`]) },
    ]);
  });

  it("creates every table on demand with point-in-time recovery and the declared TTL", () => {
    for (const table of plan.tables) {
      const inputs = custom.one("aws:dynamodb/table:Table", table.logicalName).inputs;

      expect(inputs).toMatchObject({ billingMode: "PAY_PER_REQUEST", pointInTimeRecovery: { enabled: true }, hashKey: table.partitionKey.name });
      expect(inputs.ttl).toEqual(table.ttlAttribute ? { attributeName: table.ttlAttribute, enabled: true } : undefined);
    }
  });

  it("wires the webhook bridge and push only where the stage has them", () => {
    // The webhook bridge (Stripe cannot sign AWS requests), the device, promotions and loyalty APIs (IAM, no CORS).
    expect(custom.all("aws:lambda/functionUrl:FunctionUrl")).toHaveLength(4);
    expect(custom.one("aws:lambda/functionUrl:FunctionUrl", "WebhookBridgeUrl").inputs.authorizationType).toBe("NONE");
    const deviceApi = custom.one("aws:lambda/functionUrl:FunctionUrl", "DeviceApiUrl").inputs;
    expect(deviceApi.authorizationType).toBe("AWS_IAM");
    expect(deviceApi.cors).toBeUndefined();
    expect(custom.all("aws:sns/platformApplication:PlatformApplication")).toHaveLength(1);
    // Every stage has the loyalty and promotions APIs, and only them, behind IAM.
    expect(partner.all("aws:lambda/functionUrl:FunctionUrl").map((url) => [url.name, url.inputs.authorizationType, url.inputs.cors]).sort()).toEqual([
      ["LoyaltyApiUrl", "AWS_IAM", undefined],
      ["PromotionsApiUrl", "AWS_IAM", undefined],
    ]);
    const loyaltyApi = custom.one("aws:lambda/functionUrl:FunctionUrl", "LoyaltyApiUrl").inputs;
    expect(loyaltyApi.authorizationType).toBe("AWS_IAM");
    expect(loyaltyApi.cors).toBeUndefined();
    expect(partner.all("aws:sns/platformApplication:PlatformApplication")).toEqual([]);
    expect(partner.all("aws:lambda/function:Function").map((fn) => fn.name)).not.toContain("WebhookBridgeFunction");
  });

  it("keeps the webhook secret out of the environment, in Secrets Manager only the bridge reads, and caps the bridge", () => {
    const bridge = custom.lambda("WebhookBridge");
    const variables = (bridge.inputs.environment as { variables: Record<string, string> }).variables;
    const secret = custom.one("aws:secretsmanager/secret:Secret", "WebhookSecret");
    const secretArn = `arn:aws:secretsmanager:eu-west-1:111122223333:${secret.id ?? (secret.inputs.name as string | undefined) ?? "WebhookSecret-mock"}`;

    expect(JSON.stringify(custom.all("aws:lambda/function:Function").map((fn) => fn.inputs.environment))).not.toContain("whsec_mock");
    expect(variables.STRIPE_WEBHOOK_SECRETS).toBeUndefined();
    expect(variables.PAYBUS_WEBHOOK_SECRET_ID).toBe(secretArn);
    // Pulumi keeps the value as a secret output (encrypted in its state).
    expect(custom.one("aws:secretsmanager/secretVersion:SecretVersion", "WebhookSecretValue").inputs.secretString).toMatchObject({ value: "whsec_mock" });
    expect(custom.statements("WebhookBridge").filter((statement) => statement.actions.includes("secretsmanager:GetSecretValue"))).toEqual([
      expect.objectContaining({ actions: ["secretsmanager:GetSecretValue"], resources: [secretArn] }),
    ]);
    for (const fn of plan.functions.filter((f) => f.logicalName !== "WebhookBridge")) {
      const reads = custom.statements(fn.logicalName).filter((statement) => statement.actions.includes("secretsmanager:GetSecretValue"));
      // Besides the bridge, only the tier-reward step reads a secret: the Stripe API key, never the webhook secret.
      expect(reads.flatMap((statement) => statement.resources)).not.toContain(secretArn);
      if (fn.logicalName !== "EngagementOffer") expect(reads).toEqual([]);
    }
    expect(bridge.inputs.reservedConcurrentExecutions).toBe(10);
    expect(custom.lambda("LoyaltyConsumer").inputs.reservedConcurrentExecutions).toBeUndefined();
  });

  it("confines table statements to the declared actions and partition keys", () => {
    const crm = custom.statements("EngagementCrm").filter((statement) => statement.actions.some((action) => action.startsWith("dynamodb:")));

    expect(crm).toEqual([
      expect.objectContaining({
        actions: ["dynamodb:UpdateItem"],
        conditions: [{ test: "ForAllValues:StringLike", variable: "dynamodb:LeadingKeys", values: ["CUSTOMER#*"] }],
      }),
    ]);
    // The notifications consumer reads any profile, and writes only contact stubs of Stripe customers.
    const profileStatements = custom
      .statements("NotificationsConsumer")
      .filter((statement) => statement.resources.some((resource) => /ProfilesTable/.test(resource)))
      .map((statement) => ({ actions: statement.actions, conditions: statement.conditions ?? [] }));
    expect(profileStatements).toEqual([
      { actions: ["dynamodb:GetItem"], conditions: [] },
      { actions: ["dynamodb:UpdateItem"], conditions: [{ test: "ForAllValues:StringLike", variable: "dynamodb:LeadingKeys", values: ["cus_*"] }] },
    ]);
  });

  it("references the partner bus by name instead of creating one, and archives it", () => {
    const bus = partner.one("aws:cloudwatch/eventBus:EventBus", "EventBusBus");
    const archive = partner.one("aws:cloudwatch/eventArchive:EventArchive", "EventArchive").inputs;

    expect(bus.id).toBe(PARTNER_BUS);
    expect(archive.eventSourceArn).toBe(`arn:aws:events:eu-west-1:111122223333:event-bus/${PARTNER_BUS}`);
    for (const rule of ruleList) expect(partner.input("aws:cloudwatch/eventRule:EventRule", rule.name, "eventBusName")).toBe(PARTNER_BUS);
    expect(partner.all("aws:dynamodb/table:Table").every((table) => table.inputs.deletionProtectionEnabled === true)).toBe(true);
  });

  it("creates every planned alarm, notifying the alarm topic", () => {
    const alarms = custom.all("aws:cloudwatch/metricAlarm:MetricAlarm");

    expect(alarms.map((alarm) => alarm.name).sort()).toEqual(plan.alarms.map((alarm) => alarm.logicalName).sort());
    const sla = custom.one("aws:cloudwatch/metricAlarm:MetricAlarm", "NotificationSlaEmail").inputs;
    expect(sla).toMatchObject({
      namespace: "paybus",
      metricName: "NotificationDelay",
      extendedStatistic: "p99",
      threshold: 60,
      dimensions: { service: "notifications", channel: "email" },
    });
    const dlq = custom.one("aws:cloudwatch/metricAlarm:MetricAlarm", "LoyaltyDlqDepth").inputs;
    expect(dlq.dimensions).toEqual({ QueueName: custom.input("aws:sqs/queue:Queue", "LoyaltyDlq", "name") ?? "LoyaltyDlq-mock" });
    const api = custom.one("aws:cloudwatch/metricAlarm:MetricAlarm", "LoyaltyApiUrl5xx").inputs;
    expect(api).toMatchObject({ namespace: "AWS/Lambda", metricName: "Url5xxCount", statistic: "Sum", threshold: 0 });
    expect(api.dimensions).toEqual({ FunctionName: custom.input("aws:lambda/function:Function", "LoyaltyApiFunction", "name") ?? "LoyaltyApiFunction-mock" });
  });
});
