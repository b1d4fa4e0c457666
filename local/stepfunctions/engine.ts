/**
 * The Step Functions service behind the HTTP API: registered state machines, executions (run by
 * aws-local-stepfunctions) with their history, and the task-token broker. With a durable store
 * every execution, history event, task outcome, Wait end and task token is recorded as it happens;
 * a new engine on the same store lists the executions again and {@link StepFunctionsEngine.resume}
 * continues the running ones (see `replay.ts`).
 *
 * An execution's record, history and store lines are kept by `stored-execution.ts`; task tokens,
 * including those issued before a restart, by `resumable-tokens.ts`.
 */
import { randomUUID } from "node:crypto";
import { assertStatesArn, assertValidName, executionArn, type AwsScope } from "./arn.ts";
import type { TimeScales } from "./definition.ts";
import {
  ExecutionDoesNotExistError,
  ExecutionStoppedError,
  InvalidExecutionInputError,
  StateMachineAlreadyExistsError,
  StateMachineDoesNotExistError,
} from "./errors.ts";
import { abortedEntry, executionOutcome, historyEntries, type EngineEvent, type ExecutionStatus, type HistoryEvent } from "./history.ts";
import { parseJson } from "./json.ts";
import { registerStateMachine, type RegisteredStateMachine, type StateMachineDeclaration } from "./machines.ts";
import { ResumableTokens } from "./resumable-tokens.ts";
import { entrySignature, replaySignatures, restoreRecord } from "./restore.ts";
import { memoryStore, type ExecutionStore, type StoreRecord } from "./store.ts";
import {
  appendEvent,
  assertIdempotentStart,
  createExecution,
  endRecord,
  eventRecord,
  recordEnd,
  type ExecutionRecord,
  type StoredExecution,
} from "./stored-execution.ts";
import { createLocalHandlers, type FunctionTimeout, type InvokeLambda } from "./tasks.ts";
import type { PendingTaskToken } from "./tokens.ts";

export type { ExecutionRecord } from "./stored-execution.ts";

/** Tells `onChange` listeners what changed: an execution's record, or its open task tokens. */
export interface StepFunctionsChange {
  kind: "execution" | "taskToken";
  executionArn: string;
}

/** What {@link StepFunctionsEngine} is built from. */
export interface EngineOptions {
  readonly stateMachines: readonly StateMachineDeclaration[];
  readonly invokeLambda: InvokeLambda;
  /** The functions' timeouts (see `LocalStepFunctionsOptions.functionTimeout` in index.ts). */
  readonly functionTimeout?: FunctionTimeout;
  readonly scope: AwsScope;
  readonly scales: TimeScales;
  /** Where executions are recorded; default: nowhere (they live as long as the engine). */
  readonly store?: ExecutionStore;
  /** Makes the engine's own `States.Timeout` error (see `engine-timeout.ts`). */
  readonly timeoutError: () => Error;
}

const SHUTDOWN_CAUSE = "The local Step Functions endpoint was closed";

/** The Step Functions service semantics, independent of the HTTP transport. */
export class StepFunctionsEngine {
  readonly #options: EngineOptions;
  readonly #machines = new Map<string, RegisteredStateMachine>();
  // Insertion order is start order, which ListExecutions reverses.
  readonly #executions = new Map<string, StoredExecution>();
  readonly #listeners = new Set<(change: StepFunctionsChange) => void>();
  readonly #store: ExecutionStore;
  // Set by shutdown(): with a durable store, running executions are left as recorded, to resume.
  #closing = false;
  readonly #tokens: ResumableTokens;
  // Unguessable, so no input text can be mistaken for it (see TaskContext.tokenPlaceholder).
  readonly #tokenPlaceholder = `paybus-local-task-token-${randomUUID()}`;

