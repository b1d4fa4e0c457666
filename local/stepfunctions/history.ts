/**
 * Maps aws-local-stepfunctions event logs to what AWS reports: `GetExecutionHistory` events and
 * the execution's outcome. Pure functions; the engine owns ordering and ids.
 */
import type { StateMachine } from "aws-local-stepfunctions";

/** One entry of the engine's event log (the library does not export the type). */
export type EngineEvent = ReturnType<StateMachine["run"]>["eventLogs"] extends AsyncGenerator<infer E> ? E : never;

/** Execution statuses, as AWS names them. */
export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

/** A `GetExecutionHistory` event: `type` plus at most one `<kind>EventDetails` member. */
export type HistoryEvent = {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
} & { [details: `${string}EventDetails`]: object };

/** A history event before the engine numbers it. */
export type HistoryEntry = Omit<HistoryEvent, "id" | "previousEventId">;

/** How an execution ended. */
export interface ExecutionOutcome {
  status: Exclude<ExecutionStatus, "RUNNING">;
  stopDate: Date;
  output?: unknown;
  error?: string;
  cause?: string;
}

/** What the mapping needs to know about the states of the running definition. */
export interface StateCatalog {
  /** The state's type in the *original* definition (Wait states run as Tasks in the engine). */
  typeOf(stateName: string): string;
  /** The Task's `Resource`, for `TaskFailed` details. */
  resourceOf(stateName: string): string | undefined;
  readonly roleArn: string;
}

/**
 * The AWS history event for an engine event, or `undefined` for engine events AWS has no
 * counterpart for (branch/iteration bookkeeping, retries, catches) and for `ExecutionAborted`,
 * which `StopExecution` records itself with the caller's error and cause.
 */
export function historyEntry(event: EngineEvent, states: StateCatalog): HistoryEntry | undefined {
  const timestamp = new Date(event.timestamp);
  switch (event.type) {
    case "ExecutionStarted":
      return {
        timestamp,
        type: "ExecutionStarted",
        executionStartedEventDetails: { input: jsonText(event.input), inputDetails: { truncated: false }, roleArn: states.roleArn },
      };
    case "ExecutionSucceeded":
      return {
        timestamp,
        type: "ExecutionSucceeded",
        executionSucceededEventDetails: { output: jsonText(event.output), outputDetails: { truncated: false } },
      };
    case "ExecutionFailed":
      return { timestamp, type: "ExecutionFailed", executionFailedEventDetails: { error: event.Error, cause: causeText(event.Cause) } };
    case "ExecutionTimeout":
      return { timestamp, type: "ExecutionTimedOut", executionTimedOutEventDetails: { error: "States.Timeout" } };
    case "StateEntered":
      return {
        timestamp,
        type: `${states.typeOf(event.state.name)}StateEntered`,
        stateEnteredEventDetails: { name: event.state.name, input: jsonText(event.state.input) },
      };
    case "StateExited":
      return {
        timestamp,
        type: `${states.typeOf(event.state.name)}StateExited`,
        stateExitedEventDetails: { name: event.state.name, output: jsonText(event.state.output) },
      };
    case "StateFailed":
      return stateFailedEntry(timestamp, event.state.name, event.Error, causeText(event.Cause), states);
    default:
      return undefined;
  }
}

function stateFailedEntry(timestamp: Date, stateName: string, error: string, cause: string, states: StateCatalog): HistoryEntry | undefined {
  const type = states.typeOf(stateName);
  if (type === "Task") {
    return { timestamp, type: "TaskFailed", taskFailedEventDetails: { ...resourceParts(states.resourceOf(stateName)), error, cause } };
  }
  // AWS's ParallelStateFailed/MapStateFailed carry no details; the error follows in ExecutionFailed.
  return type === "Parallel" || type === "Map" ? { timestamp, type: `${type}StateFailed` } : undefined;
}

/** The history event `StopExecution` records. */
export function abortedEntry(timestamp: Date, error: string | undefined, cause: string | undefined): HistoryEntry {
  return { timestamp, type: "ExecutionAborted", executionAbortedEventDetails: definedOnly({ error, cause }) };
}

/** The outcome an engine event settles, if it ends the execution. */
export function executionOutcome(event: EngineEvent): ExecutionOutcome | undefined {
  const stopDate = new Date(event.timestamp);
  switch (event.type) {
    case "ExecutionSucceeded":
      return { status: "SUCCEEDED", stopDate, output: event.output };
    case "ExecutionFailed":
      return { status: "FAILED", stopDate, error: event.Error, cause: causeText(event.Cause) };
    case "ExecutionTimeout":
      return { status: "TIMED_OUT", stopDate, error: "States.Timeout" };
    default:
      return undefined;
  }
}

/**
 * AWS's split of a Task resource for `TaskFailed`: `arn:aws:states:::lambda:invoke` is type
 * `lambda`, resource `invoke`; a bare Lambda ARN is type `lambda`, resource the ARN.
 */
export function resourceParts(resource: string | undefined): { resourceType: string; resource: string } {
  const integration = /^arn:aws[a-z-]*:states:::([^:]+):(.+)$/.exec(resource ?? "");
  if (integration) return { resourceType: integration[1]!, resource: integration[2]! };
  const lambda = /^arn:aws[a-z-]*:lambda:/.test(resource ?? "");
  return { resourceType: lambda ? "lambda" : "unknown", resource: resource ?? "" };
}

function jsonText(value: unknown): string {
  return JSON.stringify(value ?? null);
}

// The engine reports a cause as given: our errors carry text, others may carry objects.
function causeText(cause: unknown): string {
  return typeof cause === "string" ? cause : JSON.stringify(cause);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
