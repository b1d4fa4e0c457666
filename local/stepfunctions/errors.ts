/**
 * Error classes of the local Step Functions runtime, in three families:
 * - {@link StepFunctionsApiError}: answers to API callers, in AWS's JSON error shape;
 * - {@link StatesError}: errors raised *inside* an execution, which ASL `Retry`/`Catch` match by name;
 * - configuration errors thrown by `startLocalStepFunctions` for definitions it cannot run.
 */

/** An error returned to an API caller as HTTP 400 `{"__type": type, "message": message}`. */
export abstract class StepFunctionsApiError extends Error {
  /** The AWS error code, e.g. `ExecutionAlreadyExists`; the SDK turns it into its exception class. */
  abstract readonly type: string;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Same execution name as an open execution with different input, or as a closed execution. */
export class ExecutionAlreadyExistsError extends StepFunctionsApiError {
  readonly type = "ExecutionAlreadyExists";
}

/** No execution has this ARN. */
export class ExecutionDoesNotExistError extends StepFunctionsApiError {
  readonly type = "ExecutionDoesNotExist";
}

/** No state machine has this ARN. */
export class StateMachineDoesNotExistError extends StepFunctionsApiError {
  readonly type = "StateMachineDoesNotExist";
}

/** The value is not a Step Functions ARN of the expected kind. */
export class InvalidArnError extends StepFunctionsApiError {
  readonly type = "InvalidArn";
}

/** The execution (or state machine) name breaks AWS's naming rules. */
export class InvalidNameError extends StepFunctionsApiError {
  readonly type = "InvalidName";
}

/** `StartExecution.input` is not JSON text. */
export class InvalidExecutionInputError extends StepFunctionsApiError {
  readonly type = "InvalidExecutionInput";
}

/** `SendTaskSuccess.output` is not JSON text. */
export class InvalidOutputError extends StepFunctionsApiError {
  readonly type = "InvalidOutput";
}

/** A task token (or pagination token) that this endpoint could never have issued. */
export class InvalidTokenError extends StepFunctionsApiError {
  readonly type = "InvalidToken";
}

/** A well-formed task token that this endpoint did not issue. */
export class TaskDoesNotExistError extends StepFunctionsApiError {
  readonly type = "TaskDoesNotExist";
}

/** A task token whose task already completed, failed, timed out or was stopped. */
export class TaskTimedOutError extends StepFunctionsApiError {
  readonly type = "TaskTimedOut";
}

/** A request member is missing or of the wrong type. */
export class ValidationError extends StepFunctionsApiError {
  readonly type = "ValidationException";
}

/**
 * An error raised inside an execution. aws-local-stepfunctions matches `Retry`/`Catch`
 * `ErrorEquals` against `name` and reports `message` as the `Cause`, so both carry AWS's values.
 */
export class StatesError extends Error {
  constructor(errorName: string, cause: string) {
    super(cause);
    this.name = errorName;
  }
}

/** A callback task got no `SendTaskHeartbeat` within its (scaled) `HeartbeatSeconds`. */
export class HeartbeatTimeoutError extends StatesError {
  constructor(stateName: string) {
    super("States.HeartbeatTimeout", `No heartbeat received for state '${stateName}' within HeartbeatSeconds`);
  }
}

/**
 * A fatal error such as a bad `SecondsPath`. Like AWS's `States.Runtime`, no `Retry` or `Catch`
 * may handle it: the engine reads `isRetryable`/`isCatchable` to honour that.
 */
export class StatesRuntimeError extends StatesError {
  constructor(cause: string) {
    super("States.Runtime", cause);
  }

  get isRetryable(): boolean {
    return false;
  }

  get isCatchable(): boolean {
    return false;
  }
}

/**
 * Unblocks the pending work of a stopped execution. Neither retryable nor catchable, so a `Retry`
 * on `States.ALL` cannot re-run a task of an execution that no longer exists.
 */
export class ExecutionStoppedError extends StatesError {
  constructor() {
    super("ExecutionStopped", "The execution was stopped");
  }

  get isRetryable(): boolean {
    return false;
  }

  get isCatchable(): boolean {
    return false;
  }
}

/** A state machine definition that AWS would refuse (`InvalidDefinition`). */
export class InvalidDefinitionError extends Error {
  override readonly name = "InvalidDefinitionError";
}

/** Two state machines were declared with the same name. */
export class StateMachineAlreadyExistsError extends Error {
  override readonly name = "StateMachineAlreadyExistsError";
}

/** A Task `Resource` this runtime cannot run (neither Lambda nor a `.waitForTaskToken` callback). */
export class UnsupportedResourceError extends Error {
  override readonly name = "UnsupportedResourceError";
}

/** A `timeScale`/`retryIntervalScale` that is negative or not a finite number. */
export class InvalidScaleError extends RangeError {
  override readonly name = "InvalidScaleError";
}
