/** The plan's grants resolved to the local runtime's ARNs, and the principals built from them. */
import { describe, expect, it } from "vitest";
import { tables } from "../../functions/common/tables.ts";
import { buildPlan } from "../../stacks/plan.ts";
import { functionCredentials } from "../function-credentials.ts";
import { evaluate } from "./policy.ts";
import { localPrincipals, localResourceNames, localStage, stateMachineOfExecution, type LocalIamSubject } from "./local.ts";
import { statementsOf } from "./policies.ts";

const APPS = {
  GCM: "arn:aws:sns:us-east-1:000000000000:app/GCM/paybus-app",
  APNS: "arn:aws:sns:us-east-1:000000000000:app/APNS/paybus-app",
};
const subject: LocalIamSubject = {
  prefix: "paybus",
  region: "us-east-1",
  accountId: "000000000000",
  busName: "paybus-bus",
  functions: new Map([
    ["paybus-notifications", { name: "paybus-notifications", handler: "functions/notifications/handler.handler" }],
    ["paybus-EngagementCrm", { name: "paybus-EngagementCrm", handler: "functions/engagement-crm/handler.handler" }],
  ]),
  tableNames: Object.fromEntries(Object.keys(tables).map((name) => [name, `paybus-${name}`])),
  partitionKeys: Object.fromEntries(Object.entries(tables).map(([name, table]) => [name, table.partitionKey.name])),
  pushApplications: APPS,
  sesIdentities: ["example.com"],
  taskTokenStateMachine: () => undefined,
};

describe("statementsOf", () => {
  const stage = localStage("GCM");
  const names = localResourceNames(subject, "GCM", stage);

  it("gives each plan function its linked statements, resolved", () => {
    const plan = buildPlan(stage);
    const crm = plan.functions.find((fn) => fn.logicalName === "EngagementCrm")!;
    expect(statementsOf(plan, crm, names)).toEqual([
      {
        effect: "Allow",
        actions: ["dynamodb:UpdateItem"],
        resources: ["arn:aws:dynamodb:us-east-1:000000000000:table/paybus-loyalty"],
        conditions: [{ test: "ForAllValues:StringLike", variable: "dynamodb:LeadingKeys", values: ["CUSTOMER#*"] }],
      },
    ]);
  });
});

describe("localPrincipals", () => {
  const principals = localPrincipals(subject);

  it("knows a function by the key of its local name and of its plan name", () => {
    const byLocal = principals.get(functionCredentials("paybus-EngagementCrm").accessKeyId);
    expect(byLocal).toMatchObject({ functionName: "paybus-EngagementCrm", logicalName: "EngagementCrm" });
    expect(principals.get(functionCredentials("EngagementCrm").accessKeyId)).toBe(byLocal);
    expect(principals.get(functionCredentials("paybus-nobody").accessKeyId)).toBeUndefined();
  });

  it("lets a function publish to the endpoints of every local push application, and no other application's", () => {
    const notifications = principals.get(functionCredentials("paybus-notifications").accessKeyId)!;
    const publish = (resource: string) => evaluate(notifications.statements, { action: "sns:Publish", resource }).allowed;

    expect(publish("arn:aws:sns:us-east-1:000000000000:endpoint/GCM/paybus-app/1")).toBe(true);
    expect(publish("arn:aws:sns:us-east-1:000000000000:endpoint/APNS/paybus-app/1")).toBe(true);
    expect(publish("arn:aws:sns:us-east-1:000000000000:endpoint/GCM/paybus-demo/1")).toBe(false);
  });

  it("holds the sender condition of the stage (or of PAYBUS_EMAIL_FROM)", () => {
    const send = (from: string, emailFrom?: string) => {
      const principal = localPrincipals({ ...subject, ...(emailFrom ? { emailFrom } : {}) }).get(functionCredentials("paybus-notifications").accessKeyId)!;
      return evaluate(principal.statements, { action: "ses:SendEmail", resource: "arn:aws:ses:us-east-1:000000000000:identity/example.com", context: { "ses:FromAddress": from } }).allowed;
    };
    expect(send("billing@example.com")).toBe(true);
    expect(send("rewards@example.com")).toBe(false);
    expect(send("rewards@example.com", "rewards@example.com")).toBe(true);
  });
});

it("an execution ARN names its state machine", () => {
  expect(stateMachineOfExecution("arn:aws:states:us-east-1:000000000000:execution:paybus-engagement:run-1")).toBe("arn:aws:states:us-east-1:000000000000:stateMachine:paybus-engagement");
});
