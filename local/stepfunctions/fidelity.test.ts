/**
 * Answers as the Step Functions API reference describes them, through the real SDK: history event
 * details and the `previousEventId` chain, `DescribeExecution`'s redrive fields, pagination tokens,
 * the order of `SendTaskSuccess`'s checks, and unserved operations.
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  InvalidToken,
  ListActivitiesCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TagResourceCommand,
  type HistoryEvent,
  type SFNClient,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStepFunctions, type LocalStepFunctions } from "./index.ts";
import { generateTaskToken } from "./tokens.ts";
import { closedExecution, FakeLambdas, fixture, pendingToken, sfnClient } from "../../test/support/stepfunctions.ts";

const ARN_PREFIX = "arn:aws:states:us-east-1:000000000000:stateMachine:";

let sfn: LocalStepFunctions;
let client: SFNClient;
const lambdas = new FakeLambdas()
  .on("paybus-request-approval", () => ({ requested: true }))
  .on("paybus-send-receipt", () => ({ receipt: "r_1" }))
  .on("arn:aws:lambda:us-east-1:000000000000:function:paybus-award-points", () => ({ points: 42 }));

beforeAll(async () => {
  sfn = await startLocalStepFunctions({
    stateMachines: (["choice", "parallel", "callback"] as const).map((name) => ({ name, definition: fixture(name) })),
    invokeLambda: lambdas.invoke,
  });
  client = sfnClient(sfn.endpoint);
});

afterAll(async () => {
  client.destroy();
  await sfn.close();
});

async function run(machine: string, input: unknown, name?: string): Promise<string> {
  const { executionArn } = await client.send(
    new StartExecutionCommand({ stateMachineArn: ARN_PREFIX + machine, input: JSON.stringify(input), ...(name && { name }) }),
  );
  await closedExecution(sfn, executionArn!);
  return executionArn!;
}

async function history(executionArn: string, includeExecutionData?: boolean): Promise<HistoryEvent[]> {
  return (await client.send(new GetExecutionHistoryCommand({ executionArn, ...(includeExecutionData !== undefined && { includeExecutionData }) }))).events!;
}

const links = (events: HistoryEvent[]) => events.map((event) => [event.id, event.previousEventId, event.type]);

describe("GetExecutionHistory", () => {
  it("gives state events their inputDetails/outputDetails (truncated: false for API calls)", async () => {
    // Arrange
    const executionArn = await run("choice", { amount: 500 });

    // Act
    const events = await history(executionArn);

    // Assert
    const byType = Object.fromEntries(events.map((event) => [event.type, event]));
    expect(byType.ExecutionStarted!.executionStartedEventDetails!.inputDetails).toEqual({ truncated: false });
    expect(byType.ChoiceStateEntered!.stateEnteredEventDetails).toEqual({ name: "RouteByAmount", input: '{"amount":500}', inputDetails: { truncated: false } });
    expect(byType.PassStateExited!.stateExitedEventDetails).toEqual({
      name: "SmallPayment",
      output: '{"amount":500,"tier":"small"}',
      outputDetails: { truncated: false },
    });
    expect(byType.ExecutionSucceeded!.executionSucceededEventDetails!.outputDetails).toEqual({ truncated: false });
  });

  it("links events as AWS does: the first state entered and ExecutionStarted point to 0, then each to the event that led to it", async () => {
    // Act
    const events = await history(await run("choice", { amount: 25_000 }));

    // Assert
    expect(links(events)).toEqual([
      [1, 0, "ExecutionStarted"],
      [2, 0, "ChoiceStateEntered"],
      [3, 2, "ChoiceStateExited"],
      [4, 3, "PassStateEntered"],
      [5, 4, "PassStateExited"],
      [6, 5, "ExecutionSucceeded"],
    ]);
  });

  it("starts each Parallel branch from ParallelStateStarted and joins them in ParallelStateSucceeded", async () => {
    // Act
    const events = await history(await run("parallel", { paymentId: "pi_1" }));

    // Assert
    const id = (type: string, name?: string) =>
      events.find((event) => event.type === type && (name === undefined || (event.stateEnteredEventDetails ?? event.stateExitedEventDetails)?.name === name))!;
    const started = id("ParallelStateStarted");
    expect(started.previousEventId).toBe(id("ParallelStateEntered").id);
    expect(id("TaskStateEntered", "SendReceipt").previousEventId).toBe(started.id);
    expect(id("TaskStateEntered", "AwardPoints").previousEventId).toBe(started.id);
    expect(id("TaskStateExited", "SendReceipt").previousEventId).toBe(id("TaskStateEntered", "SendReceipt").id);
    const joined = id("ParallelStateSucceeded");
    const lastBranchEvent = Math.max(id("TaskStateExited", "SendReceipt").id!, id("TaskStateExited", "AwardPoints").id!);
    expect(joined.previousEventId).toBe(lastBranchEvent);
    expect(id("ParallelStateExited").previousEventId).toBe(joined.id);
    expect(id("SucceedStateEntered").previousEventId).toBe(id("ParallelStateExited").id);
  });

  it("leaves out inputs and outputs with includeExecutionData: false", async () => {
    // Arrange
    const executionArn = await run("choice", { amount: 7 });

    // Act
    const events = await history(executionArn, false);

    // Assert
    const entered = events.find((event) => event.type === "ChoiceStateEntered")!;
    expect(entered.stateEnteredEventDetails).toEqual({ name: "RouteByAmount", inputDetails: { truncated: false } });
    expect(events[0]!.executionStartedEventDetails!.input).toBeUndefined();
  });
});

describe("DescribeExecution", () => {
  it("carries the redrive fields of an execution never redriven", async () => {
    // Arrange
    const succeeded = await run("choice", { amount: 1 });
    const failed = await run("choice", {});
    const { executionArn: running } = await client.send(
      new StartExecutionCommand({ stateMachineArn: `${ARN_PREFIX}callback`, input: '{"refundId": "re_redrive"}' }),
    );

    // Act
    const describe = (executionArn: string) => client.send(new DescribeExecutionCommand({ executionArn }));
    const [ok, ko, open] = await Promise.all([describe(succeeded), describe(failed), describe(running!)]);

    // Assert
    expect(ok).toMatchObject({ redriveCount: 0, redriveStatus: "NOT_REDRIVABLE", redriveStatusReason: "Execution is SUCCEEDED and cannot be redriven" });
    expect(ko).toMatchObject({ status: "FAILED", redriveCount: 0, redriveStatus: "REDRIVABLE" });
    expect(ko.redriveStatusReason).toBeUndefined();
    expect(open).toMatchObject({ redriveCount: 0, redriveStatus: "NOT_REDRIVABLE", redriveStatusReason: "Execution is RUNNING and cannot be redriven" });
  });
});

describe("pagination tokens", () => {
  it("refuses an over-long nextToken with ValidationException and another listing's token with InvalidToken", async () => {
    // Arrange
    for (let i = 0; i < 3; i++) await run("choice", { amount: 100 + i });
    const page = await client.send(new ListExecutionsCommand({ stateMachineArn: `${ARN_PREFIX}choice`, maxResults: 1 }));
    const executionArn = page.executions![0]!.executionArn!;

    // Act
    const tooLong = client.send(new GetExecutionHistoryCommand({ executionArn, nextToken: "A".repeat(3097) }));
    const foreign = client.send(new GetExecutionHistoryCommand({ executionArn, nextToken: page.nextToken! }));
    const otherMachine = client.send(new ListExecutionsCommand({ stateMachineArn: `${ARN_PREFIX}parallel`, nextToken: page.nextToken! }));
    const same = client.send(new ListExecutionsCommand({ stateMachineArn: `${ARN_PREFIX}choice`, maxResults: 1, nextToken: page.nextToken! }));

    // Assert
    await expect(tooLong).rejects.toMatchObject({ name: "ValidationException", $metadata: { httpStatusCode: 400 } });
    await expect(foreign).rejects.toBeInstanceOf(InvalidToken);
    await expect(otherMachine).rejects.toBeInstanceOf(InvalidToken);
    expect((await same).executions).toHaveLength(1);
  });
});

describe("SendTaskSuccess", () => {
  it("checks the token before the output: a bad token with bad output is InvalidToken, a never-issued one TaskDoesNotExist", async () => {
    // Act
    const badBoth = client.send(new SendTaskSuccessCommand({ taskToken: "not-a-token", output: "{not json" }));
    const unknown = client.send(new SendTaskSuccessCommand({ taskToken: generateTaskToken(), output: "{not json" }));

    // Assert
    await expect(badBoth).rejects.toBeInstanceOf(InvalidToken);
    await expect(unknown).rejects.toMatchObject({ name: "TaskDoesNotExist" });
  });

  it("answers InvalidOutput only for a token that could be settled", async () => {
    // Arrange
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: `${ARN_PREFIX}callback`, input: '{"refundId": "re_out"}' }));
    const pending = await pendingToken(sfn, executionArn!);

    // Act
    const badOutput = client.send(new SendTaskSuccessCommand({ taskToken: pending.token, output: "{not json" }));

    // Assert
    await expect(badOutput).rejects.toMatchObject({ name: "InvalidOutput" });
    expect(sfn.pendingTaskTokens().map((open) => open.token)).toContain(pending.token);
  });
});

describe("operations the local endpoint does not serve", () => {
  it.each([
    ["CreateStateMachine", new CreateStateMachineCommand({ name: "x", definition: "{}", roleArn: "arn:aws:iam::000000000000:role/x" })],
    ["RedriveExecution", new RedriveExecutionCommand({ executionArn: `arn:aws:states:us-east-1:000000000000:execution:choice:x` })],
    ["ListMapRuns", new ListMapRunsCommand({ executionArn: `arn:aws:states:us-east-1:000000000000:execution:choice:x` })],
    ["ListActivities", new ListActivitiesCommand({})],
    ["TagResource", new TagResourceCommand({ resourceArn: `${ARN_PREFIX}choice`, tags: [] })],
  ] as const)("answers %s at once with UnknownOperationException", async (operation, command) => {
    // Act
    const answer = client.send(command as never);

    // Assert
    await expect(answer).rejects.toMatchObject({ name: "UnknownOperationException", $metadata: { httpStatusCode: 400 } });
    await expect(answer).rejects.toThrow(operation);
  });
});
