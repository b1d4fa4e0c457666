/**
 * The local handlers that replace Task (and rewritten Wait) states in aws-local-stepfunctions:
 * Lambda invocation through the caller's `invokeLambda`, callback tasks through the token broker,
 * and scaled waits. Handlers are built per execution, keyed by state name as the engine expects.
 */
import { randomUUID } from "node:crypto";
import type { RunOptions } from "aws-local-stepfunctions";
import type { LocalWork, WaitRequest } from "./definition.ts";
import { ExecutionStoppedError, StatesError, StatesRuntimeError } from "./errors.ts";
import { toJson } from "./json.ts";
import { abortable, sleep, timeLimit } from "./timers.ts";
import { generateTaskToken, type TaskTokenBroker } from "./tokens.ts";
import type { ExecutionLog } from "./replay.ts";
import type { Occurrence, TaskOutcome } from "./store.ts";

type LocalHandlers = NonNullable<NonNullable<RunOptions["overrides"]>["taskResourceLocalHandlers"]>;
type LocalHandler = LocalHandlers[string];
type JsonValue = Parameters<LocalHandler>[0];

/** Resolves a Lambda function ARN or name to a local handler and runs it with `payload`. */
export type InvokeLambda = (functionArnOrName: string, payload: unknown) => Promise<unknown>;

/** The timeout (seconds) of a Lambda function by ARN or name; `undefined` when unknown. */
export type FunctionTimeout = (functionArnOrName: string) => number | undefined;

/** What the handlers of one execution share. */
export interface TaskContext {
  readonly executionArn: string;
  /** Aborts when the execution stops: pending work then rejects so the engine can unwind. */
  readonly signal: AbortSignal;
  readonly broker: TaskTokenBroker;
  readonly invokeLambda: InvokeLambda;
  /** The functions' timeouts: how long an invocation in flight at a kill may still hold its work. */
  readonly functionTimeout?: FunctionTimeout;
  /** Multiplies Wait durations (callback timers are already scaled in the prepared definition). */
  readonly timeScale: number;
  /**
   * The value the engine's Context Object gives `$$.Task.Token`. The engine resolves `Parameters`
   * before calling a handler, with one Context Object per execution, so it cannot know each
   * task's token: callback handlers swap this placeholder for a fresh token in their input.
   */
  readonly tokenPlaceholder: string;
  /** What the execution recorded so far: outcomes are replayed, new ones recorded. */
  readonly log: ExecutionLog;
  /** Makes the engine's own `States.Timeout` error (see `engine-timeout.ts`). */
  readonly timeoutError: () => Error;
}

/** Builds the engine's `taskResourceLocalHandlers` for one run of an execution. */
export function createLocalHandlers(plan: ReadonlyMap<string, LocalWork>, context: TaskContext): LocalHandlers {
  const handlers: LocalHandlers = {};
  const occurrence = context.log.occurrences();
  for (const [stateName, work] of plan) {
    handlers[stateName] = (input) => {
      const occ = occurrence(stateName, JSON.stringify(input).replaceAll(context.tokenPlaceholder, "$$.Task.Token"));
      return abortable(runRecorded(work, stateName, input, occ, context), context.signal);
    };
  }
  return handlers;
}

/**
 * Runs one task occurrence, or replays its recorded outcome. A new outcome is recorded as soon as
 * it is known, before the engine sees it, so a restart never runs a finished task again; a task
 * that was still running when the process died runs again (at least once, see the README).
 */
async function runRecorded(work: LocalWork, stateName: string, input: JsonValue, occ: Occurrence, context: TaskContext): Promise<JsonValue> {
  const recorded = context.log.outcome(occ);
  if (recorded) return replay(recorded, context);
  try {
    const output = await runLocalWork(work, stateName, input, occ, context);
    context.log.recordOutcome(occ, { ok: true, output });
    return output;
  } catch (error) {
    // A stop is not an outcome of the task, and a States.Runtime error comes back by itself.
    const recordable = error instanceof Error && !(error instanceof ExecutionStoppedError) && !(error instanceof StatesRuntimeError);
    if (recordable && !context.signal.aborted) context.log.recordOutcome(occ, { ok: false, error: error.name, cause: error.message });
    throw error;
  }
}

function replay(outcome: TaskOutcome, context: TaskContext): JsonValue {
  if (outcome.ok) return outcome.output as JsonValue;
  if (outcome.error === "States.Timeout") throw context.timeoutError();
  throw new StatesError(outcome.error, outcome.cause);
}

