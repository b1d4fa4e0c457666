/**
 * The bus archive: every accepted event, appended to a JSON Lines file before PutEvents answers, so
 * it survives a hard kill of the runtime and can be replayed.
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
  readonly #lines: LineFile;

  constructor(readonly file: string) {
    this.#lines = new LineFile(file);
  }

  append(eventJson: string): void {
    const line = JSON.stringify({ archivedAt: new Date().toISOString(), event: eventJson } satisfies ArchivedEvent);
    this.#lines.append(`${line}\n`);
  }

  /** Closes the file (a later append opens it again). */
  close(): void {
    this.#lines.close();
  }

  /** Archived events matching the filter, oldest first. A torn last line (hard kill) is skipped. */
  read(filter: ReplayFilter = {}): ArchivedEvent[] {
    if (!existsSync(this.file)) return [];
    const ids = filter.stripeEventIds ? new Set(filter.stripeEventIds) : undefined;
    const out: ArchivedEvent[] = [];
    for (const line of readFileSync(this.file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      let archived: ArchivedEvent;
      let envelope: { time?: string; detail?: { id?: string } };
      try {
        archived = JSON.parse(line) as ArchivedEvent;
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
}
