import { describe, expect, it } from "vitest";
import { deviceApi, loyaltyApi, promotionsApi, queues as declaredQueues, ruleList, webhookBridge, type Access } from "../../declarations/rules.ts";
import { POINTS_COMMIT_DELAY_METRIC as EMITTED_POINTS_COMMIT_DELAY } from "../../functions/loyalty/core.ts";
import { ENGAGEMENT_ARN_ENV } from "../../functions/loyalty/engagement.ts";
import { tables as declaredTables } from "../../functions/common/tables.ts";
import {
  buildPlan,
  declarations,
  DEVICE_API,
  LOYALTY_API,
  PlanError,
  POINTS_COMMIT_ALARM_MS,
  POINTS_COMMIT_DELAY_METRIC,
  PROMOTIONS_API,
  queuePolicy,
  TABLE_ACTIONS,
  WEBHOOK_BRIDGE,
  type FunctionPlan,
  type GrantPlan,
  type InfraPlan,
  type ResourceRef,
  type Template,
} from "../../stacks/plan.ts";
import type { StageConfig } from "../../stacks/stage-config.ts";
import { describeRef } from "../iam/audit.ts";
import { customStage, partnerStage } from "../support/stages.ts";

const plan = buildPlan(customStage);

function fn(p: InfraPlan, logicalName: string): FunctionPlan {
  const found = p.functions.find((candidate) => candidate.logicalName === logicalName);
  if (!found) throw new Error(`no function ${logicalName} in the plan`);
  return found;
}

function linkedGrants(p: InfraPlan, f: FunctionPlan): GrantPlan[] {
  return f.links.map((link) => {
    const grant = p.grants.find((candidate) => candidate.logicalName === link);
    if (!grant) throw new Error(`${f.logicalName} links ${link}, which the plan does not define`);
    return grant;
  });
}

/** The resources a function's grants reach, as comparable strings (`table:loyalty`, `emailIdentity`). */
function reach(p: InfraPlan, f: FunctionPlan): string[] {
  return linkedGrants(p, f)
    .map(({ ref }) => describeRef(ref))
    .sort();
}

/** What a declared Access should reach, written out independently of the plan's own mapping. */
function expectedReach(access: Access, stage: StageConfig): string[] {
  return [
    ...Object.keys(access.tables ?? {}).map((table) => `table:${table}`),
    ...(access.stateMachines ?? []).map((machine) => `stateMachine:${machine}`),
    ...(access.taskTokens ?? []).map((machine) => `taskTokens:${machine}`),
    ...(access.email ? ["emailIdentity"] : []),
    ...(access.push && stage.push ? ["pushApplication"] : []),
    ...(access.putEvents ? ["bus"] : []),
    ...(access.deviceEndpoints && stage.push ? ["deviceEndpoints"] : []),
    ...(access.webhookSecret ? ["webhookSecret"] : []),
    ...(access.stripeApiKey ? ["stripeApiKey"] : []),
  ].sort();
}

function actionsOf(p: InfraPlan, f: FunctionPlan): string[] {
  return linkedGrants(p, f).flatMap((grant) => grant.statements.flatMap((statement) => [...statement.actions]));
}

const literal = (template: Template | undefined) =>
  template?.every((part) => typeof part === "string") ? template.join("") : undefined;

