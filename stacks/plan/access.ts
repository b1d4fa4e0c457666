/**
 * Access: what linking each kind of resource lets a function do (its IAM statements) and what it
 * tells the function (its environment variables).
 */
import type { Access, TableAccess, TableName } from "../../declarations/rules.ts";
import type { StageConfig } from "../stage-config.ts";
import { EMAIL_FROM_ENV, EVENT_BUS_NAME_ENV, PUSH_APPLICATIONS_ENV, STRIPE_API_KEY_SECRET_ID_ENV, WEBHOOK_SECRET_ID_ENV } from "./constants.ts";
import { PlanError, type Declarations } from "./declarations.ts";
import { stateMachineArnEnvVar } from "./names.ts";
import type { Part, PolicyStatement, ResourceRef, Template } from "./shapes.ts";

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

/** The IAM statements of one grant: linking `ref` to a function (with its declared table access). */
export function statementsFor(ref: ResourceRef, stage: StageConfig, tableAccess?: TableAccess | readonly TableAccess[]): PolicyStatement[] {
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

/** The environment variables linking `ref` gives a function: its name or ARN, never a secret value. */
export function environmentFor(ref: ResourceRef, tables: Declarations["tables"], stage: StageConfig): Record<string, Template> {
  switch (ref.kind) {
    case "table":
      return { [tables[ref.table].envVar]: [nameOf(ref)] };
    case "stateMachine":
      return { [stateMachineArnEnvVar(ref.stateMachine)]: [arnOf(ref)] };
    case "emailIdentity":
      return { [EMAIL_FROM_ENV]: [stage.emailFrom] };
    case "deviceEndpoints":
      // The device API creates endpoints in the application of the stage's platform.
      if (ref.mode === "register" && stage.push) {
        return { [PUSH_APPLICATIONS_ENV]: [`{"${stage.push.platform}":"`, arnOf({ kind: "pushApplication" }), '"}'] };
      }
      return {};
    case "pushApplication":
      // The function publishes to endpoint ARNs kept in customer profiles: it needs no address.
    case "taskTokens":
      // Task tokens carry their execution: answering one needs no address either.
      return {};
    case "bus":
      return { [EVENT_BUS_NAME_ENV]: [nameOf(ref)] };
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
