/**
 * Pure functions over Amazon States Language definitions: walking nested states, deciding how each
 * Task runs locally, and rewriting a definition into the form handed to aws-local-stepfunctions.
 */
import { InvalidDefinitionError, UnsupportedResourceError } from "./errors.ts";
import { MAX_TIMER_SECONDS } from "./timers.ts";

/** A parsed JSON object. */
export type JsonObject = { [key: string]: unknown };

/** One ASL state; fields stay loose because rewrites copy unknown fields through untouched. */
export interface AslState extends JsonObject {
  Type: string;
}

/** An ASL definition (a whole state machine, a Parallel branch or a Map item processor). */
export interface AslDefinition extends JsonObject {
  StartAt: string;
  States: Record<string, AslState>;
}

/** How a Task state's `Resource` is served locally. */
export type TaskTarget =
  /** `Resource` is a Lambda ARN: the effective input is the payload, the return value the result. */
  | { kind: "lambda"; functionArn: string }
  /** `arn:aws:states:::lambda:invoke`: `Parameters` is the Lambda Invoke request. */
  | { kind: "lambdaInvoke" }
  /** A `.waitForTaskToken` integration: a task token is issued and awaited; `lambda:invoke.waitForTaskToken` also invokes. */
  | { kind: "callback"; invokesLambda: boolean };

/** The timers of a callback task, as the engine enforces them (already scaled and capped). */
export interface CallbackTimers {
  /** Absent when the timeout comes from `TimeoutSecondsPath`, which only the engine resolves. */
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
}

/** What the runtime substitutes for one state: a Task target, or a Wait it times itself. */
export type LocalWork =
  | (Exclude<TaskTarget, { kind: "callback" }> & { timeoutSeconds?: number })
  | (Extract<TaskTarget, { kind: "callback" }> & CallbackTimers)
  | { kind: "wait" };

/** Stretch factors applied when preparing a definition for the engine. */
export interface TimeScales {
  /** Multiplies Wait durations and the timers of callback tasks (`HeartbeatSeconds`, `TimeoutSeconds`). */
  readonly timeScale: number;
  /** Multiplies `Retry` `IntervalSeconds` and `MaxDelaySeconds`; `BackoffRate` is kept. */
  readonly retryIntervalScale: number;
}

/** The placeholder `Resource` of Wait states rewritten as Tasks (never invoked: always overridden). */
export const WAIT_RESOURCE = "arn:aws:states:::paybus.local:wait";

/** The `Parameters` a rewritten Wait state receives: its input and the duration fields resolved. */
export interface WaitRequest {
  input: unknown;
  seconds?: unknown;
  timestamp?: unknown;
}

const LAMBDA_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[^:]+(:[^:]+)?$/;
const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke(\.waitForTaskToken)?$/;
const SERVICE_CALLBACK = /^arn:aws[a-z-]*:states:::.+\.waitForTaskToken$/;

// ASL's default Retry interval; made explicit so that it can be scaled.
const DEFAULT_RETRY_INTERVAL_SECONDS = 1;
// The engine reads a `TimeoutSeconds` of 0 as "unset" and falls back to 60 s: never go below this.
const MIN_ENGINE_TIMEOUT_SECONDS = 0.001;

/** The definitions nested in a state: Parallel `Branches`, Map `ItemProcessor` (or legacy `Iterator`). */
export function nestedDefinitions(state: AslState): AslDefinition[] {
  if (state.Type === "Parallel") return (state.Branches as AslDefinition[] | undefined) ?? [];
  if (state.Type === "Map") {
    const processor = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
    return processor ? [processor] : [];
  }
  return [];
}

/**
 * Indexes every state by name, nested ones included. Throws {@link InvalidDefinitionError} on a
 * duplicate name: AWS requires names unique across the whole machine, and the engine's local
 * overrides are keyed by state name alone.
 */
export function indexStates(definition: AslDefinition): Map<string, AslState> {
  const index = new Map<string, AslState>();
  const visit = (current: AslDefinition) => {
    for (const [name, state] of Object.entries(current.States)) {
      if (index.has(name)) throw new InvalidDefinitionError(`Duplicate state name '${name}'`);
      index.set(name, state);
      nestedDefinitions(state).forEach(visit);
    }
  };
  visit(definition);
  return index;
}

