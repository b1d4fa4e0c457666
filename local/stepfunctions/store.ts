/**
 * The durable record of the local Step Functions service: one append-only JSON Lines file per data
 * directory. Every fact an execution depends on is appended (a `write(2)` that has returned before
 * the API answers or the engine moves on), so the process can be killed at any instant and the
 * next start rebuilds executions, their history and task tokens, and resumes the running ones by
 * replaying the recorded task outcomes (see `engine.ts`).
 *
 * Written with one `write(2)` per record and no `fsync`: it survives a crash or `kill -9` of the process
 * (the kernel holds the written pages), not a power cut, like the bus archive.
 */
import { JsonLinesLog } from "../jsonl-log.ts";
import type { ChainLink, ExecutionStatus } from "./history.ts";

/** A task occurrence: a state's `n`-th run with one input in one execution (see `occurrenceKey`). */
export type Occurrence = string;

/** The settled result of a Task (or rewritten Wait) state occurrence. */
export type TaskOutcome = { ok: true; output: unknown } | { ok: false; error: string; cause: string };

/** One line of the store. `arn` is always the execution ARN. */
export type StoreRecord =
  | { t: "start"; arn: string; machineArn: string; name: string; inputText: string; startDate: string }
  /** A history event as `GetExecutionHistory` shows it (timestamp as ISO text). */
  | { t: "event"; arn: string; event: Record<string, unknown> & { id: number; timestamp: string; type: string }; link?: ChainLink }
  | { t: "end"; arn: string; status: Exclude<ExecutionStatus, "RUNNING">; stopDate: string; output?: unknown; error?: string; cause?: string }
  | { t: "outcome"; arn: string; occ: Occurrence; outcome: TaskOutcome }
  /** A Wait occurrence started: it ends at `until` (epoch ms, already time-scaled). */
  | { t: "wait"; arn: string; occ: Occurrence; until: number }
  /** A callback task issued `token`; `deadline` (epoch ms) is when its scaled `TimeoutSeconds` runs out. */
  | { t: "token"; arn: string; occ: Occurrence; token: string; stateName: string; input: unknown; heartbeatMs?: number; deadline?: number }
  /**
   * A Lambda task (`lambda:invoke` or a function ARN) is about to invoke its function at `at` (epoch
   * ms), which cannot run past `timeoutMs` (the function's timeout). After a kill, an occurrence
   * with this record and no `outcome` is run again no earlier than `at + timeoutMs`.
   */
  | { t: "started"; arn: string; occ: Occurrence; at: number; timeoutMs?: number }
  /** The Lambda function of a `lambda:invoke.waitForTaskToken` task was invoked successfully. */
  | { t: "invoked"; arn: string; occ: Occurrence }
  /** The token can no longer be used (its task ended): later calls answer `TaskTimedOut`. */
  | { t: "tokenClosed"; arn: string; token: string };

/** Where records go: a file, or nowhere (in-memory service). */
export interface ExecutionStore {
  /** Appends `records` in order, in one write when there are several (what one engine event records). */
  append(...records: StoreRecord[]): void;
  /** Every record written so far, oldest first (a torn last line is skipped). */
  load(): StoreRecord[];
  /** Releases the file, if any (a later append opens it again). */
  close?(): void;
}

/** A store that keeps nothing: executions live as long as the process. */
export const memoryStore: ExecutionStore = { append: () => undefined, load: () => [] };

/** The JSON Lines store in `file` (created with its directory when missing). */
export function fileStore(file: string): ExecutionStore {
  const log = new JsonLinesLog<StoreRecord>(file);
  return { append: (...records) => log.append(...records), load: () => log.read(), close: () => log.close() };
}