  /** Registers every state machine; throws on the first invalid or duplicate declaration. */
  constructor(options: EngineOptions) {
    this.#options = options;
    this.#store = options.store ?? memoryStore;
    this.#tokens = new ResumableTokens({
      store: this.#store,
      logOf: (executionArn) => this.#executions.get(executionArn)?.log,
      changed: (executionArn) => this.#notify({ kind: "taskToken", executionArn }),
      closing: () => this.#closing,
    });
    for (const declaration of options.stateMachines) {
      const machine = registerStateMachine(declaration, options.scope, options.scales);
      if (this.#machines.has(machine.arn)) {
        throw new StateMachineAlreadyExistsError(`State machine '${machine.name}' is declared twice`);
      }
      this.#machines.set(machine.arn, machine);
    }
    this.#restore(this.#store.load());
  }

  /**
   * Continues every execution the store left running: each runs again from the start with the
   * recorded task outcomes, so it comes back to where it stood and goes on from there. Call it
   * once, when whatever the tasks invoke is ready.
   */
  resume(): void {
    for (const execution of this.#executions.values()) {
      if (execution.record.status === "RUNNING") this.#run(execution);
    }
  }

  /** Registered state machines, in declaration order. */
  stateMachines(): RegisteredStateMachine[] {
    return [...this.#machines.values()];
  }

  /** The state machine with this ARN; `InvalidArn` or `StateMachineDoesNotExist` otherwise. */
  stateMachine(arn: string): RegisteredStateMachine {
    assertStatesArn(arn, "stateMachine");
    const machine = this.#machines.get(arn);
    if (!machine) throw new StateMachineDoesNotExistError(`State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  /**
   * Starts an execution, with AWS's name idempotency for Standard workflows: the same name and
   * input as an execution still running returns that execution without starting another; any
   * other reuse of a name (different input, or a closed execution) is `ExecutionAlreadyExists`.
   */
  startExecution(request: { stateMachineArn: string; name?: string; input?: string }): ExecutionRecord {
    const machine = this.stateMachine(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    assertValidName(name);
    const inputText = request.input ?? "{}";
    const input = parseJson(inputText, () => new InvalidExecutionInputError(`Invalid State Machine Execution Input: '${inputText}'`));
    const arn = executionArn(this.#options.scope, machine.name, name);
    const existing = this.#executions.get(arn);
    if (existing) {
      assertIdempotentStart(existing, inputText);
      return structuredClone(existing.record);
    }
    const startDate = new Date();
    // Recorded before the caller hears of it: an execution that was started is never lost.
    this.#store.append({ t: "start", arn, machineArn: machine.arn, name, inputText, startDate: startDate.toISOString() });
    const execution = this.#create(machine, { arn, name, inputText, input, startDate });
    this.#run(execution);
    this.#notify({ kind: "execution", executionArn: arn });
    return structuredClone(execution.record);
  }

  /** A copy of the execution's record with its input text; `ExecutionDoesNotExist` if unknown. */
  describeExecution(arn: string): { record: ExecutionRecord; inputText: string } {
    const execution = this.#find(arn);
    return { record: structuredClone(execution.record), inputText: execution.inputText };
  }

  /**
   * The execution's status alone, without copying its record (input, output and path): what
   * listeners called at every state transition need. `ExecutionDoesNotExist` if unknown.
   */
  executionStatus(arn: string): ExecutionStatus {
    return this.#find(arn).record.status;
  }

  /** The execution's history events, oldest first. */
  executionHistory(arn: string): HistoryEvent[] {
    return structuredClone(this.#find(arn).history);
  }

  /** Executions of a state machine, newest first, optionally only those with `status`. */
  listExecutions(stateMachineArn: string, status?: ExecutionStatus): ExecutionRecord[] {
    const machine = this.stateMachine(stateMachineArn);
    return this.executions(status)
      .filter((record) => record.stateMachineArn === machine.arn)
      .reverse();
  }

  /** Every execution, or those with `status`, oldest first (copies). */
  executions(status?: ExecutionStatus): ExecutionRecord[] {
    const records: ExecutionRecord[] = [];
    for (const { record } of this.#executions.values()) if (status === undefined || record.status === status) records.push(structuredClone(record));
    return records;
  }

  /**
   * Whether every running execution waits for a task token (the outside world), without copying
   * any record: what "is the pipeline quiet" asks every few milliseconds, however many executions
   * the engine keeps.
   */
  onlyAwaitingTaskTokens(): boolean {
    for (const { record } of this.#executions.values()) {
      if (record.status === "RUNNING" && !this.#tokens.broker.awaits(record.executionArn)) return false;
    }
    return true;
  }

  /**
   * Stops a running execution: status `ABORTED`, pending waits and tasks abandoned, open task
   * tokens closed. Stopping a closed execution changes nothing. Returns the stop date.
   */
  stopExecution(arn: string, error?: string, cause?: string): Date {
    const execution = this.#find(arn);
    if (execution.record.status === "RUNNING") {
      const stopDate = new Date();
      const record = execution.record;
      record.status = "ABORTED";
      record.stopDate = stopDate;
      if (error !== undefined) record.error = error;
      if (cause !== undefined) record.cause = cause;
      appendEvent(this.#store, execution, abortedEntry(stopDate, error, cause));
      recordEnd(this.#store, execution);
      execution.abort();
      this.#tokens.broker.cancelExecution(arn, () => new ExecutionStoppedError());
      this.#notify({ kind: "execution", executionArn: arn });
    }
    return execution.record.stopDate!;
  }

  /**
   * Throws what `SendTask*` answers for a token that cannot be settled (`InvalidToken`,
   * `TaskDoesNotExist`, `TaskTimedOut`), so that the API checks the token before the output.
   */
  assertTaskToken(token: string): void {
    this.#tokens.assertSettleable(token);
  }

  /** Completes a callback task with `output` (parsed JSON). */
  sendTaskSuccess(token: string, output: unknown): void {
    this.#tokens.succeed(token, output);
  }

  /** Fails a callback task; `error` is the name its `Retry`/`Catch` see. */
  sendTaskFailure(token: string, error = "", cause = ""): void {
    this.#tokens.fail(token, error, cause);
  }

  /** Restarts a callback task's `HeartbeatSeconds` timer. */
  sendTaskHeartbeat(token: string): void {
    this.#tokens.heartbeat(token);
  }

  /** The execution whose callback task awaits `token` (undefined when none does), without copying the open tokens. */
  taskTokenExecution(token: string): string | undefined {
    return this.#tokens.broker.executionOf(token);
  }

  /** Callback tasks awaiting their token, oldest first. */
  pendingTaskTokens(): PendingTaskToken[] {
    return this.#tokens.pending();
  }

  /**
   * Calls `listener` after every change (asynchronously, so a throwing listener cannot corrupt an
   * execution). Returns the function that unsubscribes it.
   */
  onChange(listener: (change: StepFunctionsChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Stops the engine. Without a durable store, running executions end as `ABORTED`; with one, they
   * are left as recorded (still `RUNNING`), for the next engine on the store to resume. Listeners
   * are forgotten; records stay readable.
   */
  shutdown(): void {
    if (this.#store === memoryStore) {
      for (const execution of this.#executions.values()) {
        if (execution.record.status === "RUNNING") this.stopExecution(execution.record.executionArn, undefined, SHUTDOWN_CAUSE);
      }
    } else {
      this.#closing = true;
      for (const execution of this.#executions.values()) execution.abort();
      this.#tokens.dispose();
    }
    this.#listeners.clear();
    this.#store.close?.();
  }

  #create(machine: RegisteredStateMachine, start: Parameters<typeof createExecution>[2]): StoredExecution {
    const execution = createExecution(this.#store, machine, start);
    this.#executions.set(start.arn, execution);
    return execution;
  }

  /** Runs the execution's definition from the start; recorded task outcomes are replayed. */
  #run(execution: StoredExecution): void {
    const { machine, record } = execution;
    const controller = new AbortController();
    const handlers = createLocalHandlers(machine.plan, {
      executionArn: record.executionArn,
      signal: controller.signal,
      broker: this.#tokens.broker,
      invokeLambda: this.#options.invokeLambda,
      ...(this.#options.functionTimeout && { functionTimeout: this.#options.functionTimeout }),
      timeScale: this.#options.scales.timeScale,
      tokenPlaceholder: this.#tokenPlaceholder,
      log: execution.log,
      timeoutError: this.#options.timeoutError,
    });
    execution.replayed = replaySignatures(execution.history);
    const run = machine.engine.run(structuredClone(record.input) as Parameters<typeof machine.engine.run>[0], {
      noThrowOnAbort: true,
      context: {
        Execution: { Id: record.executionArn, Name: record.name, RoleArn: machine.roleArn },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: { Token: this.#tokenPlaceholder },
      },
      overrides: { taskResourceLocalHandlers: handlers },
    });
    // Status and output are read from the event log, so that they never disagree with the
    // history; the result promise only needs a handler because it rejects on failure.
    run.result.catch(() => undefined);
    execution.abort = () => {
      controller.abort();
      run.abort();
    };
    void this.#follow(execution, run.eventLogs);
  }

  /** Rebuilds executions, histories, task logs and tokens from the store's records, in order. */
  #restore(records: readonly StoreRecord[]): void {
    for (const entry of records) {
      if (entry.t === "start") {
        const machine = this.#machines.get(entry.machineArn);
        // An execution of a machine no longer declared cannot run or be described: left out.
        if (!machine || this.#executions.has(entry.arn)) continue;
        const input = parseJson(entry.inputText, () => new InvalidExecutionInputError(entry.inputText));
        this.#create(machine, { arn: entry.arn, name: entry.name, inputText: entry.inputText, input, startDate: new Date(entry.startDate) });
        continue;
      }
      const execution = this.#executions.get(entry.arn);
      if (execution) restoreRecord(execution, entry, this.#tokens.owners);
    }
    this.#tokens.closeRestored((arn) => this.#executions.get(arn)?.record.status === "RUNNING");
  }

  async #follow(execution: StoredExecution, events: AsyncIterable<EngineEvent>): Promise<void> {
    for await (const event of events) this.#record(execution, event);
  }

  #record(execution: StoredExecution, event: EngineEvent): void {
    // After StopExecution the engine still unwinds; none of that is part of the history on AWS.
    // Nor is what a shutdown unwinds: the execution resumes from its record.
    if (execution.record.status !== "RUNNING" || this.#closing) return;
    const entries = historyEntries(event, execution.machine.states);
    // Engine bookkeeping without an AWS counterpart changes nothing visible.
    if (entries.length === 0) return;
    // What this event adds to the store, appended at once (one write, before the engine moves on).
    const records: StoreRecord[] = [];
    for (const entry of entries) {
      // A resumed run goes again through what the history already holds (a new execution has nothing to skip).
      const signature = execution.replayed.size === 0 ? undefined : entrySignature(entry);
      const pending = signature === undefined ? 0 : (execution.replayed.get(signature) ?? 0);
      if (pending > 0) {
        execution.replayed.set(signature!, pending - 1);
      } else {
        records.push(eventRecord(execution, entry));
      }
    }
    if (records.length === 0) return;
    if (event.type === "StateEntered") execution.record.path.push(event.state.name);
    const outcome = executionOutcome(event);
    if (outcome) Object.assign(execution.record, outcome);
    const end = outcome && endRecord(execution);
    if (end) records.push(end);
    this.#store.append(...records);
    if (outcome) {
      // Tokens of tasks the engine abandoned (e.g. a sibling branch of a failed Parallel).
      this.#tokens.broker.cancelExecution(execution.record.executionArn, () => new ExecutionStoppedError());
    }
    this.#notify({ kind: "execution", executionArn: execution.record.executionArn });
  }

  #find(arn: string): StoredExecution {
    assertStatesArn(arn, "execution");
    const execution = this.#executions.get(arn);
    if (!execution) throw new ExecutionDoesNotExistError(`Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  #notify(change: StepFunctionsChange): void {
    for (const listener of this.#listeners) queueMicrotask(() => listener(change));
  }
}