describe("queues and consumers", () => {
  it("gives every declared queue its own dead-letter queue with the declared receive count", () => {
    expect(plan.queues.map((queue) => queue.queue).sort()).toEqual(Object.keys(declaredQueues).sort());
    const queueNames = new Set(plan.queues.map((queue) => queue.logicalName));
    const dlqNames = plan.queues.map((queue) => queue.deadLetter.logicalName);

    expect(new Set(dlqNames).size).toBe(dlqNames.length);
    for (const queue of plan.queues) {
      const declared = declaredQueues[queue.queue as keyof typeof declaredQueues];
      expect(queueNames.has(queue.deadLetter.logicalName)).toBe(false);
      expect(queue.deadLetter.maxReceiveCount).toBe(declared.maxReceiveCount);
      expect(queue.deadLetter.retentionSeconds).toBeGreaterThan(queue.retentionSeconds);
      expect(queue.visibilityTimeoutSeconds).toBe(declared.visibilityTimeoutSeconds);
      expect(queue.encryption).toBe("SQS_MANAGED");
    }
  });

  it("consumes every queue with one function that reports partial batch failures, as declared", () => {
    for (const queue of plan.queues) {
      const declared = declaredQueues[queue.queue as keyof typeof declaredQueues].consumer;
      const consumers = plan.functions.filter(
        (f) => f.trigger.kind === "queue" && f.trigger.queue === queue.logicalName,
      );

      expect(consumers.map((f) => f.logicalName)).toEqual([queue.consumer]);
      const consumer = consumers[0]!;
      expect(consumer.handler).toBe(declared.handler);
      expect(consumer.trigger).toEqual({
        kind: "queue",
        queue: queue.logicalName,
        batchSize: declared.batchSize,
        batchingWindowSeconds: declared.batchingWindowSeconds,
        maximumConcurrency: declared.maximumConcurrency,
        reportBatchItemFailures: true,
      });
      expect(consumer.timeoutSeconds).toBe(declared.timeoutSeconds);
      expect(consumer.memoryMb).toBe(declared.memoryMb);
    }
  });

  it("runs every function on arm64 nodejs22.x", () => {
    for (const f of plan.functions) {
      expect([f.logicalName, f.runtime, f.architecture]).toEqual([f.logicalName, "nodejs22.x", "arm64"]);
    }
  });
});

describe("rules", () => {
  it("sends each declared pattern to AWS unchanged, with its retry policy and the routing DLQ", () => {
    expect(plan.rules.map((rule) => rule.name)).toEqual(ruleList.map((rule) => rule.name));
    for (const [index, rule] of plan.rules.entries()) {
      const declared = ruleList[index]!;
      expect(JSON.parse(rule.eventPattern)).toEqual(declared.pattern);
      expect(rule.retryPolicy).toEqual({
        maximumRetryAttempts: declared.retryPolicy.maximumRetryAttempts,
        maximumEventAgeInSeconds: declared.retryPolicy.maximumEventAgeSeconds,
      });
      expect(rule.deadLetterQueue).toBe(plan.routingDeadLetterQueue.logicalName);
    }
  });

  it("targets the queue each rule declares and lets exactly those rules send to it", () => {
    for (const rule of ruleList) {
      const target = rule.target;
      if (!("queue" in target)) continue;
      const queue = plan.queues.find((candidate) => candidate.queue === target.queue);
      const planned = plan.rules.find((candidate) => candidate.name === rule.name);

      expect(planned?.target).toEqual({ kind: "queue", queue: queue?.logicalName });
      expect(queue?.senders).toContain(rule.name);
    }
    const senders = plan.queues.flatMap((queue) => queue.senders);
    expect(senders.sort()).toEqual(
      ruleList.filter((rule) => "queue" in rule.target).map((rule) => rule.name).sort(),
    );
  });

  it("writes queue policies that admit EventBridge only on behalf of the given rules", () => {
    const policy = queuePolicy("arn:aws:sqs:eu-west-1:111122223333:loyalty", [
      "arn:aws:events:eu-west-1:111122223333:rule/bus/LoyaltyAccrual",
      "arn:aws:events:eu-west-1:111122223333:rule/bus/LoyaltyReversal",
    ]);

    expect(policy).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "EventBridgeRules",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: "arn:aws:sqs:eu-west-1:111122223333:loyalty",
          Condition: {
            ArnEquals: {
              "aws:SourceArn": [
                "arn:aws:events:eu-west-1:111122223333:rule/bus/LoyaltyAccrual",
                "arn:aws:events:eu-west-1:111122223333:rule/bus/LoyaltyReversal",
              ],
            },
          },
        },
      ],
    });
  });

  it("maps a rule that targets a state machine to that state machine", () => {
    const withWorkflowRule = {
      ...declarations,
      rules: [
        ...declarations.rules,
        {
          name: "EngagementKickoff",
          description: "Start the engagement workflow directly.",
          pattern: { source: ["paybus.stripe"] },
          target: { stateMachine: "engagement" as const },
          retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeSeconds: 600 },
        },
      ],
    };

    const rule = buildPlan(customStage, withWorkflowRule).rules.find((r) => r.name === "EngagementKickoff");

    expect(rule?.target).toEqual({ kind: "stateMachine", stateMachine: "EngagementStateMachine" });
  });

  it("refuses a rule whose queue is not declared", () => {
    const dangling = {
      ...declarations,
      rules: [{ ...declarations.rules[0]!, target: { queue: "winback" as never } }],
    };

    expect(() => buildPlan(customStage, dangling)).toThrow(PlanError);
    expect(() => buildPlan(customStage, dangling)).toThrow(/undeclared queue "winback"/);
  });
});

