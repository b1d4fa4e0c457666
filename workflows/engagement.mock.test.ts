/**
 * The engagement workflow's paths, run offline with aws-local-stepfunctions from test cases written
 * in the AWS Step Functions Local mock-config format (`engagement.mock-config.json`): each test
 * case names a mocked response per Task state, and a response lists what each invocation returns
 * or throws ("0", "1-2", …), so retry sequences are data.
 */
import "../local/stepfunctions/polyfill.ts";
import { readFileSync } from "node:fs";
import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { engagementInput, type EngagementInput } from "../events/engagement-input.ts";
import { loadDefinition } from "./index.ts";

const mockedInvocation = z.union([
  z.object({ Return: z.unknown() }).strict(),
  z.object({ Throw: z.object({ Error: z.string(), Cause: z.string() }) }).strict(),
]);
const mockConfig = z.object({
  StateMachines: z.record(z.string(), z.object({ TestCases: z.record(z.string(), z.record(z.string(), z.string())) })),
  MockedResponses: z.record(z.string(), z.record(z.string().regex(/^\d+(-\d+)?$/), mockedInvocation)),
});
type MockConfig = z.infer<typeof mockConfig>;

const config: MockConfig = mockConfig.parse(JSON.parse(readFileSync(new URL("./engagement.mock-config.json", import.meta.url), "utf8")));
const definition = loadDefinition("engagement", (name) => `arn:aws:lambda:us-east-1:123456789012:function:paybus-${name}`) as {
  States: Record<string, { Type: string; Branches?: { States: Record<string, { Type: string }> }[] }>;
};
// Validated once (the library runs asl-validator with ARN and path checks).
const machine = new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { checkArn: true, checkPaths: true } });
const topLevelStates = new Set(Object.keys(definition.States));
const taskStates = Object.entries(definition.States).flatMap(([name, state]) => [
  ...(state.Type === "Task" ? [name] : []),
  ...(state.Branches ?? []).flatMap((branch) => Object.keys(branch.States)),
]);

/** What invocation `index` of a mocked response returns or throws (AWS's "n" and "a-b" keys). */
function invocationOf(responseName: string, index: number): z.infer<typeof mockedInvocation> | undefined {
  const response = config.MockedResponses[responseName];
  if (!response) throw new Error(`mock config: no MockedResponses.${responseName}`);
  for (const [key, invocation] of Object.entries(response)) {
    const [from, to = from] = key.split("-").map(Number) as [number, number?];
    if (index >= from && index <= to!) return invocation;
  }
  return undefined;
}

interface CaseRun {
  status: "SUCCEEDED" | "FAILED";
  output: unknown;
  error: string | undefined;
  /** Top-level states entered, in order. */
  path: string[];
  /** Every state entered, Parallel branches included. */
  entered: Set<string>;
  /** Effective input of each invocation of each Task state. */
  invocations: Map<string, unknown[]>;
}

async function runCase(testCase: string, input: EngagementInput): Promise<CaseRun> {
  const mocks = config.StateMachines.Engagement?.TestCases[testCase];
  if (!mocks) throw new Error(`mock config: no test case ${testCase}`);
  const invocations = new Map<string, unknown[]>();
  const handlers = Object.fromEntries(
    taskStates.map((state) => [
      state,
      async (effectiveInput: unknown) => {
        const calls = invocations.get(state) ?? [];
        calls.push(effectiveInput);
        invocations.set(state, calls);
        const responseName = mocks[state];
        if (!responseName) throw Object.assign(new Error(`${testCase} does not mock ${state}`), { name: "UnmockedState" });
        const invocation = invocationOf(responseName, calls.length - 1);
        if (!invocation) throw Object.assign(new Error(`${responseName} has no invocation ${calls.length - 1}`), { name: "MockExhausted" });
        if ("Throw" in invocation) throw Object.assign(new Error(invocation.Throw.Cause), { name: invocation.Throw.Error });
        return invocation.Return as never;
      },
    ]),
  );
  const execution = machine.run(engagementInput.parse(input), {
    overrides: {
      taskResourceLocalHandlers: handlers,
      // Real backoff is seconds; the sequence of attempts is what these tests check.
      retryIntervalOverrides: Object.fromEntries(taskStates.map((state) => [state, 0])),
    },
    context: { Execution: { Name: `purchase-${input.purchaseId}` }, Task: { Token: "mock-task-token" } },
  });
  const entered: string[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) if (event.type === "StateEntered") entered.push(event.state.name);
  })();
  const run: CaseRun = { status: "SUCCEEDED", output: undefined, error: undefined, path: [], entered: new Set(), invocations };
  try {
    run.output = await execution.result;
  } catch (error) {
    run.status = "FAILED";
    run.error = String((error as { cause?: { name?: string } }).cause?.name ?? (error as Error).name);
  }
  await collecting;
  run.path = entered.filter((name) => topLevelStates.has(name));
  run.entered = new Set(entered);
  return run;
}

