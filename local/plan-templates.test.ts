/** One resolver for the plan's templates: the environment a function is given and the policy it is held to name the same resources. */
import { describe, expect, it } from "vitest";
import { tables } from "../functions/common/tables.ts";
import { functionCredentials } from "./function-credentials.ts";
import { localFunctions, localPlan, type LocalResources } from "./function-environment.ts";
import { localPrincipals, localResourceNames, localStage, type LocalIamSubject } from "./iam/local.ts";
import { evaluate } from "./iam/policy.ts";
import { localStateMachineArn, resolveTemplate, UnresolvedTemplateError } from "./plan-templates.ts";

const APPS = {
  GCM: "arn:aws:sns:us-east-1:000000000000:app/GCM/paybus-app",
  APNS: "arn:aws:sns:us-east-1:000000000000:app/APNS/paybus-app",
};
const tableNames = Object.fromEntries(Object.keys(tables).map((name) => [name, `paybus-${name}`])) as LocalResources["tableNames"];
const subject: LocalIamSubject = {
  prefix: "paybus",
  region: "us-east-1",
  accountId: "000000000000",
  busName: "paybus-bus",
  functions: new Map(),
  tableNames,
  partitionKeys: Object.fromEntries(Object.entries(tables).map(([name, table]) => [name, table.partitionKey.name])),
  pushApplications: APPS,
  sesIdentities: ["example.com"],
  taskTokenStateMachine: () => undefined,
};

describe("resolveTemplate", () => {
  const stage = localStage("GCM");
  const names = localResourceNames(subject, "GCM", stage);

  it("turns names, ARNs and pseudo parameters into the local strings", () => {
    expect(resolveTemplate([{ arnOf: { kind: "table", table: "loyalty" } }, "/index/*"], names)).toBe("arn:aws:dynamodb:us-east-1:000000000000:table/paybus-loyalty/index/*");
    expect(resolveTemplate([{ arnOf: { kind: "stateMachine", stateMachine: "engagement" } }], names)).toBe("arn:aws:states:us-east-1:000000000000:stateMachine:paybus-engagement");
    expect(resolveTemplate([{ arnOf: { kind: "bus" } }], names)).toBe("arn:aws:events:us-east-1:000000000000:event-bus/paybus-bus");
    expect(resolveTemplate(["arn:", { pseudo: "partition" }, ":sns:", { pseudo: "region" }, ":", { pseudo: "accountId" }, ":endpoint/GCM/", { nameOf: { kind: "pushApplication" } }, "/*"], names)).toBe(
      "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/paybus-app/*",
    );
    expect(resolveTemplate([{ arnOf: { kind: "pushApplication" } }], names)).toBe(APPS.GCM);
  });

  it("refuses what has no local value (a secret in a policy, a push application the runtime lacks)", () => {
    expect(() => resolveTemplate([{ secret: "StripeWebhookSecrets" }], names)).toThrow(UnresolvedTemplateError);
    const noPush = localResourceNames({ ...subject, pushApplications: {} }, undefined, localStage(undefined));
    expect(() => resolveTemplate([{ arnOf: { kind: "pushApplication" } }], noPush)).toThrow(UnresolvedTemplateError);
  });

  it("builds a declared state machine's ARN one way", () => {
    expect(localStateMachineArn(subject, "engagement")).toBe("arn:aws:states:us-east-1:000000000000:stateMachine:paybus-engagement");
    expect(names.stateMachineArn("engagement")).toBe(localStateMachineArn(subject, "engagement"));
  });
});

describe("a function's environment and its policy", () => {
  const resources: LocalResources = { ...subject, pushApplications: APPS, gateway: "http://127.0.0.1:4999" };
  const plan = localPlan();
  const functions = localFunctions(plan, resources, {});
  const principals = localPrincipals(subject);

  it("name the same resources: every table, state machine and bus a function is told of, its policy lets it reach", () => {
    let checked = 0;
    for (const fn of functions) {
      const principal = principals.get(functionCredentials(fn.name).accessKeyId)!;
      const allowed = (action: string, resource: string) => evaluate(principal.statements, { action, resource }).allowed;
      for (const [key, value] of Object.entries(fn.environment)) {
        const declared = Object.values(tables).find((table) => table.envVar === key);
        if (declared) {
          const arn = `arn:aws:dynamodb:us-east-1:000000000000:table/${value}`;
          expect(["GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"].some((action) => allowed(`dynamodb:${action}`, arn)), `${fn.logicalName} ${key}=${value}`).toBe(true);
          checked += 1;
        } else if (key.endsWith("_STATE_MACHINE_ARN")) {
          expect(allowed("states:StartExecution", value), `${fn.logicalName} ${key}=${value}`).toBe(true);
          checked += 1;
        } else if (key === "PAYBUS_EVENT_BUS_NAME") {
          expect(allowed("events:PutEvents", `arn:aws:events:us-east-1:000000000000:event-bus/${value}`), `${fn.logicalName} ${key}=${value}`).toBe(true);
          checked += 1;
        }
      }
    }
    // Every consumer is told of at least one table: a check that found nothing would prove nothing.
    expect(checked).toBeGreaterThan(functions.length);
  });
});
