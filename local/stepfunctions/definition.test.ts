/** Pure definition handling, fixture validity, and start-up validation. */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  indexStates,
  planLocalWork,
  prepareForEngine,
  taskTarget,
  WAIT_RESOURCE,
  type AslDefinition,
  type AslState,
} from "./definition.ts";
import {
  InvalidDefinitionError,
  InvalidNameError,
  InvalidScaleError,
  StateMachineAlreadyExistsError,
  StatesError,
  StatesRuntimeError,
  UnsupportedResourceError,
} from "./errors.ts";
import { startLocalStepFunctions } from "./index.ts";
import { lambdaFunctionError, waitMilliseconds } from "./tasks.ts";
import { FakeLambdas, fixture, FIXTURES, namedError } from "../../test/support/stepfunctions.ts";
import { MAX_TIMER_SECONDS } from "./timers.ts";

// asl-validator 4 ships no type declarations.
const aslValidator = createRequire(import.meta.url)("asl-validator") as (definition: object) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};

const unscaled = { timeScale: 1, retryIntervalScale: 1 };
const HOURS_72 = 72 * 3600;

function states(definition: object): Map<string, AslState> {
  return indexStates(definition as AslDefinition);
}

describe("ASL fixtures", () => {
  it.each(FIXTURES)("%s is valid for asl-validator", (name) => {
    // Arrange
    const definition = fixture(name);

    // Act
    const { isValid, errorsText } = aslValidator(definition);

    // Assert
    expect(isValid, errorsText("\n")).toBe(true);
  });
});

describe("indexStates", () => {
  it("indexes states nested in Parallel branches", () => {
    // Arrange
    const definition = fixture("parallel");

    // Act
    const names = [...states(definition).keys()];

    // Assert
    expect(names).toEqual(["ReceiptAndPoints", "SendReceipt", "AwardPoints", "Done"]);
  });

  it("rejects a state name used twice across branches", () => {
    // Arrange
    const branch = { StartAt: "Same", States: { Same: { Type: "Pass", End: true } } };
    const definition = { StartAt: "P", States: { P: { Type: "Parallel", Branches: [branch, branch], End: true } } };

    // Act
    const indexing = () => states(definition);

    // Assert
    expect(indexing).toThrow(InvalidDefinitionError);
  });
});

describe("taskTarget", () => {
  it.each([
    ["arn:aws:states:::lambda:invoke", { kind: "lambdaInvoke" }],
    ["arn:aws:states:::lambda:invoke.waitForTaskToken", { kind: "callback", invokesLambda: true }],
    ["arn:aws:states:::sqs:sendMessage.waitForTaskToken", { kind: "callback", invokesLambda: false }],
    ["arn:aws:lambda:eu-west-1:123456789012:function:f:live", { kind: "lambda", functionArn: "arn:aws:lambda:eu-west-1:123456789012:function:f:live" }],
    ["arn:aws:states:::dynamodb:putItem", undefined],
  ])("classifies %s", (resource, expected) => {
    // Arrange, Act
    const target = taskTarget(resource);

    // Assert
    expect(target).toEqual(expected);
  });
});

