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

/**
 * A history event before the engine numbers it, with where it happened: `thread` is the Parallel
 * branch its state belongs to (`""` at the top level), which AWS's `previousEventId` follows.
 */
export type HistoryEntry = Omit<HistoryEvent, "id" | "previousEventId"> & { [CHAIN]?: ChainLink };

/** Where an entry links in the `previousEventId` chain (kept off the wire). */
export interface ChainLink {
  /** The branch the event belongs to: `<Parallel state>[<branch index>]`, or `""` at the top level. */
  readonly thread: string;
  /** `started`: a ParallelStateStarted, which its branches' first events point to. `joined`: a ParallelStateSucceeded, which follows the last branch event. */
  readonly role?: "started" | "joined" | "execution";
  /** For `started`/`joined`: the Parallel state's name. */
  readonly parallel?: string;
}

/** The symbol under which a {@link HistoryEntry} carries its {@link ChainLink}. */
export const CHAIN = Symbol("chain");

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
  /** The Parallel branch a state belongs to (`<Parallel>[<index>]`), `""` at the top level. */
  threadOf(stateName: string): string;
}

/**
 * The AWS history event for an engine event, or `undefined` for engine events AWS has no
 * counterpart for (branch/iteration bookkeeping, retries, catches) and for `ExecutionAborted`,
 * which `StopExecution` records itself with the caller's error and cause.
 */
export function historyEntries(event: EngineEvent, states: StateCatalog): HistoryEntry[] {
  const timestamp = new Date(event.timestamp);
  const execution = { [CHAIN]: { thread: "", role: "execution" } } as const;
  switch (event.type) {
    case "ExecutionStarted":
      return [
        {
          timestamp,
          type: "ExecutionStarted",
          executionStartedEventDetails: { input: jsonText(event.input), inputDetails: { truncated: false }, roleArn: states.roleArn },
          ...execution,
        },
      ];
    case "ExecutionSucceeded":
      return [
        {
          timestamp,
          type: "ExecutionSucceeded",
          executionSucceededEventDetails: { output: jsonText(event.output), outputDetails: { truncated: false } },
          ...execution,
        },
      ];
    case "ExecutionFailed":
      return [{ timestamp, type: "ExecutionFailed", executionFailedEventDetails: { error: event.Error, cause: causeText(event.Cause) }, ...execution }];
    case "ExecutionTimeout":
      return [{ timestamp, type: "ExecutionTimedOut", executionTimedOutEventDetails: { error: "States.Timeout" }, ...execution }];
    case "StateEntered": {
      const name = event.state.name;
      const type = states.typeOf(name);
      const thread = states.threadOf(name);
      const entered: HistoryEntry = {
        timestamp,
        type: `${type}StateEntered`,
        stateEnteredEventDetails: { name, input: jsonText(event.state.input), inputDetails: { truncated: false } },
        [CHAIN]: { thread },
      };
      // AWS marks the start of a Parallel's branches; its branches' first events point to it.
      if (type !== "Parallel") return [entered];
      return [entered, { timestamp, type: "ParallelStateStarted", [CHAIN]: { thread, role: "started", parallel: name } }];
    }
    case "StateExited": {
      const name = event.state.name;
      const type = states.typeOf(name);
      const thread = states.threadOf(name);
      const exited: HistoryEntry = {
        timestamp,
        type: `${type}StateExited`,
        stateExitedEventDetails: { name, output: jsonText(event.state.output), outputDetails: { truncated: false } },
        [CHAIN]: { thread },
      };
      if (type !== "Parallel") return [exited];
      return [{ timestamp, type: "ParallelStateSucceeded", [CHAIN]: { thread, role: "joined", parallel: name } }, exited];
    }
    case "StateFailed":
      return stateFailedEntries(timestamp, event.state.name, event.Error, causeText(event.Cause), states);
    default:
      return [];
  }
}

function stateFailedEntries(timestamp: Date, stateName: string, error: string, cause: string, states: StateCatalog): HistoryEntry[] {
  const type = states.typeOf(stateName);
  const thread = states.threadOf(stateName);
  if (type === "Task") {
    return [{ timestamp, type: "TaskFailed", taskFailedEventDetails: { ...resourceParts(states.resourceOf(stateName)), error, cause }, [CHAIN]: { thread } }];
  }
  // AWS's ParallelStateFailed/MapStateFailed carry no details; the error follows in ExecutionFailed.
  if (type === "Parallel") return [{ timestamp, type: "ParallelStateFailed", [CHAIN]: { thread, role: "joined", parallel: stateName } }];
  return type === "Map" ? [{ timestamp, type: "MapStateFailed", [CHAIN]: { thread } }] : [];
}

/**
 * Numbers history events the way AWS links them: `previousEventId` is the event that led to this
 * one: 0 for `ExecutionStarted` and the first state entered, else the previous event of the same
 * branch; a branch's first event points to its `ParallelStateStarted`, a `ParallelStateSucceeded`
 * (or `…Failed`) to the last event of its branches, and the execution's end to the event before it.
 */
export class HistoryChain {
  // Last event id per thread; `started:<Parallel>` holds the id of that Parallel's ParallelStateStarted.
  readonly #last = new Map<string, number>();

  /** The `previousEventId` of `entry` if it gets `id`; remembers it for the events that follow. */
  link(entry: HistoryEntry, id: number): number {
    const link = entry[CHAIN] ?? { thread: "" };
    let previous: number;
    if (link.role === "execution") previous = entry.type === "ExecutionStarted" ? 0 : id - 1;
    else if (link.role === "joined") previous = this.#lastOfBranches(link.parallel!) ?? this.#last.get(link.thread) ?? 0;
    else previous = this.#last.get(link.thread) ?? this.#branchStart(link.thread);
    this.remember(link, id);
    return previous;
  }

  /** Records that the event `id` happened at `link` (also used when reading the store back). */
  remember(link: ChainLink, id: number): void {
    if (link.role === "execution") return;
    this.#last.set(link.thread, id);
    if (link.role === "started") this.#last.set(`started:${link.parallel}`, id);
  }

  #branchStart(thread: string): number {
    const parallel = /^(.*)\[\d+\]$/.exec(thread)?.[1];
    return parallel === undefined ? 0 : (this.#last.get(`started:${parallel}`) ?? 0);
  }

  #lastOfBranches(parallel: string): number | undefined {
    let last: number | undefined;
    for (const [thread, id] of this.#last) {
      if (thread.startsWith(`${parallel}[`) && (last === undefined || id > last)) last = id;
    }
    return last;
  }
}

/** The history event `StopExecution` records. */
export function abortedEntry(timestamp: Date, error: string | undefined, cause: string | undefined): HistoryEntry {
  return { timestamp, type: "ExecutionAborted", executionAbortedEventDetails: definedOnly({ error, cause }), [CHAIN]: { thread: "", role: "execution" } };
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