/** Classifies a Task `Resource`; `undefined` when this runtime cannot serve it. */
export function taskTarget(resource: string): TaskTarget | undefined {
  const invoke = LAMBDA_INVOKE.exec(resource);
  if (invoke) return invoke[1] ? { kind: "callback", invokesLambda: true } : { kind: "lambdaInvoke" };
  if (LAMBDA_FUNCTION_ARN.test(resource)) return { kind: "lambda", functionArn: resource };
  if (SERVICE_CALLBACK.test(resource)) return { kind: "callback", invokesLambda: false };
  return undefined;
}

/** Whether the state is a Task using the callback (`.waitForTaskToken`) pattern. */
export function isCallbackTask(state: AslState): boolean {
  return state.Type === "Task" && taskTarget(String(state.Resource))?.kind === "callback";
}

/**
 * Decides the local replacement of every Task state of a definition prepared by
 * {@link prepareForEngine} (where Waits are already Tasks), keyed by state name. Throws
 * {@link UnsupportedResourceError} naming every Task this runtime cannot run, so a definition
 * fails at start-up rather than halfway through an execution.
 */
export function planLocalWork(preparedStates: Map<string, AslState>): Map<string, LocalWork> {
  const plan = new Map<string, LocalWork>();
  const unsupported: string[] = [];
  for (const [name, state] of preparedStates) {
    if (state.Type !== "Task") continue;
    const resource = String(state.Resource);
    const target: LocalWork | undefined = resource === WAIT_RESOURCE ? { kind: "wait" } : taskTarget(resource);
    if (!target) unsupported.push(`'${name}' (${resource})`);
    else if (target.kind === "wait") plan.set(name, target);
    // The timeout the engine enforces (prepared: scaled, capped): a resumed task enforces it too.
    else if (target.kind === "callback") plan.set(name, { ...target, ...callbackTimers(state) });
    else plan.set(name, typeof state.TimeoutSeconds === "number" ? { ...target, timeoutSeconds: state.TimeoutSeconds } : target);
  }
  if (unsupported.length > 0) {
    throw new UnsupportedResourceError(
      `Only Lambda tasks and .waitForTaskToken callbacks run locally; unsupported: ${unsupported.join(", ")}`,
    );
  }
  return plan;
}

function callbackTimers(state: AslState): CallbackTimers {
  const timers: CallbackTimers = {};
  if (typeof state.TimeoutSeconds === "number") timers.timeoutSeconds = state.TimeoutSeconds;
  if (typeof state.HeartbeatSeconds === "number") timers.heartbeatSeconds = state.HeartbeatSeconds;
  return timers;
}

/**
 * Rewrites a definition for aws-local-stepfunctions so that it behaves as on AWS, with time
 * stretched by `scales`:
 * - Wait states become Tasks the runtime times itself (the engine's Wait override is a fixed
 *   number, so it cannot scale `SecondsPath`/`Timestamp` waits);
 * - every Task gets an explicit, timer-safe `TimeoutSeconds`, because the engine defaults to 60 s
 *   where AWS has no default, and overflows (fires at once) above ~24.8 days; callback tasks
 *   also get their `HeartbeatSeconds` scaled;
 * - `Retry` intervals are scaled, keeping `BackoffRate` and `MaxAttempts`.
 */
export function prepareForEngine(definition: AslDefinition, scales: TimeScales): AslDefinition {
  const prepared = mapStates(definition, (state) => prepareState(state, scales));
  const timeout = prepared.TimeoutSeconds;
  return typeof timeout === "number" ? { ...prepared, TimeoutSeconds: Math.min(timeout, MAX_TIMER_SECONDS) } : prepared;
}

function prepareState(state: AslState, scales: TimeScales): AslState {
  if (state.Type === "Wait") return waitAsTask(state);
  const retried = scaleRetriers(state, scales.retryIntervalScale);
  if (state.Type !== "Task") return retried;
  return withEngineTimeout(isCallbackTask(state) ? scaleHeartbeat(retried, scales.timeScale) : retried, scales.timeScale);
}

