/**
 * An append-only JSON Lines file for local state that must survive a restart (the SES and SNS
 * outboxes, SNS endpoints, Step Functions executions). Each record is one `write(2)` that has
 * returned before the caller goes on, so a crash or `kill -9` of the process never loses a record
 * already acknowledged (no `fsync`: a power cut may). The write goes to a descriptor opened for
 * appending and kept open: opening and closing the file for every record cost the runtime's main
 * thread twice the write itself. A record torn by a kill mid-write is skipped;
 * the torn line is ended (when the file is opened again, or before the next append after a write
 * that failed part-way), so the record written after it starts a line of its own and is kept.
 * The bus archive and the local Stripe state append through {@link LineFile} too.
 */
import fs, { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Ends a last line that a kill cut in the middle of its write (no newline after it), so that the
 * next record appended starts a line of its own. Without this, the first record written after a
 * restart would join the torn fragment, and readers, skipping the line they cannot parse, would
 * drop that complete, acknowledged record. Call it once when a process opens an append-only file.
 */
export function endTornLine(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  let torn = false;
  try {
    const { size } = fstatSync(fd);
    const last = Buffer.alloc(1);
    torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
  if (torn) appendFileSync(file, "\n");
}

/** Closes the descriptor of a {@link LineFile} nobody closed once it is garbage (a test's, typically). */
const unclosed = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
});

/**
 * Appends whole lines to one file (created with its directory), one `write(2)` each on a
 * descriptor opened at the first append (`O_APPEND`: every write lands at the end, whoever else
 * appends, and a truncation by {@link JsonLinesLog.clear} is followed). A last line torn by a kill
 * is ended when the file is opened; one torn by a write that failed part-way (a full disk) is
 * ended before the next line goes in, or that append fails too.
 */
export class LineFile {
  #torn = false;
  #fd: number | undefined;

  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    endTornLine(file);
  }

  /** Appends `line` (which ends with a newline); throws if it could not be written whole. */
  append(line: string): void {
    if (this.#torn) {
      endTornLine(this.file);
      this.#torn = false;
    }
    try {
      const fd = this.#fd ?? this.#open();
      const data = Buffer.from(line, "utf8");
      // A regular file takes a small write whole; a short one (a full disk) goes on where it stopped, as appendFileSync did.
      let written = 0;
      while (written < data.length) written += fs.writeSync(fd, data, written, data.length - written);
    } catch (error) {
      this.#torn = true;
      throw error;
    }
  }

  /** Closes the file (the next append opens it again). */
  close(): void {
    if (this.#fd === undefined) return;
    unclosed.unregister(this);
    const fd = this.#fd;
    this.#fd = undefined;
    closeSync(fd);
  }

  #open(): number {
    const fd = openSync(this.file, "a");
    this.#fd = fd;
    unclosed.register(this, fd, this);
    return fd;
  }
}

export class JsonLinesLog<T> {
  readonly #lines: LineFile | undefined;

  /** @param file where records go; without it, nothing is written and {@link read} is empty. */
  constructor(readonly file?: string) {
    this.#lines = file ? new LineFile(file) : undefined;
  }

  /**
   * Appends `records` in order. Several go in one write: a kill may tear it, which drops the
   * records from the torn one on, as separate writes cut by the same kill would.
   */
  append(...records: T[]): void {
    if (!this.#lines || records.length === 0) return;
    this.#lines.append(records.length === 1 ? `${JSON.stringify(records[0])}\n` : records.map((record) => `${JSON.stringify(record)}\n`).join(""));
  }

  /** Closes the file (a later append opens it again). */
  close(): void {
    this.#lines?.close();
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
