/**
 * One execution as the engine keeps it: its record (what `DescribeExecution` answers), the input
 * text, the history with its event links, the task log, and how each of them reaches the store.
 */
import { ExecutionAlreadyExistsError } from "./errors.ts";
import { CHAIN, HistoryChain, type ExecutionStatus, type HistoryEntry, type HistoryEvent } from "./history.ts";
import type { RegisteredStateMachine } from "./machines.ts";
import { ExecutionLog } from "./replay.ts";
import type { ExecutionStore, StoreRecord } from "./store.ts";

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

/** An execution with what the engine needs to run, describe and record it. */
export interface StoredExecution {
  readonly record: ExecutionRecord;
  /** The input exactly as sent: AWS compares it verbatim for name idempotency and echoes it back. */
  readonly inputText: string;
  readonly machine: RegisteredStateMachine;
  readonly history: HistoryEvent[];
  readonly log: ExecutionLog;
  readonly chain: HistoryChain;
  /**
   * History events a resumed run will emit again, by signature, with their count: those are
   * already in `history` and are not appended twice.
   */
  replayed: Map<string, number>;
  /** Aborts the engine run and every pending local handler. */
  abort: () => void;
}

/** A new running execution (nothing recorded yet: the caller appends its `start`). */
export function createExecution(
  store: ExecutionStore,
  machine: RegisteredStateMachine,
  start: { readonly arn: string; readonly name: string; readonly inputText: string; readonly input: unknown; readonly startDate: Date },
): StoredExecution {
  const { arn, name, inputText, input, startDate } = start;
  return {
    record: { executionArn: arn, stateMachineArn: machine.arn, name, status: "RUNNING", input, startDate, path: [] },
    inputText,
    machine,
    history: [],
    log: new ExecutionLog(arn, store),
    chain: new HistoryChain(),
    replayed: new Map(),
    abort: () => undefined,
  };
}

/** Numbers a history entry, links it to the event that led to it, and records it. */
export function appendEvent(store: ExecutionStore, execution: StoredExecution, entry: HistoryEntry): void {
  store.append(eventRecord(execution, entry));
}

/** Numbers a history entry, links it to the event that led to it, and returns its store record (for the caller to append). */
export function eventRecord(execution: StoredExecution, entry: HistoryEntry): StoreRecord {
  const id = execution.history.length + 1;
  const link = entry[CHAIN];
  const event = { ...entry, id, previousEventId: execution.chain.link(entry, id) } as HistoryEvent;
  execution.history.push(event);
  return {
    t: "event",
    arn: execution.record.executionArn,
    event: { ...event, timestamp: event.timestamp.toISOString() },
    ...(link && { link }),
  };
}

/** Records how a closed execution ended; nothing while it runs. */
export function recordEnd(store: ExecutionStore, execution: StoredExecution): void {
  const record = endRecord(execution);
  if (record) store.append(record);
}

/** The store record of how a closed execution ended; undefined while it runs. */
export function endRecord(execution: StoredExecution): StoreRecord | undefined {
  const { record } = execution;
  if (record.status === "RUNNING") return undefined;
  return {
    t: "end",
    arn: record.executionArn,
    status: record.status,
    stopDate: record.stopDate!.toISOString(),
    ...(record.output !== undefined && { output: record.output }),
    ...(record.error !== undefined && { error: record.error }),
    ...(record.cause !== undefined && { cause: record.cause }),
  };
}

/** AWS's name idempotency (Standard): only a running execution with the very same input may be started again. */
export function assertIdempotentStart(existing: StoredExecution, inputText: string): void {
  if (existing.record.status !== "RUNNING" || existing.inputText !== inputText) {
    throw new ExecutionAlreadyExistsError(`Execution Already Exists: '${existing.record.executionArn}'`);
  }
}