describe("least privilege", () => {
  it("links every function to exactly the resources its declaration names", () => {
    const declared: [string, Access][] = [
      ...Object.values(declaredQueues).map((queue, index): [string, Access] => [
        plan.queues[index]!.consumer,
        queue.consumer.access,
      ]),
      ...Object.values(declarations.stateMachines).flatMap((machine) =>
        Object.entries(machine.functions).map(([name, f]): [string, Access] => [name, f.access]),
      ),
      ...Object.entries(declarations.scheduledFunctions).map(([name, f]): [string, Access] => [name, f.access]),
      [WEBHOOK_BRIDGE, webhookBridge.access],
      [DEVICE_API, deviceApi.access],
      [PROMOTIONS_API, promotionsApi.access],
      [LOYALTY_API, loyaltyApi.access],
    ];

    expect(declared.map(([name]) => name).sort()).toEqual(plan.functions.map((f) => f.logicalName).sort());
    for (const [name, access] of declared) {
      expect([name, ...reach(plan, fn(plan, name))]).toEqual([name, ...expectedReach(access, customStage)]);
    }
  });

  it("keeps loyalty away from email and push, and notifications away from workflows", () => {
    const loyalty = fn(plan, "LoyaltyConsumer");
    const notifications = fn(plan, "NotificationsConsumer");

    expect(actionsOf(plan, loyalty).filter((action) => /^(ses|sns):/.test(action))).toEqual([]);
    expect(actionsOf(plan, loyalty).filter((action) => action.startsWith("states:"))).toEqual(["states:StartExecution"]);
    expect(actionsOf(plan, notifications).filter((action) => action.startsWith("states:"))).toEqual([]);
    expect(actionsOf(plan, notifications)).toEqual(expect.arrayContaining(["ses:SendEmail", "sns:Publish"]));
    expect(reach(plan, loyalty)).not.toContain("table:notifications");
  });

  it("grants no wildcard action, no bare '*' resource and no table scan or administration", () => {
    for (const grant of plan.grants) {
      for (const statement of grant.statements) {
        for (const action of statement.actions) expect(action).not.toMatch(/\*/);
        for (const resource of statement.resources) expect(resource).not.toEqual(["*"]);
      }
    }
    expect(TABLE_ACTIONS).not.toContain("dynamodb:Scan");
    expect(TABLE_ACTIONS.filter((action) => /Table|Backup|Stream|TimeToLive/.test(action))).toEqual([]);
  });

  it("lets the email grant send only from the configured address", () => {
    const email = plan.grants.find((grant) => grant.ref.kind === "emailIdentity");

    expect(email?.statements).toEqual([
      expect.objectContaining({
        actions: ["ses:SendEmail"],
        conditions: [{ test: "StringEquals", variable: "ses:FromAddress", values: ["billing@shop.example"] }],
      }),
    ]);
  });

  it("serves the device API behind an IAM-authenticated URL, managing only the push application's endpoints", () => {
    const api = fn(plan, DEVICE_API);
    const customers = fn(plan, "CustomersConsumer");

    expect(api.trigger).toEqual({ kind: "url", auth: "iam" });
    expect(actionsOf(plan, api).filter((action) => action.startsWith("sns:")).sort()).toEqual([
      "sns:CreatePlatformEndpoint",
      "sns:DeleteEndpoint",
      "sns:GetEndpointAttributes",
      "sns:SetEndpointAttributes",
    ]);
    expect(actionsOf(plan, api)).not.toContain("sns:Publish");
    expect(actionsOf(plan, customers).filter((action) => action.startsWith("sns:"))).toEqual(["sns:DeleteEndpoint"]);
    expect(api.environment.PAYBUS_PUSH_APPLICATIONS).toEqual(['{"GCM":"', { arnOf: { kind: "pushApplication" } }, '"}']);
    expect(buildPlan(partnerStage).functions.map((f) => f.logicalName)).not.toContain(DEVICE_API);
  });

  it("serves the promotions API behind an IAM-authenticated URL on every stage, reading and writing only the promotion set", () => {
    const api = fn(plan, PROMOTIONS_API);

    expect(api.trigger).toEqual({ kind: "url", auth: "iam" });
    expect(actionsOf(plan, api).sort()).toEqual(["dynamodb:GetItem", "dynamodb:PutItem"]);
    expect(linkedGrants(plan, api).flatMap((grant) => grant.statements.map((s) => s.conditions?.[0]?.values))).toEqual([["PROMOTIONS"]]);
    expect(actionsOf(plan, fn(plan, "LoyaltyConsumer"))).toContain("dynamodb:GetItem");
    expect(buildPlan(partnerStage).functions.map((f) => f.logicalName)).toContain(PROMOTIONS_API);
  });

  it("drops push from the notifications function where the stage has no push application", () => {
    const partner = buildPlan(partnerStage);
    const notifications = fn(partner, "NotificationsConsumer");

    expect(reach(partner, notifications)).not.toContain("pushApplication");
    expect(actionsOf(partner, notifications)).not.toContain("sns:Publish");
    expect(partner.push).toBeUndefined();
    expect(partner.secrets).not.toContain("PushPlatformCredential");
  });

  it("refuses access to an undeclared table", () => {
    const engagement = declarations.stateMachines.engagement;
    const [taskName, task] = Object.entries(engagement.functions)[0]!;
    const broken = {
      ...declarations,
      stateMachines: {
        engagement: {
          ...engagement,
          functions: { ...engagement.functions, [taskName]: { ...task, access: { tables: { ledger: { actions: ["GetItem"] } } as never } } },
        },
      },
    };

    expect(() => buildPlan(customStage, broken)).toThrow(/reaches undeclared table "ledger"/);
  });
});

