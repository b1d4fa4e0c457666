/**
 * An append-only JSON Lines file for local state that must survive a restart (the SES and SNS
 * outboxes, SNS endpoints, Step Functions executions). Each record is one `write(2)` that has
 * returned before the caller goes on, so a crash or `kill -9` of the process never loses a record
 * already acknowledged (no `fsync`: a power cut may). A record torn by a kill mid-write is skipped.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export class JsonLinesLog<T> {
  /** @param file where records go; without it, nothing is written and {@link read} is empty. */
  constructor(readonly file?: string) {
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    // A kill during a write leaves a last line without its newline: end it, so that the next
    // record starts a line of its own and only the torn one is skipped.
    if (existsSync(file)) {
      const text = readFileSync(file, "utf8");
      if (text.length > 0 && !text.endsWith("\n")) appendFileSync(file, "\n");
    }
  }

  append(record: T): void {
    if (this.file) appendFileSync(this.file, `${JSON.stringify(record)}\n`);
  }

  /** Every record written so far, oldest first. */
  read(): T[] {
    if (!this.file || !existsSync(this.file)) return [];
    const records: T[] = [];
    for (const line of readFileSync(this.file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      try {
        records.push(JSON.parse(line) as T);
      } catch {
        // torn by a hard kill: it was never acknowledged
      }
    }
    return records;
  }

  /** Forgets every record. */
  clear(): void {
    if (this.file) writeFileSync(this.file, "");
  }
}
