/**
 * Writing a file that another process or thread may be reading at the same moment (the build
 * caches, the function scripts' code caches).
 */
import { renameSync, writeFileSync } from "node:fs";
import { threadId } from "node:worker_threads";

/** Writes to a temporary name and renames, so that a reader never sees half a file. */
export function writeAtomically(file: string, contents: string | Uint8Array): void {
  const temporary = `${file}.${process.pid}.${threadId}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}
