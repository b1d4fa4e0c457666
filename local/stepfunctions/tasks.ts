/**
 * The local handlers that replace Task (and rewritten Wait) states in aws-local-stepfunctions:
 * Lambda invocation through the caller's `invokeLambda`, callback tasks through the token broker,
 * and scaled waits. Handlers are built per execution, keyed by state name as the engine expects.
 */
import { randomUUID } from "node:crypto";
import type { RunOptions } from "aws-local-stepfunctions";
import type { LocalWork, WaitRequest } from "./definition.ts";
import { StatesError, StatesRuntimeError } from "./errors.ts";
import { toJson } from "./json.ts";
import { abortable, sleep } from "./timers.ts";
import { generateTaskToken, type TaskTokenBroker } from "./tokens.ts";

type LocalHandlers = NonNullable<NonNullable<RunOptions["overrides"]>["taskResourceLocalHandlers"]>;
type LocalHandler = LocalHandlers[string];
type JsonValue = Parameters<LocalHandler>[0];

/** Resolves a Lambda function ARN or name to a local handler and runs it with `payload`. */
export type InvokeLambda = (functionArnOrName: string, payload: unknown) => Promise<unknown>;

/** What the handlers of one execution share. */
export interface TaskContext {
  readonly executionArn: string;
  /** Aborts when the execution stops: pending work then rejects so the engine can unwind. */
  readonly signal: AbortSignal;
  readonly broker: TaskTokenBroker;
  readonly invokeLambda: InvokeLambda;
  /** Multiplies Wait durations (callback timers are already scaled in the prepared definition). */
  readonly timeScale: number;
  /**
   * The value the engine's Context Object gives `$$.Task.Token`. The engine resolves `Parameters`
   * before calling a handler, with one Context Object per execution, so it cannot know each
   * task's token: callback handlers swap this placeholder for a fresh token in their input.
   */
  readonly tokenPlaceholder: string;
}

/** Builds the engine's `taskResourceLocalHandlers` for one execution. */
export function createLocalHandlers(plan: ReadonlyMap<string, LocalWork>, context: TaskContext): LocalHandlers {
  const handlers: LocalHandlers = {};
  for (const [stateName, work] of plan) {
    handlers[stateName] = (input) => abortable(runLocalWork(work, stateName, input, context), context.signal);
  }
  return handlers;
}

async function runLocalWork(work: LocalWork, stateName: string, input: JsonValue, context: TaskContext): Promise<JsonValue> {
  switch (work.kind) {
    case "wait": {
      const request = input as unknown as WaitRequest; // built by the Parameters of waitAsTask
      await sleep(waitMilliseconds(request, Date.now(), context.timeScale), context.signal);
      return asJsonValue(request.input);
    }
    case "lambda":
      assertNoTaskToken(input, context.tokenPlaceholder);
      return invokeAsTask(context.invokeLambda, work.functionArn, input);
    case "lambdaInvoke": {
      assertNoTaskToken(input, context.tokenPlaceholder);
      const { FunctionName, Payload } = lambdaInvokeRequest(input);
      return lambdaInvokeOutput(await invokeAsTask(context.invokeLambda, FunctionName, Payload));
    }
    case "callback": {
      const token = generateTaskToken();
      const request = replaceInStrings(input, context.tokenPlaceholder, token);
      // Parsed before the token opens, so that a malformed request leaves no token behind.
      const invocation = work.invokesLambda ? lambdaInvokeRequest(request) : undefined;
      const outcome = context.broker.open({
        token,
        executionArn: context.executionArn,
        stateName,
        input: request,
        heartbeatMs: secondsToMs(work.heartbeatSeconds),
        timeoutMs: secondsToMs(work.timeoutSeconds),
      });
      if (invocation) {
        // The token is open before the function runs, so the function may call back at once; only
        // a failed invocation ends the task early, with the function's error as on AWS.
        invokeAsTask(context.invokeLambda, invocation.FunctionName, invocation.Payload).catch((error: Error) =>
          context.broker.cancel(token, error),
        );
      }
      return asJsonValue(await outcome);
    }
  }
}

