/**
 * The local runtime's record of what happened to every event: accepted or rejected by the bus,
 * which rules matched, deliveries, consumer attempts, DLQ moves, and the effects (emails, pushes,
 * workflow executions). Reports, the CLI and the dashboard read it, through the one lifecycle
 * projection (`lifecycle.ts`); nothing is lost silently. It records the facts views need where the
 * runtime observes them — each accepted event's envelope (so the journal costs about one envelope,
 * 1–22 KB for the fixtures, per accepted event), each email's SES message id and tagged cause — so
 * that no reader re-reads the archive file or reconstructs a cause.
 */
import { EventEmitter } from "node:events";
import { JsonLinesLog } from "./jsonl-log.ts";

export type JournalEntry =
  | {
      kind: "bus.accepted";
      eventId: string;
      stripeEventId?: string | undefined;
      detailType: string;
      source: string;
      replayName?: string | undefined;
      matchedRules: string[];
      /** Set when the event went to another bus than paybus's (the default bus), where no paybus rule runs. */
      eventBus?: string | undefined;
      /**
       * The envelope as the bus routed it (JSON text, the same the archive keeps): views show it without
       * re-reading the archive file. Absent on the default bus, which builds no envelope here.
       */
      envelope?: string | undefined;
    }
  | { kind: "bus.rejected"; index: number; errorCode: string; errorMessage: string; source?: string | undefined; detailType?: string | undefined; detail?: string | undefined }
  | { kind: "target.delivered"; eventId: string; rule: string; target: string; attempt: number }
  | { kind: "target.failed"; eventId: string; rule: string; target: string; attempt: number; error: string }
  | { kind: "target.dlq"; eventId: string; rule: string; target: string; error: string }
  | {
      kind: "consumer.attempt";
      queue: string;
      messageId: string;
      eventId?: string | undefined;
      stripeEventId?: string | undefined;
      receiveCount: number;
      outcome: "succeeded" | "failed" | "timed-out" | "batch-failed";
      error?: string | undefined;
      /**
       * Where the time went (epoch ms and ms; benchmarks break the PutEvents→done latency into
       * parts with them): when SQS accepted the message (`SentTimestamp`), when the event source
       * mapping received its batch, the wait for an execution environment (cold start included),
       * and the invocation after it (the handler, its AWS calls, the hop to its worker thread).
       * The entry's `at` is when the attempt ended.
       */
      sentAt?: number | undefined;
      receivedAt?: number | undefined;
      environmentMs?: number | undefined;
      handlerMs?: number | undefined;
    }
  | { kind: "queue.dlq"; queue: string; messageId: string; eventId?: string | undefined; stripeEventId?: string | undefined; error?: string | undefined }
  | { kind: "queue.redrive"; queue: string; messageId: string }
  | { kind: "queue.discard"; queue: string; messageId: string }
  | {
      kind: "effect.email";
      to: string[];
      subject: string;
      /** The MessageId SES answered (absent only if its answer could not be read). */
      messageId?: string | undefined;
      /**
       * What caused the send, from the message tags the sender set (`paybus-stripe-event`,
       * `paybus-execution`; see `functions/common/send-tags.ts`): absent for untagged sends.
       */
      cause?: { stripeEventId?: string | undefined; executionName?: string | undefined } | undefined;
    }
  | {
      kind: "effect.push";
      targetArn: string;
      title?: string | undefined;
      status: "delivered" | "endpoint-disabled";
      /** SNS's MessageId of a delivered push (its cause is in the notifications table under this id). */
      messageId?: string | undefined;
    }
  | { kind: "workflow.started"; executionArn: string; stateMachine: string; name: string }
  | { kind: "workflow.finished"; executionArn: string; status: string }
  /** A request or background task failed inside the runtime (a bug): it failed alone, the runtime kept serving. */
  | { kind: "runtime.error"; where: string; error: string };

export type Recorded = JournalEntry & { seq: number; at: string };

/** The journal's file in a data directory. */
export const JOURNAL_FILE = "journal.jsonl";

/**
 * An append-only journal with a change feed: in memory, and in a JSON Lines file when the runtime
 * keeps its state in a data directory ({@link Journal.keepIn}), so that after a restart the views
 * still show what the queues, tables and outboxes kept (the dashboard's events and their causes,
 * `paybus status`'s counts).
 */
export class Journal {
  private readonly entries: Recorded[] = [];
  private readonly emitter = new EventEmitter();
  private seq = 0;
  private file: JsonLinesLog<Recorded> | undefined;
  private onWriteError: ((error: Error) => void) | undefined;

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  /**
   * Loads the entries an earlier runtime wrote to `file` (the numbering goes on from them) and
   * appends every new entry there, one `write(2)` each (`local/jsonl-log.ts`: a crash of the process
   * loses none, a line torn by a kill is skipped). A failed write (a full disk) keeps the entry in
   * memory and is reported through `onWriteError`, the first time: the journal records what
   * happened, the work itself does not depend on it. Call before anything is recorded.
   */
  keepIn(file: string, onWriteError: (error: Error) => void): void {
    if (this.entries.length > 0) throw new Error("the journal must be given its file before its first entry");
    this.file = new JsonLinesLog<Recorded>(file);
    this.onWriteError = onWriteError;
    for (const entry of this.file.read()) {
      this.entries.push(entry);
      this.seq = entry.seq;
    }
  }

  /** Closes the journal's file, if any (a later entry opens it again). */
  close(): void {
    this.file?.close();
  }

  record(entry: JournalEntry): Recorded {
    const recorded = { ...entry, seq: ++this.seq, at: new Date().toISOString() } as Recorded;
    this.entries.push(recorded);
    if (this.file) this.write(recorded);
    this.emitter.emit("entry", recorded);
    return recorded;
  }

  private write(recorded: Recorded): void {
    try {
      this.file!.append(recorded);
    } catch (error) {
      this.onWriteError?.(error as Error);
      this.onWriteError = undefined;
    }
  }

  /** Entries after `seq` (all when omitted), optionally of one kind. */
  list<K extends JournalEntry["kind"]>(kind?: K, afterSeq = 0): Array<Extract<Recorded, { kind: K }>> {
    return this.entries.filter(
      (entry) => entry.seq > afterSeq && (kind === undefined || entry.kind === kind),
    ) as Array<Extract<Recorded, { kind: K }>>;
  }

  /** Subscribe to new entries; returns the unsubscribe function. */
  onEntry(listener: (entry: Recorded) => void): () => void {
    this.emitter.on("entry", listener);
    return () => this.emitter.off("entry", listener);
  }

  get lastSeq(): number {
    return this.seq;
  }
}
