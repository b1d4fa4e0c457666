import { randomBytes } from "node:crypto";
import { HeartbeatTimeoutError, InvalidTokenError, StatesError, TaskDoesNotExistError, TaskTimedOutError } from "./errors.ts";
import { promiseWithResolvers, type PromiseWithResolvers } from "./polyfill.ts";
import { MAX_TIMER_MS } from "./timers.ts";

/** A callback task waiting for `SendTaskSuccess`/`SendTaskFailure`. */
export interface PendingTaskToken {
  /** The opaque token handed to the task via `$$.Task.Token`. */
  token: string;
  executionArn: string;
  stateName: string;
  /** The task's effective input (after `Parameters`), token included, as the integration received it. */
  input: unknown;
}

/** What a callback task registers with the broker. */
export interface TaskTokenRequest extends PendingTaskToken {
  /** Milliseconds without heartbeat after which the task fails with `States.HeartbeatTimeout`. */
  heartbeatMs?: number;
  /**
   * The task's `TimeoutSeconds` in milliseconds. At that point the token is only retired (later
   * calls get `TaskTimedOut`): the engine itself fails the task with its own `States.Timeout`,
   * the one error `States.TaskFailed` must not match, which only the engine can raise.
   */
  timeoutMs?: number;
}

/** Observers of the broker, for the durable store. */
export interface TaskTokenHooks {
  /** A `SendTaskSuccess`/`SendTaskFailure` settled the task (called before the task resumes). */
  settled?(request: PendingTaskToken, outcome: { ok: true; output: unknown } | { ok: false; error: string; cause: string }): void;
  /** The token was retired, whatever the reason. */
  closed?(request: PendingTaskToken): void;
}

interface OpenTask {
  readonly request: PendingTaskToken;
  readonly outcome: PromiseWithResolvers<unknown>;
  heartbeat?: NodeJS.Timeout;
  deadline?: NodeJS.Timeout;
}

// AWS tokens are long opaque base64 strings; ours keep that look with a fixed, checkable shape.
const TOKEN_PREFIX = "AQ";
const TOKEN_BYTES = 96;
const TOKEN_SHAPE = new RegExp(`^${TOKEN_PREFIX}[A-Za-z0-9+/]{${(TOKEN_BYTES / 3) * 4}}$`);

/** A new task token: unguessable, and recognisable as ours by {@link TaskTokenBroker}. */
export function generateTaskToken(): string {
  return TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString("base64");
}

/**
 * Hands out task tokens to callback tasks and settles them from `SendTask*` calls. Errors follow
 * AWS: a string that cannot be a token is `InvalidToken`, a token never issued is
 * `TaskDoesNotExist`, and a token whose task already ended is `TaskTimedOut`.
 */
export class TaskTokenBroker {
  readonly #open = new Map<string, OpenTask>();
  /** The open tasks of each execution: an execution's end looks up its own, not every open token. */
  readonly #byExecution = new Map<string, Set<OpenTask>>();
  readonly #closed = new Set<string>();
  readonly #onChange: (executionArn: string) => void;
  readonly #hooks: TaskTokenHooks;

  /**
   * @param onChange called with the execution ARN whenever one of its tokens opens or closes.
   * @param hooks called synchronously before a `SendTask*` call returns, so that what it settled is
   * recorded (durably) before the caller hears back.
   */
  constructor(onChange: (executionArn: string) => void, hooks: TaskTokenHooks = {}) {
    this.#onChange = onChange;
    this.#hooks = hooks;
  }

  /** Whether `token` is awaited right now. */
  isOpen(token: string): boolean {
    return this.#open.has(token);
  }

  /** Marks a token as used up (e.g. read back from the store at start-up): later calls answer `TaskTimedOut`. */
  markClosed(token: string): void {
    this.#closed.add(token);
  }

  /**
   * Throws what `SendTask*` would answer for a token that is not open: `TaskTimedOut` for a token
   * that was closed, `InvalidToken` for a string that cannot be a token, `TaskDoesNotExist` else.
   */
  assertKnown(token: string): void {
    this.#find(token);
  }

