/** The Step Functions API through the real SDK: callbacks, name idempotency, listing and errors. */
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  InvalidOutput,
  InvalidToken,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
  type SFNClient,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStepFunctions, type LocalStepFunctions } from "./index.ts";
import { generateTaskToken } from "./tokens.ts";
import { closedExecution, FakeLambdas, fixture, pendingToken, sfnClient, waitFor } from "../../test/support/stepfunctions.ts";

const CALLBACK_ARN = "arn:aws:states:us-east-1:000000000000:stateMachine:callback";
const CHOICE_ARN = "arn:aws:states:us-east-1:000000000000:stateMachine:choice";
const WAIT_ARN = "arn:aws:states:us-east-1:000000000000:stateMachine:wait";
const APPROVAL = "paybus-request-approval";

let sfn: LocalStepFunctions;
let client: SFNClient;
const lambdas = new FakeLambdas().on(APPROVAL, () => ({ requested: true }));

beforeAll(async () => {
  sfn = await startLocalStepFunctions({
    stateMachines: [
      { name: "callback", definition: fixture("callback"), roleArn: "arn:aws:iam::000000000000:role/paybus-workflows" },
      { name: "choice", definition: fixture("choice") },
      { name: "wait", definition: fixture("wait") },
    ],
    invokeLambda: lambdas.invoke,
  });
  client = sfnClient(sfn.endpoint);
});

afterAll(async () => {
  client.destroy();
  await sfn.close();
});

async function startCallback(name: string, refundId = "re_1") {
  const started = await client.send(
    new StartExecutionCommand({ stateMachineArn: CALLBACK_ARN, name, input: JSON.stringify({ refundId }) }),
  );
  return { executionArn: started.executionArn!, pending: await pendingToken(sfn, started.executionArn!) };
}