describe("function environment", () => {
  it("tells each function the names of the tables it links, under the declared variables, and no others", () => {
    for (const f of plan.functions) {
      const linkedTables = linkedGrants(plan, f).flatMap(({ ref }) => (ref.kind === "table" ? [ref.table] : []));
      for (const [table, declaration] of Object.entries(declaredTables)) {
        const value = f.environment[declaration.envVar];
        if (linkedTables.includes(table as keyof typeof declaredTables)) {
          expect(value).toEqual([{ nameOf: { kind: "table", table } }]);
        } else {
          expect(value).toBeUndefined();
        }
      }
    }
  });

  it("gives the loyalty consumer the engagement ARN under the variable it reads", () => {
    expect(fn(plan, "LoyaltyConsumer").environment[ENGAGEMENT_ARN_ENV]).toEqual([
      { arnOf: { kind: "stateMachine", stateMachine: "engagement" } },
    ]);
  });

  it("configures the webhook bridge from secrets and the stage, on custom-bus stages only", () => {
    const bridge = fn(plan, WEBHOOK_BRIDGE);

    expect(bridge.trigger).toEqual({ kind: "url" });
    // The signing secrets stay out of the environment: the bridge reads them from Secrets Manager.
    expect(bridge.environment.STRIPE_WEBHOOK_SECRETS).toBeUndefined();
    expect(bridge.environment.PAYBUS_WEBHOOK_SECRET_ID).toEqual([{ arnOf: { kind: "webhookSecret" } }]);
    expect(plan.webhookSecret).toEqual({ logicalName: "WebhookSecret", valueFrom: "StripeWebhookSecrets" });
    expect(bridge.environment.PAYBUS_EVENT_BUS_NAME).toEqual([{ nameOf: { kind: "bus" } }]);
    expect(literal(bridge.environment.PAYBUS_EXPECTED_LIVEMODE)).toBe("false");
    expect(plan.secrets).toContain("StripeWebhookSecrets");

    const partner = buildPlan(partnerStage);
    expect(partner.functions.map((f) => f.logicalName)).not.toContain(WEBHOOK_BRIDGE);
    expect(partner.secrets).not.toContain("StripeWebhookSecrets");
    expect(partner.bus.existingName).toBe(partnerStage.bus.kind === "partner" ? partnerStage.bus.eventSourceName : "");
  });

  it("adds per-context settings from the stage but never lets them replace what the deployment sets", () => {
    const configured = buildPlan({
      ...customStage,
      environment: { notifications: { PAYBUS_BILLING_PORTAL_URL: "https://shop.example/billing" } },
    });

    expect(literal(fn(configured, "NotificationsConsumer").environment.PAYBUS_BILLING_PORTAL_URL)).toBe(
      "https://shop.example/billing",
    );
    expect(fn(configured, "LoyaltyConsumer").environment.PAYBUS_BILLING_PORTAL_URL).toBeUndefined();
    expect(() =>
      buildPlan({ ...customStage, environment: { notifications: { PAYBUS_NOTIFICATIONS_TABLE: "mine" } } }),
    ).toThrow(/is set by the deployment itself/);
    expect(() => buildPlan({ ...customStage, environment: { billing: { X: "1" } } })).toThrow(/context "billing"/);
  });

  it("refuses, before any deploy, a setting its functions would refuse on every event", () => {
    const withSettings = (context: string, settings: Record<string, string>) => () => buildPlan({ ...customStage, environment: { [context]: settings } });

    expect(withSettings("loyalty", { PAYBUS_LOYALTY_CONFIG: '{"currencies":{"eur":{"points":"x"}}}' })).toThrow(/^environment\.loyalty: PAYBUS_LOYALTY_CONFIG\.currencies\.eur\.points: /);
    expect(withSettings("loyalty", { PAYBUS_LOYALTY_CONFIG: "{" })).toThrow(/PAYBUS_LOYALTY_CONFIG is not valid JSON/);
    expect(withSettings("notifications", { PAYBUS_BILLING_PORTAL_URL: "not a url" })).toThrow(/^environment\.notifications: PAYBUS_BILLING_PORTAL_URL: /);
    expect(withSettings("notifications", { PAYBUS_LIFECYCLE_NOTICES: '{"renewal-reminders":true}' })).toThrow(/names unknown notices: renewal-reminders/);
    expect(withSettings("workflows", { PAYBUS_TIER_REWARDS: "[]" })).toThrow(/^environment\.workflows: PAYBUS_TIER_REWARDS/);
    expect(withSettings("ingest", { PAYBUS_MAX_ENTRY_BYTES: "2000000" })).toThrow(/^environment\.ingest: webhook bridge misconfigured: PAYBUS_MAX_ENTRY_BYTES cannot exceed/);
    // Valid settings deploy as they are.
    expect(withSettings("loyalty", { PAYBUS_LOYALTY_CONFIG: '{"premiumMultiplier":3}' })).not.toThrow();
  });
});

