import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { engagementInput } from "../events/engagement-input.ts";
import { definitionPlaceholders, loadDefinition, readDefinition, resolvePlaceholders, stateMachines, UndeclaredFunctionError } from "./index.ts";

// asl-validator ships no types.
const validateAsl = createRequire(import.meta.url)("asl-validator") as (
  definition: unknown,
) => { isValid: boolean; errorsText: (separator?: string) => string };

type Json = Record<string, unknown>;

const lambdaArn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:paybus-${name}`;

/** Every state of a definition, Parallel branches and Map processors included. */
function allStates(definition: Json): [string, Json][] {
  return Object.entries(definition.States as Record<string, Json>).flatMap(([name, state]) => {
    const nested = [...((state.Branches as Json[] | undefined) ?? []), ...(state.ItemProcessor ? [state.ItemProcessor as Json] : [])];
    return [[name, state] as [string, Json], ...nested.flatMap(allStates)];
  });
}

/** `$.a.b` references inside a value (plain paths and intrinsic-function arguments), `$$.` context paths excluded. */
function pathsIn(value: string): string[] {
  return [...value.matchAll(/(?<!\$)\$((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)].map((m) => `$${m[1]}`);
}

/** Paths a template reads: the values of its `key.$` fields, at any depth. */
function templatePaths(template: unknown): string[] {
  if (template === null || typeof template !== "object") return [];
  return Object.entries(template as Json).flatMap(([key, value]) =>
    key.endsWith(".$") && typeof value === "string" ? pathsIn(value) : templatePaths(value),
  );
}

function choicePaths(rule: Json): string[] {
  const own = Object.entries(rule).flatMap(([key, value]) =>
    (key === "Variable" || key.endsWith("Path")) && typeof value === "string" ? pathsIn(value) : [],
  );
  const nested = [...((rule.And as Json[]) ?? []), ...((rule.Or as Json[]) ?? []), ...(rule.Not ? [rule.Not as Json] : [])];
  return [...own, ...nested.flatMap(choicePaths)];
}

const READ_FIELDS = ["InputPath", "ItemsPath", "SecondsPath", "TimestampPath", "TimeoutSecondsPath", "HeartbeatSecondsPath", "ErrorPath", "CausePath"];

/** Every path the definition reads from the state input, and every path a ResultPath writes. */
function pathUsage(definition: Json): { read: Set<string>; written: Set<string> } {
  const read = new Set<string>();
  const written = new Set<string>();
  for (const [, state] of allStates(definition)) {
    for (const field of READ_FIELDS) if (typeof state[field] === "string") pathsIn(state[field] as string).forEach((p) => read.add(p));
    templatePaths(state.Parameters).forEach((p) => read.add(p));
    templatePaths(state.ItemSelector).forEach((p) => read.add(p));
    ((state.Choices as Json[]) ?? []).flatMap(choicePaths).forEach((p) => read.add(p));
    for (const holder of [state, ...((state.Catch as Json[]) ?? [])]) {
      if (typeof holder.ResultPath === "string") written.add(holder.ResultPath);
    }
  }
  return { read, written };
}

/** Whether `$.a.b` names a field of the schema (through nullable/optional wrappers). */
function schemaHasPath(schema: z.ZodType, path: string): boolean {
  let current: z.ZodType = schema;
  for (const segment of path.split(".").slice(1)) {
    while (current instanceof z.ZodNullable || current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
    if (!(current instanceof z.ZodObject) || !Object.hasOwn(current.shape, segment)) return false;
    current = current.shape[segment] as z.ZodType;
  }
  return true;
}

/** Paths read from the workflow input that the input schema lacks (paths a ResultPath wrote excepted). */
function undeclaredInputPaths(definition: Json): string[] {
  const { read, written } = pathUsage(definition);
  const producedByStates = (path: string) => [...written].some((w) => path === w || path.startsWith(`${w}.`));
  return [...read].filter((path) => !producedByStates(path) && !schemaHasPath(engagementInput, path)).sort();
}

describe("the engagement definition", () => {
  it("is valid ASL once the function ARNs are substituted", () => {
    const result = validateAsl(loadDefinition("engagement", lambdaArn));

    expect(result.errorsText("\n")).toBe("");
    expect(result.isValid).toBe(true);
  });

  it("fails validation when a transition goes nowhere (the validator is really checking)", () => {
    const broken = loadDefinition("engagement", lambdaArn) as Json;
    ((broken.States as Record<string, Json>).HighValueEngagement as Json).Next = "NoSuchState";

    expect(validateAsl(broken).isValid).toBe(false);
  });

  it("invokes exactly the functions its declaration lists", () => {
    expect(definitionPlaceholders(readDefinition("engagement")).sort()).toEqual(Object.keys(stateMachines.engagement.functions).sort());
  });

  it("substitutes every placeholder", () => {
    const loaded = JSON.stringify(loadDefinition("engagement", lambdaArn));

    expect(loaded).not.toMatch(/\$\{/);
    expect(loaded).toContain(lambdaArn("FollowupSchedule"));
  });

  it("refuses a placeholder its declaration does not list", () => {
    const definition = { StartAt: "A", States: { A: { Type: "Task", Resource: "${Nope}", End: true } } };

    expect(() => resolvePlaceholders(definition, { Known: {} }, lambdaArn)).toThrow(UndeclaredFunctionError);
    expect(() => resolvePlaceholders(definition, { Known: {} }, lambdaArn)).toThrow(/\$\{Nope\}/);
  });

  it("waits for the follow-up on a task token, 72 hours ahead", () => {
    const states = Object.fromEntries(allStates(readDefinition("engagement") as Json));
    const followUp = states.ScheduleFollowUp as Json;

    expect(followUp.Resource).toBe("arn:aws:states:::lambda:invoke.waitForTaskToken");
    expect((followUp.Parameters as Json).Payload).toMatchObject({ "taskToken.$": "$$.Task.Token", delaySeconds: 72 * 3600 });
  });
});

describe("contract between the ASL and the workflow input schema", () => {
  it("reads only paths the input schema declares", () => {
    const definition = readDefinition("engagement") as Json;

    expect(pathUsage(definition).read).toContain("$.tierChanged");
    expect(pathUsage(definition).read).toContain("$.pointsEarned");
    expect(undeclaredInputPaths(definition)).toEqual([]);
  });

  it("catches a definition that drifted from the schema", () => {
    const drifted = readDefinition("engagement") as Json;
    const route = (drifted.States as Record<string, Json>).Route as Json;
    (route.Choices as Json[])[0]!.Variable = "$.tierChange";
    const crm = allStates(drifted).find(([name]) => name === "UpdateCrmProfile")![1];
    ((crm.Parameters as Json).Payload as Json)["loyaltyTier.$"] = "States.Format('{}', $.tier.name)";

    expect(undeclaredInputPaths(drifted)).toEqual(["$.tier.name", "$.tierChange"]);
  });

  it("accepts what the loyalty consumer sends and refuses an inconsistent tier change", () => {
    const input = {
      purchaseId: "pi_1",
      customerId: "C-1",
      stripeCustomerId: "cus_1",
      pointsEarned: 40,
      amount: 2000,
      currency: "usd",
      tierChanged: true,
      previousTier: "member",
      newTier: "silver",
      occurredAt: "2026-08-04T00:19:24.000Z",
    };

    expect(engagementInput.safeParse(input).success).toBe(true);
    expect(engagementInput.safeParse({ ...input, newTier: null }).success).toBe(false);
    expect(engagementInput.safeParse({ ...input, extra: 1 }).success).toBe(false);
  });
});
