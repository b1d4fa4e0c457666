/** Scaled time through the real SDK: long waits, heartbeats and callback timeouts on a fast clock. */
import { GetExecutionHistoryCommand, SendTaskSuccessCommand, StartExecutionCommand, TaskTimedOut, type SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStepFunctions, type LocalStepFunctions } from "./index.ts";
import { closedExecution, FakeLambdas, fixture, pendingToken, sfnClient } from "../../test/support/stepfunctions.ts";

const ARN_PREFIX = "arn:aws:states:us-east-1:000000000000:stateMachine:";

let sfn: LocalStepFunctions;
let client: SFNClient;

beforeAll(async () => {
  sfn = await startLocalStepFunctions({
    stateMachines: (["wait", "heartbeat", "callback-timeout"] as const).map((name) => ({ name, definition: fixture(name) })),
    invokeLambda: new FakeLambdas().invoke,
    // One simulated hour per 3.6 ms: 72 h = 259 ms, 7 days = 605 ms.
    timeScale: 1e-6,
  });
  client = sfnClient(sfn.endpoint);
});

afterAll(async () => {
  client.destroy();
  await sfn.close();
});

async function start(machine: string, input: unknown): Promise<string> {
  const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: ARN_PREFIX + machine, input: JSON.stringify(input) }));
  return executionArn!;
}

describe("timeScale", () => {
  it("makes a 72 h Wait and a SecondsPath Wait finish", async () => {
    // Arrange
    const input = { followUpSeconds: 3600 };

    // Act
    const record = await closedExecution(sfn, await start("wait", input));

    // Assert
    expect(record).toMatchObject({ status: "SUCCEEDED", output: input, path: ["CoolingOff", "FollowUpDelay", "Done"] });
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn: record.executionArn }));
    expect(events!.map((event) => event.type)).toContain("WaitStateEntered");
  });

  it("fails with States.Runtime when SecondsPath is not a non-negative integer", async () => {
    // Arrange
    const input = { followUpSeconds: -5 };

    // Act
    const record = await closedExecution(sfn, await start("wait", input));

    // Assert
    expect(record).toMatchObject({ status: "FAILED", error: "States.Runtime", path: ["CoolingOff", "FollowUpDelay"] });
  });

  it("fails a callback task with States.HeartbeatTimeout when no heartbeat comes", async () => {
    // Arrange
    const executionArn = await start("heartbeat", { payoutId: "po_1" });
    const { token, input } = await pendingToken(sfn, executionArn);
    // The only running execution waits for the outside world (what quiescence checks); one that runs does not.
    const onlyWaiting = sfn.onlyAwaitingTaskTokens();
    const waiting = await start("wait", { followUpSeconds: 3600 });
    const withARunningOne = sfn.onlyAwaitingTaskTokens();
    const tokenExecution = sfn.taskTokenExecution(token);

    // Act
    const record = await closedExecution(sfn, executionArn);

    // Assert
    expect(input).toMatchObject({ MessageBody: { taskToken: token, payoutId: "po_1" } });
    expect([onlyWaiting, withARunningOne]).toEqual([true, false]);
    expect([tokenExecution, sfn.taskTokenExecution(token), sfn.taskTokenExecution("AQnot-a-token")]).toEqual([executionArn, undefined, undefined]);
    expect((await closedExecution(sfn, waiting)).status).toBe("SUCCEEDED");
    expect(record).toMatchObject({ status: "FAILED", error: "States.HeartbeatTimeout" });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: "{}" }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it("times a callback task out with States.Timeout, which a States.TaskFailed Catch does not match", async () => {
    // Arrange
    const executionArn = await start("callback-timeout", { disputeId: "dp_1" });
    const { token, input } = await pendingToken(sfn, executionArn);

    // Act
    const record = await closedExecution(sfn, executionArn);

    // Assert
    expect(input).toMatchObject({ Entries: [{ Detail: { taskToken: token, disputeId: "dp_1" } }] });
    expect(record).toMatchObject({ status: "FAILED", error: "States.Timeout", path: ["AwaitDisputeEvidence"] });
    expect(sfn.pendingTaskTokens()).toEqual([]);
  });
});