describe("tables", () => {
  it("creates every declared table on demand with point-in-time recovery and its TTL attribute", () => {
    expect(plan.tables.map((table) => table.table).sort()).toEqual(Object.keys(declaredTables).sort());
    for (const table of plan.tables) {
      const declared = declaredTables[table.table];
      expect(table).toMatchObject({
        envVar: declared.envVar,
        partitionKey: declared.partitionKey,
        billingMode: "PAY_PER_REQUEST",
        pointInTimeRecovery: true,
        deletionProtection: false,
      });
      expect(table.sortKey).toEqual("sortKey" in declared ? declared.sortKey : undefined);
      expect(table.ttlAttribute).toEqual("ttlAttribute" in declared ? declared.ttlAttribute : undefined);
    }
    expect(buildPlan(partnerStage).tables.every((table) => table.deletionProtection)).toBe(true);
  });
});

describe("alarms", () => {
  it("watches the depth of every dead-letter queue, the routing one included", () => {
    const watched = plan.alarms
      .filter((alarm) => alarm.metricName === "ApproximateNumberOfMessagesVisible")
      .map((alarm) => alarm.dimensions.QueueName);
    const dlqs = [...plan.queues.map((queue) => queue.deadLetter.logicalName), plan.routingDeadLetterQueue.logicalName];

    expect(watched).toEqual(dlqs.map((queue) => [{ nameOf: { kind: "queue", queue } }]));
    for (const alarm of plan.alarms.filter((a) => a.namespace === "AWS/SQS")) {
      expect([alarm.comparison, alarm.threshold]).toEqual(["GreaterThanThreshold", 0]);
    }
  });

  it("alarms on the notification SLA per channel at p99, and on oversized webhooks only with the bridge", () => {
    const sla = plan.alarms.filter((alarm) => alarm.logicalName.startsWith("NotificationSla"));

    expect(sla.map((alarm) => [alarm.statistic.name, alarm.threshold, literal(alarm.dimensions.channel)])).toEqual([
      ["p99", 60, "email"],
      ["p99", 60, "push"],
    ]);
    expect(plan.alarms.map((alarm) => alarm.logicalName)).toContain("OversizedWebhookEvents");

    const partner = buildPlan({ ...partnerStage, notificationSlaSeconds: 30 });
    expect(
      partner.alarms.filter((a) => a.logicalName.startsWith("NotificationSla")).map((a) => [a.threshold, literal(a.dimensions.channel)]),
    ).toEqual([[30, "email"]]);
    expect(partner.alarms.map((alarm) => alarm.logicalName)).not.toContain("OversizedWebhookEvents");
  });

  it("alarms on the 5xx answers and throttles of every function URL and the failed runs of every scheduled function", () => {
    const lambdaAlarms = plan.alarms.filter((alarm) => alarm.namespace === "AWS/Lambda");
    const byFunction = (fn: string) => lambdaAlarms.filter((alarm) => alarm.functionName === fn).map((alarm) => alarm.metricName).sort();

    for (const api of ["LoyaltyApi", "PromotionsApi", "DeviceApi", "WebhookBridge"]) expect(byFunction(api)).toEqual(["Throttles", "Url5xxCount"]);
    for (const scheduled of ["LoyaltyExpiry", "FollowupDispatch"]) expect(byFunction(scheduled)).toEqual(["Errors"]);
    // Queue consumers (the VIP push and milestones among them) fail into their DLQ, watched by its depth.
    expect(lambdaAlarms.map((alarm) => alarm.functionName)).not.toContain(plan.functions.find((fn) => fn.handler === "functions/loyalty-vip/handler.handler")!.logicalName);
    expect(plan.alarms.map((alarm) => alarm.logicalName)).toEqual(expect.arrayContaining(["LoyaltyVipDlqDepth", "LoyaltyMilestonesDlqDepth"]));
    for (const alarm of lambdaAlarms) {
      expect(plan.functions.map((fn) => fn.logicalName)).toContain(alarm.functionName);
      expect(alarm).toMatchObject({ statistic: { kind: "statistic", name: "Sum" }, comparison: "GreaterThanThreshold", threshold: 0, dimensions: {} });
    }
  });

  it("alarms on PointsCommitDelay at p95 above 1,200 ms, the metric the loyalty consumer emits", () => {
    const alarm = plan.alarms.find((a) => a.logicalName === "PointsCommitSla");

    expect(alarm).toMatchObject({ namespace: "paybus", metricName: EMITTED_POINTS_COMMIT_DELAY, statistic: { kind: "percentile", name: "p95" }, threshold: POINTS_COMMIT_ALARM_MS });
    expect(POINTS_COMMIT_DELAY_METRIC).toBe(EMITTED_POINTS_COMMIT_DELAY);
    expect(literal(alarm!.dimensions.service)).toBe("loyalty");
  });
});