  /** Opens `request.token`; the promise settles when the task succeeds, fails or times out. */
  open(request: TaskTokenRequest): Promise<unknown> {
    const { heartbeatMs, timeoutMs, ...pending } = request;
    const task: OpenTask = { request: pending, outcome: promiseWithResolvers<unknown>() };
    if (heartbeatMs !== undefined) {
      const expire = () => this.#close(task).reject(new HeartbeatTimeoutError(pending.stateName));
      task.heartbeat = setTimeout(expire, Math.min(heartbeatMs, MAX_TIMER_MS));
    }
    if (timeoutMs !== undefined) {
      task.deadline = setTimeout(() => this.#close(task), Math.min(timeoutMs, MAX_TIMER_MS));
    }
    this.#open.set(pending.token, task);
    let tasks = this.#byExecution.get(pending.executionArn);
    if (!tasks) this.#byExecution.set(pending.executionArn, (tasks = new Set()));
    tasks.add(task);
    this.#onChange(pending.executionArn);
    return task.outcome.promise;
  }

  /** Completes the task with `output` (already parsed JSON). */
  succeed(token: string, output: unknown): void {
    const task = this.#find(token);
    this.#hooks.settled?.(task.request, { ok: true, output });
    this.#close(task).resolve(output);
  }

  /** Fails the task; `Retry`/`Catch` then see `error` as the error name, as on AWS. */
  fail(token: string, error: string, cause: string): void {
    const task = this.#find(token);
    this.#hooks.settled?.(task.request, { ok: false, error, cause });
    this.#close(task).reject(new StatesError(error, cause));
  }

  /** Restarts the task's `HeartbeatSeconds` timer. */
  heartbeat(token: string): void {
    this.#find(token).heartbeat?.refresh();
  }

  /** Fails the task with `reason` if its token is still open (e.g. its integration failed). */
  cancel(token: string, reason: Error): void {
    const task = this.#open.get(token);
    if (task) this.#close(task).reject(reason);
  }

  /** Fails every open task of an execution (stopped or ended) with `reason()` (made only if one is open). */
  cancelExecution(executionArn: string, reason: () => Error): void {
    const tasks = this.#byExecution.get(executionArn);
    if (!tasks) return;
    for (const task of [...tasks]) this.#close(task).reject(reason());
  }

  /** The execution whose task awaits `token`; undefined when the token is not open. */
  executionOf(token: string): string | undefined {
    return this.#open.get(token)?.request.executionArn;
  }

  /** Whether a task of the execution awaits its token. */
  awaits(executionArn: string): boolean {
    return this.#byExecution.has(executionArn);
  }

  /**
   * Forgets every open token without settling or recording anything (the engine is closing and
   * its executions stay recorded as running): only the timers go, so nothing keeps the process up.
   */
  dispose(): void {
    for (const task of this.#open.values()) {
      clearTimeout(task.heartbeat);
      clearTimeout(task.deadline);
    }
    this.#open.clear();
    this.#byExecution.clear();
  }

  /** Tokens currently awaited, oldest first (copies). */
  pending(): PendingTaskToken[] {
    return [...this.#open.values()].map((task) => structuredClone(task.request));
  }

  #find(token: string): OpenTask {
    const task = this.#open.get(token);
    if (task) return task;
    if (this.#closed.has(token)) {
      throw new TaskTimedOutError("Task Timed Out: 'Provided task does not exist anymore'");
    }
    if (!TOKEN_SHAPE.test(token)) throw new InvalidTokenError("Invalid Token: 'Invalid token'");
    throw new TaskDoesNotExistError("Task does not exist anymore");
  }

  #close(task: OpenTask): PromiseWithResolvers<unknown> {
    clearTimeout(task.heartbeat);
    clearTimeout(task.deadline);
    this.#open.delete(task.request.token);
    const tasks = this.#byExecution.get(task.request.executionArn);
    tasks?.delete(task);
    if (tasks?.size === 0) this.#byExecution.delete(task.request.executionArn);
    this.#closed.add(task.request.token);
    this.#hooks.closed?.(task.request);
    this.#onChange(task.request.executionArn);
    return task.outcome;
  }
}