const base = {
  purchaseId: "pi_3ccMRk5kb18UZlUmIpq2HE8H",
  customerId: "C-100877",
  stripeCustomerId: "cus_Qul9Qa3lJkatBi",
  amount: 2000,
  currency: "usd",
  occurredAt: "2026-08-04T00:19:24.000Z",
};
const tierUpgrade: EngagementInput = { ...base, pointsEarned: 40, tierChanged: true, previousTier: "member", newTier: "silver" };
const highValue: EngagementInput = { ...base, amount: 60_000, pointsEarned: 1200, tierChanged: false, previousTier: null, newTier: null };
const standard: EngagementInput = { ...base, pointsEarned: 40, tierChanged: false, previousTier: null, newTier: null };

const FAILURE_PATH = ["RecordFailure", "EngagementFailed"];

describe("engagement workflow, mock-config test cases", () => {
  it("TierUpgrade: congratulates, updates the CRM and applies the offer in parallel, then waits for the follow-up", async () => {
    const run = await runCase("TierUpgrade", tierUpgrade);

    expect(run.status).toBe("SUCCEEDED");
    expect(run.path).toEqual(["Route", "TierUpgrade", "ScheduleFollowUp", "Engaged"]);
    expect([...run.entered]).toEqual(expect.arrayContaining(["SendCongratulations", "UpdateCrmProfile", "ApplyPersonalisedOffer"]));
    expect(run.invocations.get("SendCongratulations")?.[0]).toMatchObject({ Payload: { template: "tier-upgrade", newTier: "silver" } });
    // The email is sent after the reward is applied in Stripe, and told what it was.
    expect(run.invocations.get("ApplyPersonalisedOffer")?.[0]).toMatchObject({ Payload: { stripeCustomerId: base.stripeCustomerId, newTier: "silver" } });
    expect(run.invocations.get("SendCongratulations")?.[0]).toMatchObject({
      Payload: { reward: { kind: "balance-credit", amount: 500, currency: "usd", stripeId: "cbtxn_mock" } },
    });
    expect(run.invocations.get("ScheduleFollowUp")?.[0]).toMatchObject({
      Payload: { taskToken: "mock-task-token", executionName: `purchase-${base.purchaseId}`, delaySeconds: 259_200 },
    });
    expect(run.output).toMatchObject({ ...tierUpgrade, followUp: { email: { sent: true } } });
  });

  it("TierUpgradeCrmRecoversAfterServiceErrors: retries a Lambda service error and goes on", async () => {
    const run = await runCase("TierUpgradeCrmRecoversAfterServiceErrors", tierUpgrade);

    expect(run.status).toBe("SUCCEEDED");
    expect(run.invocations.get("UpdateCrmProfile")).toHaveLength(3);
    expect(run.path).toEqual(["Route", "TierUpgrade", "ScheduleFollowUp", "Engaged"]);
  });

  it("TierUpgradeOfferRefused: a non-retryable error fails at once and is recorded", async () => {
    const run = await runCase("TierUpgradeOfferRefused", tierUpgrade);

    expect(run.status).toBe("FAILED");
    expect(run.error).toBe("EngagementFailed");
    expect(run.invocations.get("ApplyPersonalisedOffer")).toHaveLength(1);
    // No reward applied, so no congratulations claiming one.
    expect(run.invocations.get("SendCongratulations")).toBeUndefined();
    expect(run.path).toEqual(["Route", "TierUpgrade", ...FAILURE_PATH]);
    expect(run.invocations.get("RecordFailure")?.[0]).toMatchObject({
      Payload: { purchaseId: base.purchaseId, customerId: base.customerId, error: { Error: "TaskInputError" } },
    });
  });

  it("HighValue: thanks the customer, then waits for the follow-up", async () => {
    const run = await runCase("HighValue", highValue);

    expect(run.status).toBe("SUCCEEDED");
    expect(run.path).toEqual(["Route", "HighValueEngagement", "ScheduleFollowUp", "Engaged"]);
    expect(run.invocations.get("HighValueEngagement")?.[0]).toMatchObject({ Payload: { template: "high-value", pointsEarned: 1200 } });
  });

  it("HighValueThrottledEmailRetried: a RetryableError from the function is retried", async () => {
    const run = await runCase("HighValueThrottledEmailRetried", highValue);

    expect(run.status).toBe("SUCCEEDED");
    expect(run.invocations.get("HighValueEngagement")).toHaveLength(2);
  });

  it("HighValueEmailServiceDown: gives up after 1 + 6 attempts and records the failure", async () => {
    const run = await runCase("HighValueEmailServiceDown", highValue);

    expect(run.status).toBe("FAILED");
    expect(run.invocations.get("HighValueEngagement")).toHaveLength(7);
    expect(run.path).toEqual(["Route", "HighValueEngagement", ...FAILURE_PATH]);
    expect(run.invocations.get("RecordFailure")?.[0]).toMatchObject({ Payload: { error: { Error: "Lambda.ServiceException" } } });
  });

  it("StandardEmailTimesOutOnce: a function timeout (Sandbox.Timedout) is retried and the email sent", async () => {
    const run = await runCase("StandardEmailTimesOutOnce", standard);

    expect(run.status).toBe("SUCCEEDED");
    expect(run.invocations.get("StandardConfirmation")).toHaveLength(2);
    expect(run.path).toEqual(["Route", "StandardConfirmation", "Engaged"]);
  });

  it("HighValueEmailTimesOutAlways: gives up after 1 + 2 timed-out attempts and records the failure", async () => {
    const run = await runCase("HighValueEmailTimesOutAlways", highValue);

    expect(run.status).toBe("FAILED");
    expect(run.invocations.get("HighValueEngagement")).toHaveLength(3);
    expect(run.path).toEqual(["Route", "HighValueEngagement", ...FAILURE_PATH]);
    expect(run.invocations.get("RecordFailure")?.[0]).toMatchObject({ Payload: { error: { Error: "Sandbox.Timedout" } } });
  });

  it("HighValueFollowUpScheduleTimesOutOnce: the callback task's function timing out is retried (a new token, a second schedule item the dispatcher drops)", async () => {
    const run = await runCase("HighValueFollowUpScheduleTimesOutOnce", highValue);

    expect(run.status).toBe("SUCCEEDED");
    expect(run.invocations.get("ScheduleFollowUp")).toHaveLength(2);
    expect(run.path).toEqual(["Route", "HighValueEngagement", "ScheduleFollowUp", "Engaged"]);
  });

  it("HighValueFollowUpTimesOut: a follow-up never sent ends on the failure path", async () => {
    const run = await runCase("HighValueFollowUpTimesOut", highValue);

    expect(run.status).toBe("FAILED");
    expect(run.invocations.get("ScheduleFollowUp")).toHaveLength(1);
    expect(run.path).toEqual(["Route", "HighValueEngagement", "ScheduleFollowUp", ...FAILURE_PATH]);
  });

  it("Standard: confirms the points and ends", async () => {
    const run = await runCase("Standard", standard);

    expect(run.status).toBe("SUCCEEDED");
    expect(run.path).toEqual(["Route", "StandardConfirmation", "Engaged"]);
    expect(run.invocations.get("StandardConfirmation")?.[0]).toMatchObject({ Payload: { template: "confirmation", stripeCustomerId: "cus_Qul9Qa3lJkatBi" } });
    expect([...run.invocations.keys()]).toEqual(["StandardConfirmation"]);
  });

  it("takes the high-value path only above 500 points", async () => {
    const atThreshold = await runCase("Standard", { ...standard, pointsEarned: 500 });
    const above = await runCase("HighValue", { ...highValue, pointsEarned: 501 });

    expect(atThreshold.path).toEqual(["Route", "StandardConfirmation", "Engaged"]);
    expect(above.path).toContain("HighValueEngagement");
  });

  it("every test case in the mock config is exercised here", () => {
    const exercised = [
      "TierUpgrade",
      "TierUpgradeCrmRecoversAfterServiceErrors",
      "TierUpgradeOfferRefused",
      "HighValue",
      "HighValueThrottledEmailRetried",
      "HighValueEmailServiceDown",
      "HighValueFollowUpTimesOut",
      "Standard",
      "StandardEmailTimesOutOnce",
      "HighValueEmailTimesOutAlways",
      "HighValueFollowUpScheduleTimesOutOnce",
    ];

    expect(Object.keys(config.StateMachines.Engagement?.TestCases ?? {}).sort()).toEqual(exercised.sort());
  });
});