describe("names", () => {
  it("refuses two resources with one name", () => {
    const machine = declarations.stateMachines.engagement;
    const [, task] = Object.entries(machine.functions)[0]!;
    const clash = {
      ...declarations,
      stateMachines: { engagement: { ...machine, functions: { ...machine.functions, LoyaltyConsumer: task } } },
    };

    expect(() => buildPlan(customStage, clash)).toThrow(/two resources would be named "LoyaltyConsumer"/);
  });
});

describe("least privilege, action by action (issue 13, points 4 and 5)", () => {
  const statementsOf = (f: string, kind: ResourceRef["kind"], table?: string) =>
    linkedGrants(plan, fn(plan, f))
      .filter(({ ref }) => ref.kind === kind && (table === undefined || (ref.kind === "table" && ref.table === table)))
      .flatMap((grant) => grant.statements);

  it.each(["EngagementEmail", "FollowupDispatch"])("lets %s only read profiles", (name) => {
    expect(statementsOf(name, "table", "profiles").flatMap((statement) => statement.actions)).toEqual(["dynamodb:GetItem"]);
  });

  it.each([
    ["NotificationsConsumer", ["dynamodb:GetItem"]],
    ["LoyaltyConsumer", []],
  ])("lets %s write profiles only with UpdateItem (contact stubs), confined to Stripe customers", (name, reads) => {
    const statements = statementsOf(name, "table", "profiles");
    const writes = statements.filter((statement) => !statement.actions.every((action) => action === "dynamodb:GetItem"));

    expect(statements.filter((statement) => !writes.includes(statement)).flatMap((statement) => statement.actions)).toEqual(reads);
    expect(writes.flatMap((statement) => statement.actions)).toEqual(["dynamodb:UpdateItem"]);
    for (const statement of writes) {
      expect(statement.conditions).toEqual([{ test: "ForAllValues:StringLike", variable: "dynamodb:LeadingKeys", values: ["cus_*"] }]);
    }
  });

  it("grants no function ses:SendRawEmail, and no table grant reaches indexes without a Query", () => {
    for (const grant of plan.grants) {
      for (const statement of grant.statements) {
        expect(statement.actions).not.toContain("ses:SendRawEmail");
        if (!statement.actions.includes("dynamodb:Query")) {
          expect(statement.resources.some((resource) => resource.includes("/index/*"))).toBe(false);
        }
      }
    }
  });

  it("confines every function on the loyalty table to its own partition keys", () => {
    const loyaltyFunctions = plan.functions.filter((f) => linkedGrants(plan, f).some(({ ref }) => ref.kind === "table" && ref.table === "loyalty"));

    expect(loyaltyFunctions.length).toBeGreaterThan(5);
    for (const f of loyaltyFunctions) {
      for (const statement of statementsOf(f.logicalName, "table", "loyalty")) {
        expect(statement.conditions, f.logicalName).toEqual([
          { test: "ForAllValues:StringLike", variable: "dynamodb:LeadingKeys", values: expect.any(Array) },
        ]);
      }
    }
    expect(statementsOf("EngagementCrm", "table", "loyalty")).toEqual([
      {
        actions: ["dynamodb:UpdateItem"],
        resources: [[{ arnOf: { kind: "table", table: "loyalty" } }]],
        conditions: [{ test: "ForAllValues:StringLike", variable: "dynamodb:LeadingKeys", values: ["CUSTOMER#*"] }],
      },
    ]);
  });

  it("gives every grant to one function only", () => {
    const owners = plan.functions.flatMap((f) => f.links);

    expect(new Set(owners).size).toBe(owners.length);
    for (const grant of plan.grants) expect(fn(plan, grant.function).links).toContain(grant.logicalName);
  });

  it("lets the webhook bridge read its one secret and caps its concurrency; no other function is capped", () => {
    expect(statementsOf(WEBHOOK_BRIDGE, "webhookSecret")).toEqual([
      { actions: ["secretsmanager:GetSecretValue"], resources: [[{ arnOf: { kind: "webhookSecret" } }]] },
    ]);
    expect(fn(plan, WEBHOOK_BRIDGE).reservedConcurrency).toBe(10);
    expect(plan.functions.filter((f) => f.reservedConcurrency !== undefined).map((f) => f.logicalName)).toEqual([WEBHOOK_BRIDGE]);
  });

  it("refuses a table grant with no action or an action outside the item-level list", () => {
    const broken = (actions: readonly string[]) => ({
      ...declarations,
      webhookBridge: { ...webhookBridge, access: { ...webhookBridge.access, tables: { loyalty: { actions } } } } as never,
    });

    expect(() => buildPlan(customStage, broken([]))).toThrow(PlanError);
    expect(() => buildPlan(customStage, broken(["Scan"]))).toThrow(/grant one or more of dynamodb:GetItem/);
  });
});