describe("waitForTaskToken", () => {
  it("passes $$.Task.Token to the Lambda and resumes with the SendTaskSuccess output", async () => {
    // Arrange
    const { executionArn, pending } = await startCallback("approve-re-1");
    const invocation = lambdas.callsTo(APPROVAL).at(-1);

    // Act
    await client.send(new SendTaskSuccessCommand({ taskToken: pending.token, output: JSON.stringify({ approvedBy: "ops" }) }));

    // Assert
    expect(invocation).toEqual({ taskToken: pending.token, refundId: "re_1" });
    expect(pending).toMatchObject({ stateName: "RequestApproval", input: { FunctionName: APPROVAL, Payload: invocation } });
    const record = await closedExecution(sfn, executionArn);
    expect(record).toMatchObject({ status: "SUCCEEDED", output: { refundId: "re_1", approval: { approvedBy: "ops" } } });
    expect(sfn.pendingTaskTokens()).toEqual([]);
  });

  it("fails the task with the SendTaskFailure error and cause", async () => {
    // Arrange
    const { executionArn, pending } = await startCallback("reject-re-2", "re_2");

    // Act
    await client.send(new SendTaskFailureCommand({ taskToken: pending.token, error: "Paybus.RefundRejected", cause: "Over limit" }));

    // Assert
    const described = await closedExecution(sfn, executionArn).then(() => client.send(new DescribeExecutionCommand({ executionArn })));
    expect(described).toMatchObject({ status: "FAILED", error: "Paybus.RefundRejected", cause: "Over limit" });
  });

  it("accepts heartbeats and completes through the programmatic sendTaskSuccess", async () => {
    // Arrange
    const { executionArn, pending } = await startCallback("heartbeat-re-3", "re_3");

    // Act
    await client.send(new SendTaskHeartbeatCommand({ taskToken: pending.token }));
    sfn.sendTaskSuccess(pending.token, { approvedBy: "api" });

    // Assert
    expect(await closedExecution(sfn, executionArn)).toMatchObject({ status: "SUCCEEDED" });
  });

  it.each([
    { case: "a string that is no token", token: () => "not-a-token", error: InvalidToken },
    { case: "a well-formed token never issued", token: () => generateTaskToken(), error: TaskDoesNotExist },
  ])("rejects $case", async ({ token, error }) => {
    // Arrange
    const command = new SendTaskSuccessCommand({ taskToken: token(), output: "{}" });

    // Act
    const sent = client.send(command);

    // Assert
    await expect(sent).rejects.toBeInstanceOf(error);
  });

  it("answers TaskTimedOut for the token of a task that already completed", async () => {
    // Arrange
    const { executionArn, pending } = await startCallback("twice-re-4", "re_4");
    sfn.sendTaskSuccess(pending.token, {});
    await closedExecution(sfn, executionArn);

    // Act
    const again = client.send(new SendTaskSuccessCommand({ taskToken: pending.token, output: "{}" }));

    // Assert
    await expect(again).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it("rejects output that is not JSON and keeps the task open", async () => {
    // Arrange
    const { pending } = await startCallback("bad-output-re-5", "re_5");

    // Act
    const sent = client.send(new SendTaskSuccessCommand({ taskToken: pending.token, output: "{not json" }));

    // Assert
    await expect(sent).rejects.toBeInstanceOf(InvalidOutput);
    expect(sfn.pendingTaskTokens().map((open) => open.token)).toContain(pending.token);
  });
});

describe("StartExecution name idempotency", () => {
  it("returns the running execution for the same name and input, without a second run", async () => {
    // Arrange
    const { executionArn } = await startCallback("idempotent-re-6", "re_6");
    const invocationsBefore = lambdas.callsTo(APPROVAL).length;

    // Act
    const again = await client.send(
      new StartExecutionCommand({ stateMachineArn: CALLBACK_ARN, name: "idempotent-re-6", input: JSON.stringify({ refundId: "re_6" }) }),
    );

    // Assert
    expect(again.executionArn).toBe(executionArn);
    expect(lambdas.callsTo(APPROVAL)).toHaveLength(invocationsBefore);
    expect(sfn.executions().filter((record) => record.executionArn === executionArn)).toHaveLength(1);
    expect(sfn.executionStatus(executionArn)).toBe("RUNNING");
    expect(sfn.pendingTaskTokens().filter((open) => open.executionArn === executionArn)).toHaveLength(1);
  });

  it("rejects the same name with a different input", async () => {
    // Arrange
    await startCallback("conflict-re-7", "re_7");

    // Act
    const conflicting = client.send(
      new StartExecutionCommand({ stateMachineArn: CALLBACK_ARN, name: "conflict-re-7", input: JSON.stringify({ refundId: "other" }) }),
    );

    // Assert
    await expect(conflicting).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it("rejects the same name and input once the execution is closed", async () => {
    // Arrange
    const input = JSON.stringify({ amount: 1 });
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: CHOICE_ARN, name: "closed-1", input }));
    await closedExecution(sfn, executionArn!);

    // Act
    const reused = client.send(new StartExecutionCommand({ stateMachineArn: CHOICE_ARN, name: "closed-1", input }));

    // Assert
    await expect(reused).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it.each(["has space", "slash/name", "brace{", "x".repeat(81), ""])("rejects the invalid name %j", async (name) => {
    // Arrange
    const command = new StartExecutionCommand({ stateMachineArn: CHOICE_ARN, name, input: "{}" });

    // Act
    const started = client.send(command);

    // Assert
    await expect(started).rejects.toBeInstanceOf(InvalidName);
  });
});

describe("execution and state machine queries", () => {
  it("stops a running execution, closing its task token", async () => {
    // Arrange
    const { executionArn, pending } = await startCallback("stop-re-8", "re_8");

    // Act
    const { stopDate } = await client.send(new StopExecutionCommand({ executionArn, error: "Paybus.Cancelled", cause: "Refund withdrawn" }));

    // Assert
    expect(stopDate).toBeInstanceOf(Date);
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: "ABORTED", error: "Paybus.Cancelled", cause: "Refund withdrawn" });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: pending.token, output: "{}" }))).rejects.toBeInstanceOf(TaskTimedOut);
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }));
    expect(events!.map((event) => event.type)).toEqual(["ExecutionAborted"]);
  });

  it("stops an execution in the middle of an unscaled 72 h Wait", async () => {
    // Arrange
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: WAIT_ARN, input: '{"followUpSeconds":1}' }));
    await waitFor(sfn, () => sfn.executions().find((record) => record.executionArn === executionArn && record.path.length > 0));

    // Act
    await client.send(new StopExecutionCommand({ executionArn }));

    // Assert
    expect(await closedExecution(sfn, executionArn!)).toMatchObject({ status: "ABORTED", path: ["CoolingOff"] });
  });

  it("lists executions newest first, paginated and filtered by status", async () => {
    // Arrange
    const succeeded = await startCallback("list-succeeded", "re_10");
    sfn.sendTaskSuccess(succeeded.pending.token, {});
    await closedExecution(sfn, succeeded.executionArn);
    const failed = await startCallback("list-failed", "re_11");
    sfn.sendTaskFailure(failed.pending.token, "Paybus.RefundRejected");
    await closedExecution(sfn, failed.executionArn);
    const running = await startCallback("list-running", "re_12");

    // Act
    const newest = await client.send(new ListExecutionsCommand({ stateMachineArn: CALLBACK_ARN, maxResults: 2 }));
    const next = await client.send(new ListExecutionsCommand({ stateMachineArn: CALLBACK_ARN, maxResults: 2, nextToken: newest.nextToken }));
    const failedOnly = await client.send(new ListExecutionsCommand({ stateMachineArn: CALLBACK_ARN, statusFilter: "FAILED" }));

    // Assert
    expect(newest.executions!.map((execution) => execution.executionArn)).toEqual([running.executionArn, failed.executionArn]);
    expect(next.executions![0]!.executionArn).toBe(succeeded.executionArn);
    expect(failedOnly.executions!.map((execution) => execution.executionArn)).toContain(failed.executionArn);
    expect(failedOnly.executions!.every((execution) => execution.status === "FAILED")).toBe(true);
  });

  it("describes and lists the declared state machines", async () => {
    // Arrange
    const command = new DescribeStateMachineCommand({ stateMachineArn: CALLBACK_ARN });

    // Act
    const described = await client.send(command);
    const listed = await client.send(new ListStateMachinesCommand({}));

    // Assert
    expect(described).toMatchObject({ name: "callback", status: "ACTIVE", type: "STANDARD", roleArn: "arn:aws:iam::000000000000:role/paybus-workflows" });
    expect(JSON.parse(described.definition!)).toEqual(fixture("callback"));
    expect(listed.stateMachines!.map((machine) => machine.stateMachineArn)).toEqual([CALLBACK_ARN, CHOICE_ARN, WAIT_ARN]);
  });

  it("describes the state machine an execution ran, and answers an unknown execution with ExecutionDoesNotExist", async () => {
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: CHOICE_ARN, input: JSON.stringify({ kind: "a" }) }));

    const described = await client.send(new DescribeStateMachineForExecutionCommand({ executionArn }));
    const unknown = await client.send(new DescribeStateMachineForExecutionCommand({ executionArn: "arn:aws:states:us-east-1:000000000000:execution:choice:missing" })).catch((error: Error) => error);

    const machine = await client.send(new DescribeStateMachineCommand({ stateMachineArn: CHOICE_ARN }));
    const { $metadata: _, ...answer } = described;
    expect(answer).toEqual({ stateMachineArn: CHOICE_ARN, name: "choice", roleArn: machine.roleArn, definition: machine.definition, updateDate: expect.any(Date) });
    expect(JSON.parse(described.definition!)).toEqual(fixture("choice"));
    expect(unknown).toBeInstanceOf(ExecutionDoesNotExist);
  });

  it.each([
    { case: "an unknown state machine", send: () => new StartExecutionCommand({ stateMachineArn: `${CHOICE_ARN}-missing` }), error: StateMachineDoesNotExist },
    { case: "a malformed state machine ARN", send: () => new StartExecutionCommand({ stateMachineArn: "choice" }), error: InvalidArn },
    { case: "input that is not JSON", send: () => new StartExecutionCommand({ stateMachineArn: CHOICE_ARN, input: "{" }), error: InvalidExecutionInput },
    {
      case: "an unknown execution",
      send: () => new DescribeExecutionCommand({ executionArn: "arn:aws:states:us-east-1:000000000000:execution:choice:missing" }),
      error: ExecutionDoesNotExist,
    },
  ])("answers $case with the AWS error", async ({ send, error }) => {
    // Arrange
    const command = send();

    // Act
    const sent = client.send(command as StartExecutionCommand);

    // Assert
    await expect(sent).rejects.toBeInstanceOf(error);
  });
});
