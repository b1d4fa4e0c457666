/**
 * The in-memory Step Functions service behind the HTTP API: registered state machines, executions
 * (run by aws-local-stepfunctions) with their history, and the task-token broker. Nothing is
 * persisted: executions live as long as the engine.
 */
import { randomUUID } from "node:crypto";
import { assertStatesArn, assertValidName, executionArn, type AwsScope } from "./arn.ts";
import type { TimeScales } from "./definition.ts";
import {
  ExecutionAlreadyExistsError,
  ExecutionDoesNotExistError,
  ExecutionStoppedError,
  InvalidExecutionInputError,
  StateMachineAlreadyExistsError,
  StateMachineDoesNotExistError,
} from "./errors.ts";
import {
  abortedEntry,
  executionOutcome,
  historyEntry,
  type EngineEvent,
  type ExecutionStatus,
  type HistoryEntry,
  type HistoryEvent,
} from "./history.ts";
import { parseJson } from "./json.ts";
import { registerStateMachine, type RegisteredStateMachine, type StateMachineDeclaration } from "./machines.ts";
import { createLocalHandlers, type InvokeLambda } from "./tasks.ts";
import { TaskTokenBroker, type PendingTaskToken } from "./tokens.ts";

/** An execution as recorded locally. */
export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: unknown;
  /** Set once the execution succeeded. */
  output?: unknown;
  /** Set once the execution failed, timed out, or was stopped with an error. */
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
  /** Names of the states entered, in order; Parallel branch states interleave as they ran. */
  path: string[];
}

/** Tells `onChange` listeners what changed: an execution's record, or its open task tokens. */
export interface StepFunctionsChange {
  kind: "execution" | "taskToken";
  executionArn: string;
}

/** What {@link StepFunctionsEngine} is built from. */
export interface EngineOptions {
  readonly stateMachines: readonly StateMachineDeclaration[];
  readonly invokeLambda: InvokeLambda;
  readonly scope: AwsScope;
  readonly scales: TimeScales;
}

interface StoredExecution {
  readonly record: ExecutionRecord;
  /** The input exactly as sent: AWS compares it verbatim for name idempotency and echoes it back. */
  readonly inputText: string;
  readonly machine: RegisteredStateMachine;
  readonly history: HistoryEvent[];
  /** Aborts the engine run and every pending local handler. */
  readonly abort: () => void;
}

const SHUTDOWN_CAUSE = "The local Step Functions endpoint was closed";

/** The Step Functions service semantics, independent of the HTTP transport. */
export class StepFunctionsEngine {
  readonly #options: EngineOptions;
  readonly #machines = new Map<string, RegisteredStateMachine>();
  // Insertion order is start order, which ListExecutions reverses.
  readonly #executions = new Map<string, StoredExecution>();
  readonly #listeners = new Set<(change: StepFunctionsChange) => void>();
  readonly #broker = new TaskTokenBroker((executionArn) => this.#notify({ kind: "taskToken", executionArn }));
  // Unguessable, so no input text can be mistaken for it (see TaskContext.tokenPlaceholder).
  readonly #tokenPlaceholder = `paybus-local-task-token-${randomUUID()}`;

