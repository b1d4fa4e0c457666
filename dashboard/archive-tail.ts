/**
 * Follows the bus archive (JSON Lines, appended before PutEvents answers) to learn the envelope of
 * each event the bus accepts, reading only what was appended since the last look.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import type { ArchivedEvent } from "../local/archive.ts";

export class ArchiveTail {
  private offset: number;
  /** Bytes of a line whose end has not been written yet. */
  private pending = Buffer.alloc(0);

  /** Starts at the end of the file: what earlier runs archived is not this session's stream. */
  constructor(private readonly file: string) {
    this.offset = existsSync(file) ? statSync(file).size : 0;
  }

  /** Envelope id -> envelope, for every complete line appended since the last call. */
  read(): Map<string, unknown> {
    const out = new Map<string, unknown>();
    if (!existsSync(this.file)) return out;
    const size = statSync(this.file).size;
    if (size <= this.offset) return out;
    const chunk = Buffer.alloc(size - this.offset);
    const fd = openSync(this.file, "r");
    try {
      readSync(fd, chunk, 0, chunk.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const data = Buffer.concat([this.pending, chunk]);
    const end = data.lastIndexOf(0x0a);
    this.pending = data.subarray(end + 1);
    for (const line of data.subarray(0, end + 1).toString("utf8").split("\n")) {
      if (!line.trim()) continue;
      try {
        const envelope = JSON.parse((JSON.parse(line) as ArchivedEvent).event) as { id?: unknown };
        if (typeof envelope.id === "string") out.set(envelope.id, envelope);
      } catch {
        // A line torn by a hard kill of an earlier run: nothing to show for it.
      }
    }
    return out;
  }
}
