/**
 * The bus archive: every accepted event, appended to a JSON Lines file before PutEvents answers, so
 * it survives a hard kill of the runtime and can be replayed. A backtest's runtimes keep it in memory
 * instead (see {@link Archive.inMemory}): they replay nothing of an earlier run and throw it away.
 */
import { existsSync, readFileSync } from "node:fs";
import { LineFile } from "./jsonl-log.ts";

export interface ArchivedEvent {
  /** When the bus accepted the event (ISO 8601). */
  readonly archivedAt: string;
  /** The envelope exactly as targets received it, as JSON text (number literals intact). */
  readonly event: string;
}

export interface ReplayFilter {
  /** Inclusive lower bound on the event's `time`. */
  readonly start?: Date | undefined;
  /** Exclusive upper bound on the event's `time`. */
  readonly end?: Date | undefined;
  /** Only these Stripe event ids (`detail.id`). */
  readonly stripeEventIds?: readonly string[] | undefined;
}

export class Archive {
  // Ends a torn last line first: the first event accepted after a hard kill must not join it.
  readonly #lines: LineFile | undefined;
  /** The archived events, when kept in memory (no file). */
  readonly #kept: ArchivedEvent[] | undefined;

  /** An archive appending to `file`; without one, kept in this process's memory ({@link Archive.inMemory}). */
  constructor(readonly file?: string) {
    if (file === undefined) this.#kept = [];
    else this.#lines = new LineFile(file);
  }

  /**
   * An archive kept in this process's memory, read and replayed like a file's (for the process's
   * life): for runtimes that throw their archive away, where each accepted event's JSON line and
   * its `write(2)` on the main thread buy nothing.
   */
  static inMemory(): Archive {
    return new Archive();
  }

  append(eventJson: string): void {
    const archived: ArchivedEvent = { archivedAt: new Date().toISOString(), event: eventJson };
    if (this.#kept) this.#kept.push(archived);
    else this.#lines!.append(`${JSON.stringify(archived)}\n`);
  }

  /** Closes the file (a later append opens it again). */
  close(): void {
    this.#lines?.close();
  }

  /** Archived events matching the filter, oldest first. A torn last line (hard kill) is skipped. */
  read(filter: ReplayFilter = {}): ArchivedEvent[] {
    const ids = filter.stripeEventIds ? new Set(filter.stripeEventIds) : undefined;
    const out: ArchivedEvent[] = [];
    for (const archived of this.#kept ?? this.#readFile()) {
      let envelope: { time?: string; detail?: { id?: string } };
      try {
        envelope = JSON.parse(archived.event);
      } catch {
        continue;
      }
      const time = envelope.time ? new Date(envelope.time) : undefined;
      if (filter.start && (!time || time < filter.start)) continue;
      if (filter.end && (!time || time >= filter.end)) continue;
      if (ids && !ids.has(envelope.detail?.id ?? "")) continue;
      out.push(archived);
    }
    return out;
  }

  /** The file's lines that parse, in order. */
  *#readFile(): Iterable<ArchivedEvent> {
    if (this.file === undefined || !existsSync(this.file)) return;
    for (const line of readFileSync(this.file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      try {
        yield JSON.parse(line) as ArchivedEvent;
      } catch {
        continue;
      }
    }
  }
}
