/**
 * Reading the store back: how each record rebuilds an execution (record, history, task log) and
 * the index of task tokens, and how a resumed run recognises history events already recorded.
 */
import type { ExecutionRecord } from "./stored-execution.ts";
import type { HistoryChain, HistoryEntry, HistoryEvent } from "./history.ts";
import type { ExecutionLog } from "./replay.ts";
import type { Occurrence, StoreRecord } from "./store.ts";

/** Where a task token leads: its execution and task occurrence. */
export interface TokenOwner {
  readonly executionArn: string;
  readonly occ: Occurrence;
  closed: boolean;
}

/** What of an execution a record can rebuild. */
export interface RestorableExecution {
  readonly record: ExecutionRecord;
  readonly history: HistoryEvent[];
  readonly log: ExecutionLog;
  readonly chain: HistoryChain;
}

/** Applies one record (other than `start`) to its execution, and task tokens to `tokens`. */
export function restoreRecord(execution: RestorableExecution, entry: Exclude<StoreRecord, { t: "start" }>, tokens: Map<string, TokenOwner>): void {
  switch (entry.t) {
    case "event": {
      const event = { ...entry.event, timestamp: new Date(entry.event.timestamp) } as HistoryEvent;
      execution.history.push(event);
      execution.chain.remember(entry.link ?? { thread: "" }, event.id);
      const entered = (event as { stateEnteredEventDetails?: { name: string } }).stateEnteredEventDetails;
      if (event.type.endsWith("StateEntered") && entered) execution.record.path.push(entered.name);
      break;
    }
    case "end": {
      const { t: _t, arn: _arn, stopDate, ...outcome } = entry;
      Object.assign(execution.record, outcome, { stopDate: new Date(stopDate) });
      break;
    }
    case "outcome":
      execution.log.restoreOutcome(entry.occ, entry.outcome);
      break;
    case "wait":
      execution.log.restoreWait(entry.occ, entry.until);
      break;
    case "token": {
      const { t: _t, arn: _arn, occ, ...token } = entry;
      execution.log.restoreToken(occ, token);
      tokens.set(token.token, { executionArn: entry.arn, occ, closed: false });
      break;
    }
    case "invoked":
      execution.log.restoreInvoked(entry.occ);
      break;
    case "started": {
      const { at, timeoutMs } = entry;
      execution.log.restoreStarted(entry.occ, { at, ...(timeoutMs !== undefined && { timeoutMs }) });
      break;
    }
    case "tokenClosed": {
      const owner = tokens.get(entry.token);
      if (owner) owner.closed = true;
      break;
    }
  }
}

/** What identifies a history entry across runs: everything but its timestamp and numbering. */
export function entrySignature(entry: HistoryEntry | HistoryEvent): string {
  const { timestamp: _timestamp, id: _id, previousEventId: _previous, ...rest } = entry as HistoryEvent;
  return JSON.stringify(rest);
}

/** The signatures of a recorded history with their counts: what a resumed run will emit again. */
export function replaySignatures(history: readonly HistoryEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of history) {
    const signature = entrySignature(event);
    counts.set(signature, (counts.get(signature) ?? 0) + 1);
  }
  return counts;
}