/**
 * How long a rewritten Wait state sleeps, in milliseconds: `seconds` (static or from
 * `SecondsPath`) or the time left until `timestamp`, multiplied by `timeScale`. Throws
 * {@link StatesRuntimeError} for values AWS rejects at run time.
 */
export function waitMilliseconds(request: WaitRequest, nowMs: number, timeScale: number): number {
  if (request.seconds !== undefined) {
    const seconds = request.seconds;
    if (!Number.isInteger(seconds) || (seconds as number) < 0) {
      throw new StatesRuntimeError(`Wait seconds must be a non-negative integer, got ${JSON.stringify(seconds)}`);
    }
    return (seconds as number) * 1000 * timeScale;
  }
  if (request.timestamp !== undefined) {
    const at = typeof request.timestamp === "string" && RFC3339.test(request.timestamp) ? Date.parse(request.timestamp) : NaN;
    if (Number.isNaN(at)) {
      throw new StatesRuntimeError(`Wait timestamp must be an RFC 3339 string, got ${JSON.stringify(request.timestamp)}`);
    }
    return Math.max(0, at - nowMs) * timeScale;
  }
  return 0;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Runs a Lambda function and returns its result as JSON. A thrown error becomes the task's error
 * the way Lambda reports it to Step Functions: the error's `name` is the error name `Retry` and
 * `Catch` match (so a handler throwing `Lambda.ServiceException` is retried like the real one), and
 * the cause is Lambda's `{errorType, errorMessage, trace}` JSON.
 */
export async function invokeAsTask(invokeLambda: InvokeLambda, functionName: string, payload: unknown): Promise<JsonValue> {
  try {
    return asJsonValue(await invokeLambda(functionName, payload));
  } catch (error) {
    throw lambdaFunctionError(error);
  }
}

/** Lambda's view of a thrown value: `errorType` is the error's `name`, as the Node.js runtime reports it. */
export function lambdaFunctionError(thrown: unknown): StatesError {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const cause = { errorType: error.name, errorMessage: error.message, trace: error.stack?.split("\n") ?? [] };
  return new StatesError(error.name, JSON.stringify(cause));
}

/** The `FunctionName` and `Payload` of a `lambda:invoke` request; AWS's Invoke sends `{}` when `Payload` is absent. */
export function lambdaInvokeRequest(parameters: unknown): { FunctionName: string; Payload: unknown } {
  const request = (parameters ?? {}) as { FunctionName?: unknown; Payload?: unknown };
  if (typeof request.FunctionName !== "string") {
    throw new StatesRuntimeError("arn:aws:states:::lambda:invoke needs a string Parameters.FunctionName");
  }
  return { FunctionName: request.FunctionName, Payload: request.Payload ?? {} };
}

/** The result of the `lambda:invoke` integration: the function's return value sits in `Payload`. */
export function lambdaInvokeOutput(payload: JsonValue): JsonValue {
  return {
    ExecutedVersion: "$LATEST",
    Payload: payload,
    SdkHttpMetadata: { HttpStatusCode: 200 },
    SdkResponseMetadata: { RequestId: randomUUID() },
    StatusCode: 200,
  };
}

/** Replaces `search` in every string of a JSON value (keys untouched). */
export function replaceInStrings(value: JsonValue, search: string, replacement: string): JsonValue {
  if (typeof value === "string") return value.replaceAll(search, replacement);
  if (Array.isArray(value)) return value.map((item) => replaceInStrings(item, search, replacement));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceInStrings(item, search, replacement)]));
  }
  return value;
}

// AWS only defines `$$.Task.Token` in callback tasks; elsewhere the path fails with States.Runtime.
function assertNoTaskToken(input: JsonValue, placeholder: string): void {
  if (JSON.stringify(input).includes(placeholder)) {
    throw new StatesRuntimeError("$$.Task.Token is only defined in .waitForTaskToken tasks");
  }
}

function asJsonValue(value: unknown): JsonValue {
  return toJson(value) as JsonValue;
}

function secondsToMs(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : seconds * 1000;
}