async function runLocalWork(work: LocalWork, stateName: string, input: JsonValue, occ: Occurrence, context: TaskContext): Promise<JsonValue> {
  switch (work.kind) {
    case "wait": {
      const request = input as unknown as WaitRequest; // built by the Parameters of waitAsTask
      // The end is recorded when the wait starts, so a restart sleeps only for what is left.
      const until = context.log.waitUntil(occ, () => Date.now() + waitMilliseconds(request, Date.now(), context.timeScale));
      await sleep(until - Date.now(), context.signal);
      return asJsonValue(request.input);
    }
    case "lambda":
      assertNoTaskToken(input, context.tokenPlaceholder);
      await startAttempt(occ, work.functionArn, context);
      return withDeadline(invokeAsTask(context.invokeLambda, work.functionArn, input), deadlineOf(work.timeoutSeconds), context);
    case "lambdaInvoke": {
      assertNoTaskToken(input, context.tokenPlaceholder);
      const { FunctionName, Payload } = lambdaInvokeRequest(input);
      await startAttempt(occ, FunctionName, context);
      const output = withDeadline(invokeAsTask(context.invokeLambda, FunctionName, Payload), deadlineOf(work.timeoutSeconds), context);
      return lambdaInvokeOutput(await output);
    }
    case "callback": {
      // A token issued before a restart is issued again, so that it stays valid.
      const known = context.log.token(occ);
      const token = known?.token ?? generateTaskToken();
      const request = replaceInStrings(input, context.tokenPlaceholder, token);
      // Parsed before the token opens, so that a malformed request leaves no token behind.
      const invocation = work.invokesLambda ? lambdaInvokeRequest(request) : undefined;
      const deadline = known ? known.deadline : deadlineOf(work.timeoutSeconds);
      const heartbeatMs = secondsToMs(work.heartbeatSeconds);
      if (!known) {
        context.log.recordToken(occ, {
          token,
          stateName,
          input: request,
          ...(heartbeatMs !== undefined && { heartbeatMs }),
          ...(deadline !== undefined && { deadline }),
        });
      }
      const outcome = context.broker.open({
        token,
        executionArn: context.executionArn,
        stateName,
        input: request,
        heartbeatMs,
        timeoutMs: deadline === undefined ? undefined : Math.max(0, deadline - Date.now()),
      });
      if (invocation && !context.log.invoked(occ)) {
        // The token is open before the function runs, so the function may call back at once; only
        // a failed invocation ends the task early, with the function's error as on AWS.
        invokeAsTask(context.invokeLambda, invocation.FunctionName, invocation.Payload).then(
          () => context.log.recordInvoked(occ),
          (error: Error) => context.broker.cancel(token, error),
        );
      }
      return asJsonValue(await withDeadline(outcome, deadline, context));
    }
  }
}

/**
 * Lambda's limit on a cold start's init phase, which is not part of the function timeout: an
 * invocation started at `t` may still be running (and holding a lease) until `t` + init + timeout.
 */
const LAMBDA_INIT_LIMIT_MS = 10_000;

/**
 * Before a Lambda task invokes its function: if an invocation of this occurrence was in flight when
 * the process died, wait until that invocation could no longer be running (its recorded start plus
 * Lambda's init limit and the function's timeout). On AWS, Step Functions learns of a dead worker only when the invocation
 * times out, and only then may `Retry` run the task again; waiting as long keeps a lease the dead
 * attempt took (sized to the function's timeout) from being seen live by the re-run. Then records
 * this attempt's start.
 */
async function startAttempt(occ: Occurrence, functionArnOrName: string, context: TaskContext): Promise<void> {
  const dead = context.log.started(occ);
  if (dead?.timeoutMs !== undefined) await sleep(dead.at + LAMBDA_INIT_LIMIT_MS + dead.timeoutMs - Date.now(), context.signal);
  const timeoutSeconds = context.functionTimeout?.(functionArnOrName);
  context.log.recordStarted(occ, { at: Date.now(), ...(timeoutSeconds !== undefined && { timeoutMs: timeoutSeconds * 1000 }) });
}

function deadlineOf(timeoutSeconds: number | undefined): number | undefined {
  return timeoutSeconds === undefined ? undefined : Date.now() + timeoutSeconds * 1000;
}

/**
 * Settles like `work`, or fails with the engine's `States.Timeout` at `deadline` (epoch ms). The
 * engine enforces the same timeout from when it called the handler; this one also holds when the
 * task was started before a restart (a callback task's deadline is recorded with its token).
 */
async function withDeadline<T>(work: Promise<T>, deadline: number | undefined, context: TaskContext): Promise<T> {
  if (deadline === undefined) return work;
  const limit = timeLimit(deadline, context.signal);
  const expired = limit.ended.then((end): Promise<never> => {
    if (end === "reached") throw context.timeoutError();
    if (end === "aborted") throw new ExecutionStoppedError();
    // Cancelled: the work settled first, and the race is over.
    return new Promise<never>(() => undefined);
  });
  expired.catch(() => undefined);
  try {
    return await Promise.race([work, expired]);
  } finally {
    limit.cancel();
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

/**
 * The name the local Lambda host gives an invocation it ended at the function's timeout
 * (`FunctionTimeoutError` of `local/lambda.ts`; matched by name, which survives a thread boundary).
 */
const LOCAL_FUNCTION_TIMEOUT = "FunctionTimeoutError";

/**
 * What Lambda answers for an invocation that ran out of time: the runtime was stopped, so the
 * error is Lambda's own (`errorType` `Sandbox.Timedout`, no trace), and Step Functions names the
 * task's error after it. (Step Functions' guide still calls it `Lambda.Unknown`, the name for
 * runtimes that answer without an `errorType`.) A `Retry` on `Sandbox.Timedout` then behaves as on AWS.
 */
const LAMBDA_TIMEOUT_ERROR = "Sandbox.Timedout";

/** Lambda's view of a thrown value: `errorType` is the error's `name`, as the Node.js runtime reports it. */
export function lambdaFunctionError(thrown: unknown): StatesError {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  if (error.name === LOCAL_FUNCTION_TIMEOUT) {
    return new StatesError(LAMBDA_TIMEOUT_ERROR, JSON.stringify({ errorType: LAMBDA_TIMEOUT_ERROR, errorMessage: `Error: ${error.message}` }));
  }
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
