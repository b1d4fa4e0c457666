import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { definitionPlaceholders, loadDefinition, readDefinition, stateMachines } from "../../workflows/index.ts";
import { buildPlan, PlanError, renderDefinition, TASK_TOKEN_ACTIONS } from "../../stacks/plan.ts";
import type { StageConfig } from "../../stacks/stage-config.ts";
import { customStage } from "../support/stages.ts";

const REPOSITORY_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "paybus-infra-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const stage: StageConfig = { ...customStage, push: false };
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

    it(`renders the ${machine.stateMachine} definition with every placeholder replaced by its function's ARN`, () => {
      const arn = (logicalName: string) => `arn:aws:lambda:eu-west-1:111122223333:function:paybus-prod-${logicalName}`;
      const arns = Object.fromEntries(machine.functions.map((name) => [name, arn(name)]));

      const definition = JSON.parse(renderDefinition(machine, REPOSITORY_ROOT, arns)) as object;

      expect(definition).toEqual(loadDefinition(machine.stateMachine, arn));
      expect(JSON.stringify(definition)).not.toContain("${");
      const invoked = valuesOf(definition, "FunctionName").filter((name) => typeof name === "string");
      expect(invoked.length).toBeGreaterThan(0);
      for (const name of invoked) expect(machine.functions.map(arn)).toContain(name);
    });
  }

  it("refuses to render a definition with a function ARN missing", () => {
    const machine = plan.stateMachines[0]!;
    const arns = Object.fromEntries(machine.functions.slice(1).map((name) => [name, `arn:${name}`]));

    expect(() => renderDefinition(machine, REPOSITORY_ROOT, arns)).toThrow(PlanError);
  });

  it("renders definitions from a bundle elsewhere, as SST runs the stacks from .sst/platform/", async () => {
    const outfile = join(scratch, ".sst", "platform", "sst.config.mjs");
    await build({
      entryPoints: [join(REPOSITORY_ROOT, "stacks", "plan.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      outfile,
      logLevel: "silent",
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
    const bundled = (await import(pathToFileURL(outfile).href)) as typeof import("../../stacks/plan.ts");
    const machine = bundled.buildPlan(stage).stateMachines[0]!;
    const arns = Object.fromEntries(machine.functions.map((name) => [name, `arn:aws:lambda:::function:${name}`]));

    const definition = bundled.renderDefinition(machine, REPOSITORY_ROOT, arns);

    expect(definitionPlaceholders(JSON.parse(definition))).toEqual([]);
    expect(definition).toContain("arn:aws:lambda:::function:");
  });

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
    const machineGrants = grants.filter((grant) => grant.ref.kind === "stateMachine" || grant.ref.kind === "taskTokens");

    expect(machineGrants.flatMap((grant) => grant.statements.flatMap((statement) => statement.actions))).toEqual([...TASK_TOKEN_ACTIONS]);
    expect(TASK_TOKEN_ACTIONS).toContain("states:SendTaskSuccess");
  });
});
