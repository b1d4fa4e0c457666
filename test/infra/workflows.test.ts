import { describe, expect, it } from "vitest";
import { definitionPlaceholders, loadDefinition, readDefinition, stateMachines } from "../../workflows/index.ts";
import { buildPlan, STATE_MACHINE_ACTIONS } from "../../stacks/plan.ts";
import type { StageConfig } from "../../stacks/stage-config.ts";

const stage: StageConfig = {
  bus: { kind: "custom" },
  livemode: false,
  emailFrom: "billing@shop.example",
  push: false,
  archiveRetentionDays: 7,
  notificationSlaSeconds: 60,
  retain: false,
};
const plan = buildPlan(stage);

/** Every value under `key` anywhere in a JSON value (Parallel and Map branches included). */
function valuesOf(value: unknown, key: string): unknown[] {
  if (Array.isArray(value)) return value.flatMap((item) => valuesOf(item, key));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => [...(k === key ? [v] : []), ...valuesOf(v, key)]);
}

describe("state machines", () => {
  for (const machine of plan.stateMachines) {
    it(`deploys a function for every Lambda the ${machine.stateMachine} definition invokes, and no other`, () => {
      const placeholders = definitionPlaceholders(readDefinition(machine.stateMachine));
      const deployed = plan.functions
        .filter((fn) => fn.trigger.kind === "stateMachine" && fn.trigger.stateMachine === machine.logicalName)
        .map((fn) => fn.logicalName);

      expect(placeholders.length).toBeGreaterThan(0);
      expect([...placeholders].sort()).toEqual([...deployed].sort());
      expect([...machine.functions].sort()).toEqual([...deployed].sort());
    });

    it(`leaves no placeholder in the ${machine.stateMachine} definition once ARNs are substituted`, () => {
      const arn = (logicalName: string) => `arn:aws:lambda:eu-west-1:111122223333:function:paybus-prod-${logicalName}`;

      const definition = loadDefinition(machine.stateMachine, arn);

      expect(JSON.stringify(definition)).not.toContain("${");
      const invoked = valuesOf(definition, "FunctionName").filter((name) => typeof name === "string");
      expect(invoked.length).toBeGreaterThan(0);
      for (const name of invoked) expect(machine.functions.map(arn)).toContain(name);
    });
  }

  it("uses only Lambda integrations, the one thing the state machine role may do", () => {
    for (const machine of plan.stateMachines) {
      const resources = valuesOf(readDefinition(machine.stateMachine), "Resource");

      expect(resources.length).toBeGreaterThan(0);
      for (const resource of resources) expect(resource).toMatch(/^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/);
    }
  });

  it("declares the type the plan deploys", () => {
    for (const machine of plan.stateMachines) expect(machine.type).toBe(stateMachines[machine.stateMachine].type);
  });

  it("lets the follow-up dispatcher answer the task tokens the workflow hands out", () => {
    const dispatcher = plan.functions.find((fn) => fn.trigger.kind === "schedule");
    const grants = plan.grants.filter((grant) => dispatcher?.links.includes(grant.logicalName));
    const machineGrant = grants.find((grant) => grant.ref.kind === "stateMachine");

    expect(machineGrant?.statements.flatMap((statement) => statement.actions)).toEqual([...STATE_MACHINE_ACTIONS]);
    expect(STATE_MACHINE_ACTIONS).toContain("states:SendTaskSuccess");
  });
});