/** Scales `HeartbeatSeconds` (enforced by the runtime, not the engine), capped to a safe timer. */
export function scaleHeartbeat(state: AslState, timeScale: number): AslState {
  const heartbeat = state.HeartbeatSeconds;
  if (typeof heartbeat !== "number") return state;
  return { ...state, HeartbeatSeconds: Math.min(heartbeat * timeScale, MAX_TIMER_SECONDS) };
}

/** Applies `transform` to every state, nested ones included, without mutating `definition`. */
export function mapStates(definition: AslDefinition, transform: (state: AslState) => AslState): AslDefinition {
  const recurse = (nested: AslDefinition) => mapStates(nested, transform);
  const States = Object.fromEntries(
    Object.entries(definition.States).map(([name, state]) => [name, transform(withNestedMapped(state, recurse))]),
  );
  return { ...definition, States };
}

function withNestedMapped(state: AslState, recurse: (nested: AslDefinition) => AslDefinition): AslState {
  if (state.Type === "Parallel" && Array.isArray(state.Branches)) {
    return { ...state, Branches: (state.Branches as AslDefinition[]).map(recurse) };
  }
  if (state.Type === "Map") {
    const mapped: AslState = { ...state };
    for (const key of ["ItemProcessor", "Iterator"] as const) {
      if (state[key]) mapped[key] = recurse(state[key] as AslDefinition);
    }
    return mapped;
  }
  return state;
}

/** Scales the pause of every retrier; the engine computes `IntervalSeconds * BackoffRate^attempt`. */
export function scaleRetriers(state: AslState, scale: number): AslState {
  if (!Array.isArray(state.Retry)) return state;
  const Retry = (state.Retry as JsonObject[]).map((retrier) => ({
    ...retrier,
    IntervalSeconds: numberOr(retrier.IntervalSeconds, DEFAULT_RETRY_INTERVAL_SECONDS) * scale,
    ...(typeof retrier.MaxDelaySeconds === "number" && { MaxDelaySeconds: retrier.MaxDelaySeconds * scale }),
  }));
  return { ...state, Retry };
}

/**
 * The `TimeoutSeconds` the engine enforces for a Task: the declared one (scaled for callback
 * tasks, which wait on the outside world, not for Lambda tasks, which run real code) or, when none
 * is declared, the longest safe timer, AWS having no default. `TimeoutSecondsPath` is left to the
 * engine, unscaled.
 */
export function withEngineTimeout(state: AslState, timeScale: number): AslState {
  if ("TimeoutSecondsPath" in state) return state;
  const declared = state.TimeoutSeconds;
  const seconds =
    typeof declared === "number" ? declared * (isCallbackTask(state) ? timeScale : 1) : MAX_TIMER_SECONDS;
  return { ...state, TimeoutSeconds: Math.min(Math.max(seconds, MIN_ENGINE_TIMEOUT_SECONDS), MAX_TIMER_SECONDS) };
}

/**
 * Turns a Wait state into a Task whose `Parameters` resolve the wait's input and duration fields
 * (paths included, by the engine) into a {@link WaitRequest}; the local handler then sleeps for
 * the scaled duration and returns the input, so `InputPath`/`OutputPath` keep their meaning.
 */
export function waitAsTask(state: AslState): AslState {
  const { Seconds, SecondsPath, Timestamp, TimestampPath, ...rest } = state;
  const Parameters: JsonObject = { "input.$": "$" };
  if (Seconds !== undefined) Parameters.seconds = Seconds;
  if (SecondsPath !== undefined) Parameters["seconds.$"] = SecondsPath;
  if (Timestamp !== undefined) Parameters.timestamp = Timestamp;
  if (TimestampPath !== undefined) Parameters["timestamp.$"] = TimestampPath;
  return { ...rest, Type: "Task", Resource: WAIT_RESOURCE, Parameters, TimeoutSeconds: MAX_TIMER_SECONDS };
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === "number" ? value : fallback;
}