describe("prepareForEngine", () => {
  it("scales Retry intervals and keeps BackoffRate and MaxAttempts", () => {
    // Arrange
    const definition = fixture("retry-catch") as AslDefinition;

    // Act
    const prepared = prepareForEngine(definition, { timeScale: 1, retryIntervalScale: 0.001 });

    // Assert
    expect(prepared.States.CapturePayment!.Retry).toEqual([
      expect.objectContaining({ IntervalSeconds: 0.002, BackoffRate: 2, MaxAttempts: 3 }),
    ]);
  });

  it("rewrites Wait states as locally timed Tasks that keep their duration fields", () => {
    // Arrange
    const definition = fixture("wait") as AslDefinition;

    // Act
    const prepared = prepareForEngine(definition, unscaled);

    // Assert
    expect(prepared.States.CoolingOff).toMatchObject({ Type: "Task", Resource: WAIT_RESOURCE, Parameters: { "input.$": "$", seconds: HOURS_72 } });
    expect(prepared.States.FollowUpDelay).toMatchObject({ Parameters: { "seconds.$": "$.followUpSeconds" }, Next: "Done" });
    expect(planLocalWork(indexStates(prepared)).get("CoolingOff")).toEqual({ kind: "wait" });
  });

  it("scales callback timers, leaves Lambda timeouts alone, and removes the engine's 60 s default", () => {
    // Arrange
    const lambdaTask = { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", TimeoutSeconds: 30, End: true };
    const defaultTask = { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", End: true };
    const callbackTask = {
      Type: "Task",
      Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      TimeoutSeconds: 86_400,
      HeartbeatSeconds: 3600,
      End: true,
    };
    const definition: AslDefinition = { StartAt: "L", States: { L: lambdaTask, D: defaultTask, C: callbackTask } };

    // Act
    const prepared = prepareForEngine(definition, { timeScale: 0.01, retryIntervalScale: 1 });

    // Assert
    expect(prepared.States.L!.TimeoutSeconds).toBe(30);
    expect(prepared.States.D!.TimeoutSeconds).toBe(MAX_TIMER_SECONDS);
    expect(prepared.States.C).toMatchObject({ TimeoutSeconds: 864, HeartbeatSeconds: 36 });
    expect(planLocalWork(indexStates(prepared)).get("C")).toEqual({
      kind: "callback",
      invokesLambda: false,
      timeoutSeconds: 864,
      heartbeatSeconds: 36,
    });
  });

  it("does not mutate the declared definition", () => {
    // Arrange
    const definition = fixture("wait") as AslDefinition;
    const before = structuredClone(definition);

    // Act
    prepareForEngine(definition, { timeScale: 0.5, retryIntervalScale: 0.5 });

    // Assert
    expect(definition).toEqual(before);
  });
});

describe("waitMilliseconds", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");

  it.each([
    { request: { input: {}, seconds: HOURS_72 }, scale: 0.001, expected: 259_200 },
    { request: { input: {}, timestamp: "2026-01-01T01:00:00Z" }, scale: 1, expected: 3_600_000 },
    { request: { input: {}, timestamp: "2025-12-31T00:00:00Z" }, scale: 1, expected: 0 },
  ])("scales $request to $expected ms", ({ request, scale, expected }) => {
    // Arrange, Act
    const ms = waitMilliseconds(request, now, scale);

    // Assert
    expect(ms).toBeCloseTo(expected);
  });

  it.each([{ input: {}, seconds: 1.5 }, { input: {}, seconds: "10" }, { input: {}, timestamp: "tomorrow" }])(
    "rejects %j with States.Runtime",
    (request) => {
      // Arrange, Act
      const computing = () => waitMilliseconds(request, now, 1);

      // Assert
      expect(computing).toThrow(StatesRuntimeError);
    },
  );
});

describe("lambdaFunctionError", () => {
  it("names the task error after the thrown error and carries Lambda's cause", () => {
    // Arrange
    const thrown = namedError("Lambda.ServiceException", "Service unavailable");

    // Act
    const error = lambdaFunctionError(thrown);

    // Assert
    expect(error).toBeInstanceOf(StatesError);
    expect(error.name).toBe("Lambda.ServiceException");
    expect(JSON.parse(error.message)).toMatchObject({ errorType: "Lambda.ServiceException", errorMessage: "Service unavailable" });
  });
});

describe("startLocalStepFunctions validation", () => {
  const invokeLambda = new FakeLambdas().invoke;
  const pass = { StartAt: "P", States: { P: { Type: "Pass", End: true } } };

  it.each([
    {
      case: "an unsupported Task resource",
      stateMachines: [{ name: "m", definition: { StartAt: "T", States: { T: { Type: "Task", Resource: "arn:aws:states:::dynamodb:putItem", End: true } } } }],
      error: UnsupportedResourceError,
    },
    { case: "an invalid definition", stateMachines: [{ name: "m", definition: { StartAt: "Missing", States: {} } }], error: InvalidDefinitionError },
    { case: "an invalid name", stateMachines: [{ name: "bad name", definition: pass }], error: InvalidNameError },
    {
      case: "a duplicate state machine",
      stateMachines: [
        { name: "m", definition: pass },
        { name: "m", definition: pass },
      ],
      error: StateMachineAlreadyExistsError,
    },
  ])("rejects $case before listening", async ({ stateMachines, error }) => {
    // Arrange
    const options = { stateMachines, invokeLambda };

    // Act
    const starting = startLocalStepFunctions(options);

    // Assert
    await expect(starting).rejects.toBeInstanceOf(error);
  });

  it("rejects a negative time scale", async () => {
    // Arrange
    const options = { stateMachines: [], invokeLambda, timeScale: -1 };

    // Act
    const starting = startLocalStepFunctions(options);

    // Assert
    await expect(starting).rejects.toBeInstanceOf(InvalidScaleError);
  });
});