  /** Registers every state machine; throws on the first invalid or duplicate declaration. */
  constructor(options: EngineOptions) {
    this.#options = options;
    for (const declaration of options.stateMachines) {
      const machine = registerStateMachine(declaration, options.scope, options.scales);
      if (this.#machines.has(machine.arn)) {
        throw new StateMachineAlreadyExistsError(`State machine '${machine.name}' is declared twice`);
      }
      this.#machines.set(machine.arn, machine);
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
    return structuredClone(this.#launch(machine, arn, name, inputText, input).record);
  }

  /** A copy of the execution's record with its input text; `ExecutionDoesNotExist` if unknown. */
  describeExecution(arn: string): { record: ExecutionRecord; inputText: string } {
    const execution = this.#find(arn);
    return { record: structuredClone(execution.record), inputText: execution.inputText };
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
    const records = [...this.#executions.values()].map((execution) => execution.record);
    return records.filter((record) => status === undefined || record.status === status).map((record) => structuredClone(record));
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
      this.#append(execution, abortedEntry(stopDate, error, cause));
      execution.abort();
      this.#broker.cancelExecution(arn, new ExecutionStoppedError());
      this.#notify({ kind: "execution", executionArn: arn });
    }
    return execution.record.stopDate!;
  }

  /** Completes a callback task with `output` (parsed JSON). */
  sendTaskSuccess(token: string, output: unknown): void {
    this.#broker.succeed(token, output);
  }

  /** Fails a callback task; `error` is the name its `Retry`/`Catch` see. */
  sendTaskFailure(token: string, error = "", cause = ""): void {
    this.#broker.fail(token, error, cause);
  }

  /** Restarts a callback task's `HeartbeatSeconds` timer. */
  sendTaskHeartbeat(token: string): void {
    this.#broker.heartbeat(token);
  }

  /** Callback tasks awaiting their token, oldest first. */
  pendingTaskTokens(): PendingTaskToken[] {
    return this.#broker.pending();
  }

  /**
   * Calls `listener` after every change (asynchronously, so a throwing listener cannot corrupt an
   * execution). Returns the function that unsubscribes it.
   */
  onChange(listener: (change: StepFunctionsChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops every running execution and forgets listeners; records stay readable. */
  shutdown(): void {
    for (const execution of this.#executions.values()) {
      if (execution.record.status === "RUNNING") this.stopExecution(execution.record.executionArn, undefined, SHUTDOWN_CAUSE);
    }
    this.#listeners.clear();
  }

  #launch(machine: RegisteredStateMachine, arn: string, name: string, inputText: string, input: unknown): StoredExecution {
    const controller = new AbortController();
    const handlers = createLocalHandlers(machine.plan, {
      executionArn: arn,
      signal: controller.signal,
      broker: this.#broker,
      invokeLambda: this.#options.invokeLambda,
      timeScale: this.#options.scales.timeScale,
      tokenPlaceholder: this.#tokenPlaceholder,
    });
    const startDate = new Date();
    const run = machine.engine.run(input as Parameters<typeof machine.engine.run>[0], {
      noThrowOnAbort: true,
      context: {
        Execution: { Id: arn, Name: name, RoleArn: machine.roleArn },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: { Token: this.#tokenPlaceholder },
      },
      overrides: { taskResourceLocalHandlers: handlers },
    });
    // Status and output are read from the event log, so that they never disagree with the
    // history; the result promise only needs a handler because it rejects on failure.
    run.result.catch(() => undefined);
    const execution: StoredExecution = {
      record: { executionArn: arn, stateMachineArn: machine.arn, name, status: "RUNNING", input, startDate, path: [] },
      inputText,
      machine,
      history: [],
      abort: () => {
        controller.abort();
        run.abort();
      },
    };
    this.#executions.set(arn, execution);
    void this.#follow(execution, run.eventLogs);
    this.#notify({ kind: "execution", executionArn: arn });
    return execution;
  }

  async #follow(execution: StoredExecution, events: AsyncIterable<EngineEvent>): Promise<void> {
    for await (const event of events) this.#record(execution, event);
  }

  #record(execution: StoredExecution, event: EngineEvent): void {
    // After StopExecution the engine still unwinds; none of that is part of the history on AWS.
    if (execution.record.status !== "RUNNING") return;
    const entry = historyEntry(event, execution.machine.states);
    // Engine bookkeeping without an AWS counterpart changes nothing visible.
    if (!entry) return;
    this.#append(execution, entry);
    if (event.type === "StateEntered") execution.record.path.push(event.state.name);
    const outcome = executionOutcome(event);
    if (outcome) {
      Object.assign(execution.record, outcome);
      // Tokens of tasks the engine abandoned (e.g. a sibling branch of a failed Parallel).
      this.#broker.cancelExecution(execution.record.executionArn, new ExecutionStoppedError());
    }
    this.#notify({ kind: "execution", executionArn: execution.record.executionArn });
  }

  #append(execution: StoredExecution, entry: HistoryEntry): void {
    const id = execution.history.length + 1;
    execution.history.push({ ...entry, id, previousEventId: id - 1 } as HistoryEvent);
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

function assertIdempotentStart(existing: StoredExecution, inputText: string): void {
  if (existing.record.status !== "RUNNING" || existing.inputText !== inputText) {
    throw new ExecutionAlreadyExistsError(`Execution Already Exists: '${existing.record.executionArn}'`);
  }
}
