/**
 * What the esbuild caches under `node_modules/.cache/` share (function bundles, the DynamoDB
 * worker): a build is reused while every file it read is unchanged, by size and modification time,
 * and its files are written aside and renamed, because another process may be loading them.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { threadId } from "node:worker_threads";

/** `size:mtimeMs` of a file, or undefined when it is gone. */
export function fingerprint(file: string): string | undefined {
  try {
    const stat = statSync(file);
    return `${stat.size}:${stat.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** The fingerprint of every input of an esbuild metafile (project-relative paths). */
export function fingerprintInputs(rootDir: string, inputs: Iterable<string>): Record<string, string> {
  const prints: Record<string, string> = {};
  for (const input of inputs) {
    const print = fingerprint(join(rootDir, input));
    if (print) prints[input] = print;
  }
  return prints;
}

/** Whether every recorded input still has the fingerprint it was built with. */
export function inputsUnchanged(rootDir: string, prints: Readonly<Record<string, string>>): boolean {
  return Object.entries(prints).every(([file, print]) => fingerprint(join(rootDir, file)) === print);
}

/** A JSON manifest, or undefined when it is missing or unreadable (then the build runs again). */
export function readManifest<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** Writes to a temporary name and renames, so that a reader never sees half a file. */
export function writeAtomically(file: string, contents: string | Uint8Array): void {
  const temporary = `${file}.${process.pid}.${threadId}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}
