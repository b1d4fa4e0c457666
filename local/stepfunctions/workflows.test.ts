/** ASL behaviour through the real SDK: Choice, Parallel, Lambda resolution, Retry and Catch. */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStepFunctions, type LocalStepFunctions } from "./index.ts";
import { FunctionTimeoutError } from "../lambda.ts";
import { closedExecution, FakeLambdas, fixture, namedError, sfnClient } from "../../test/support/stepfunctions.ts";

const ARN_PREFIX = "arn:aws:states:us-east-1:000000000000:stateMachine:";
const CAPTURE = "arn:aws:lambda:us-east-1:000000000000:function:paybus-capture-payment:live";
const NOTIFY_FAILURE = "arn:aws:lambda:us-east-1:000000000000:function:paybus-notify-failure";
const AWARD_POINTS = "arn:aws:lambda:us-east-1:000000000000:function:paybus-award-points";

let sfn: LocalStepFunctions;
let client: SFNClient;
const lambdas = new FakeLambdas();

beforeAll(async () => {
  sfn = await startLocalStepFunctions({
    stateMachines: (["choice", "parallel", "retry-catch"] as const).map((name) => ({ name, definition: fixture(name) })),
    invokeLambda: lambdas.invoke,
    // 2 s, 4 s, 8 s of backoff become 2, 4, 8 ms.
    retryIntervalScale: 0.001,
  });
  client = sfnClient(sfn.endpoint);
});

afterAll(async () => {
  client.destroy();
  await sfn.close();
});

async function run(machine: string, input: unknown) {
  const { executionArn } = await client.send(
    new StartExecutionCommand({ stateMachineArn: ARN_PREFIX + machine, input: JSON.stringify(input) }),
  );
  const record = await closedExecution(sfn, executionArn!);
  const described = await client.send(new DescribeExecutionCommand({ executionArn }));
  return { record, described };
}

describe("Choice", () => {
  it.each([
    { amount: 25_000, path: ["RouteByAmount", "LargePayment"], tier: "large" },
    { amount: 500, path: ["RouteByAmount", "SmallPayment"], tier: "small" },
  ])("routes amount $amount to $tier", async ({ amount, path, tier }) => {
    // Arrange
    const input = { paymentId: "pi_1", amount };

    // Act
    const { record, described } = await run("choice", input);

    // Assert
    expect(record.path).toEqual(path);
    expect(described.status).toBe("SUCCEEDED");
    expect(JSON.parse(described.output!)).toEqual({ ...input, tier });
  });

  it("takes the Default branch when the guarded field is missing", async () => {
    // Arrange
    const input = { paymentId: "pi_2" };

    // Act
    const { record, described } = await run("choice", input);

    // Assert
    expect(record.path).toEqual(["RouteByAmount", "MissingAmount"]);
    expect(described).toMatchObject({ status: "FAILED", error: "Paybus.MissingAmount", cause: "The payment has no amount" });
  });
});

describe("Parallel and Lambda resolution", () => {
  it("runs both branches and resolves lambda:invoke FunctionName and direct Lambda ARNs to local handlers", async () => {
    // Arrange
    lambdas.on("paybus-send-receipt", (payload) => ({ receiptFor: (payload as { paymentId: string }).paymentId }));
    lambdas.on(AWARD_POINTS, (payload) => ({ points: (payload as { amount: number }).amount / 100 }));
    const input = { paymentId: "pi_3", amount: 4200 };

    // Act
    const { record, described } = await run("parallel", input);

    // Assert
    expect(described.status).toBe("SUCCEEDED");
    expect(JSON.parse(described.output!)).toEqual({ receipt: { receiptFor: "pi_3" }, points: { points: 42 } });
    expect(lambdas.callsTo("paybus-send-receipt")).toEqual([input]);
    expect(lambdas.callsTo(AWARD_POINTS)).toEqual([input]);
    expect(record.path).toEqual(expect.arrayContaining(["ReceiptAndPoints", "SendReceipt", "AwardPoints", "Done"]));
  });
});

describe("Retry and Catch", () => {
  it("retries Lambda.ServiceException with backoff, then succeeds", async () => {
    // Arrange
    let attempts = 0;
    lambdas.on(CAPTURE, () => {
      attempts += 1;
      if (attempts <= 2) throw namedError("Lambda.ServiceException", "Service unavailable");
      return { captured: true };
    });

    // Act
    const { record, described } = await run("retry-catch", { paymentId: "pi_4" });

    // Assert
    expect(attempts).toBe(3);
    expect(described.status).toBe("SUCCEEDED");
    expect(JSON.parse(described.output!)).toEqual({ paymentId: "pi_4", capture: { captured: true } });
    expect(record.path).toEqual(["CapturePayment", "Captured"]);
  });

  it("stops retrying after MaxAttempts and takes the Catch path with the Lambda error", async () => {
    // Arrange
    let attempts = 0;
    lambdas.on(CAPTURE, () => {
      attempts += 1;
      throw namedError("Lambda.TooManyRequestsException", "Rate exceeded");
    });
    lambdas.on(NOTIFY_FAILURE, () => ({ notified: true }));
    const notificationsBefore = lambdas.callsTo(NOTIFY_FAILURE).length;

    // Act
    const { record, described } = await run("retry-catch", { paymentId: "pi_5" });

    // Assert
    expect(attempts).toBe(4); // the first attempt plus MaxAttempts retries
    expect(record.path).toEqual(["CapturePayment", "NotifyFailure", "PaymentFailed"]);
    expect(described).toMatchObject({ status: "FAILED", error: "Paybus.PaymentFailed" });
    const notification = lambdas.callsTo(NOTIFY_FAILURE).slice(notificationsBefore)[0] as {
      failure: { Error: string; Cause: string };
    };
    expect(notification.failure.Error).toBe("Lambda.TooManyRequestsException");
    expect(JSON.parse(notification.failure.Cause)).toMatchObject({
      errorType: "Lambda.TooManyRequestsException",
      errorMessage: "Rate exceeded",
    });
  });

  it("does not retry an error the Retry does not name, and catches it", async () => {
    // Arrange
    let attempts = 0;
    lambdas.on(CAPTURE, () => {
      attempts += 1;
      throw namedError("Paybus.CardDeclined", "Card declined");
    });
    lambdas.on(NOTIFY_FAILURE, () => ({ notified: true }));

    // Act
    const { record } = await run("retry-catch", { paymentId: "pi_6" });

    // Assert
    expect(attempts).toBe(1);
    expect(record).toMatchObject({ status: "FAILED", path: ["CapturePayment", "NotifyFailure", "PaymentFailed"] });
  });

  it("reports a function that ran out of time as Lambda does (Sandbox.Timedout, Lambda's own cause), to Retry and Catch", async () => {
    // Arrange: the error the local Lambda host ends a timed-out invocation with.
    lambdas.on(CAPTURE, () => {
      throw new FunctionTimeoutError("Task timed out after 15.00 seconds");
    });
    lambdas.on(NOTIFY_FAILURE, () => ({ notified: true }));
    const notificationsBefore = lambdas.callsTo(NOTIFY_FAILURE).length;

    // Act
    const { record } = await run("retry-catch", { paymentId: "pi_timeout" });

    // Assert: the fixture's Retry does not name it, so it is caught under Lambda's name.
    expect(record.path).toEqual(["CapturePayment", "NotifyFailure", "PaymentFailed"]);
    const notification = lambdas.callsTo(NOTIFY_FAILURE).slice(notificationsBefore)[0] as { failure: { Error: string; Cause: string } };
    expect(notification.failure.Error).toBe("Sandbox.Timedout");
    expect(JSON.parse(notification.failure.Cause)).toEqual({ errorType: "Sandbox.Timedout", errorMessage: "Error: Task timed out after 15.00 seconds" });
  });

  it("records the task failure and the states in the execution history", async () => {
    // Arrange
    lambdas.on(CAPTURE, () => {
      throw namedError("Paybus.CardDeclined", "Card declined");
    });
    const { record } = await run("retry-catch", { paymentId: "pi_7" });

    // Act
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn: record.executionArn }));

    // Assert
    expect(events!.map((event) => event.type)).toEqual([
      "ExecutionStarted",
      "TaskStateEntered",
      "TaskFailed",
      "TaskStateExited",
      "TaskStateEntered",
      "TaskStateExited",
      "FailStateEntered",
      "ExecutionFailed",
    ]);
    expect(events![2]!.taskFailedEventDetails).toMatchObject({ resourceType: "lambda", resource: "invoke", error: "Paybus.CardDeclined" });
    expect(events![1]!.stateEnteredEventDetails).toEqual({
      name: "CapturePayment",
      input: JSON.stringify({ paymentId: "pi_7" }),
      inputDetails: { truncated: false },
    });
    expect(events![7]!.timestamp).toBeInstanceOf(Date);
  });
});
