/**
 * What the esbuild caches under `node_modules/.cache/` share (function bundles, the DynamoDB
 * worker, the processes `local/process-bundle.ts` bundles, the stacks test's handlers): a build is reused while every file it read is unchanged, by size and modification time,
 * and its files are written aside and renamed, because another process may be loading them.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { threadId } from "node:worker_threads";
import type { BuildOptions, Metafile } from "esbuild";

/** `size:mtimeMs` of a file, or undefined when it is gone. */
function fingerprint(file: string): string | undefined {
  try {
    const stat = statSync(file);
    return `${stat.size}:${stat.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** The fingerprint of every input of an esbuild metafile (project-relative paths). */
function fingerprintInputs(rootDir: string, inputs: Iterable<string>): Record<string, string> {
  const prints: Record<string, string> = {};
  for (const input of inputs) {
    const print = fingerprint(join(rootDir, input));
    if (print) prints[input] = print;
  }
  return prints;
}

/** Whether every recorded input still has the fingerprint it was built with. */
function inputsUnchanged(rootDir: string, prints: Readonly<Record<string, string>>): boolean {
  return Object.entries(prints).every(([file, print]) => fingerprint(join(rootDir, file)) === print);
}

/** A JSON manifest, or undefined when it is missing or unreadable (then the build runs again). */
function readManifest<T>(file: string): T | undefined {
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

/** What a cached build records: each entry's built file (relative to the cache folder) and its inputs' fingerprints. */
interface BuildManifest {
  /** Built file (relative to the cache folder) per entry (project-relative). */
  readonly outputs: Record<string, string>;
  /** Every input file (project-relative) with `size:mtimeMs` when it was built. */
  readonly inputs: Record<string, string>;
}

/** A usable build: where its manifest is, and each entry's built file (absolute). */
export interface CachedBuild {
  readonly manifestFile: string;
  readonly outputs: Map<string, string>;
}

/** The built file of `entry` (project-relative) recorded in `manifestFile`, if the manifest and the file are there. */
export function builtFile(manifestFile: string, entry: string): string | undefined {
  const output = readManifest<BuildManifest>(manifestFile)?.outputs[entry];
  const file = output === undefined ? undefined : join(dirname(manifestFile), output);
  return file && existsSync(file) ? file : undefined;
}

/**
 * Reuses the build of `entries` (project-relative) recorded under
 * `<rootDir>/node_modules/.cache/<cacheName>/` while each entry's file exists and every input is
 * unchanged; otherwise runs `build` into a folder of its own (a process still running an older build
 * keeps its files), records it, and removes that key's builds older than an hour. The key is the
 * checkout (bundles hold its absolute paths), the entries and `keyParts`: give there anything else
 * that changes the output (the build options, the esbuild version).
 */
export async function buildOrReuse(
  rootDir: string,
  cacheName: string,
  keyParts: readonly unknown[],
  entries: readonly string[],
  build: (outdir: string) => Promise<Metafile>,
): Promise<CachedBuild> {
  const cacheRoot = join(rootDir, "node_modules", ".cache", cacheName);
  const key = createHash("sha256").update(JSON.stringify([rootDir, entries, ...keyParts])).digest("hex").slice(0, 16);
  const manifestFile = join(cacheRoot, `${key}.json`);
  const built = (outputs: Record<string, string>) => ({ manifestFile, outputs: new Map(entries.map((entry) => [entry, join(cacheRoot, outputs[entry]!)])) });
  const cached = readManifest<BuildManifest>(manifestFile);
  if (cached && entries.every((entry) => cached.outputs[entry] !== undefined && existsSync(join(cacheRoot, cached.outputs[entry]!))) && inputsUnchanged(rootDir, cached.inputs)) {
    return built(cached.outputs);
  }
  const folder = `${key}-${randomUUID().slice(0, 8)}`;
  const outdir = join(cacheRoot, folder);
  mkdirSync(outdir, { recursive: true });
  const metafile = await build(outdir);
  const outputs: Record<string, string> = {};
  for (const [output, meta] of Object.entries(metafile.outputs)) {
    if (meta.entryPoint) outputs[relative(rootDir, resolve(rootDir, meta.entryPoint))] = relative(cacheRoot, resolve(rootDir, output));
  }
  writeAtomically(manifestFile, JSON.stringify({ outputs, inputs: fingerprintInputs(rootDir, Object.keys(metafile.inputs)) } satisfies BuildManifest));
  for (const name of readdirSync(cacheRoot)) {
    if (name.startsWith(`${key}-`) && name !== folder && Date.now() - statSync(join(cacheRoot, name)).mtimeMs > 3_600_000) {
      rmSync(join(cacheRoot, name), { recursive: true, force: true });
    }
  }
  return built(outputs);
}

/**
 * {@link buildOrReuse} with the esbuild build every cache here makes: `entries` (project-relative)
 * bundled from `rootDir` with `options`, which are part of the key; `keyParts` adds what else
 * changes the output (a plugin's version, say: a plugin's code is not in the key).
 */
export function bundleOrReuse(rootDir: string, cacheName: string, entries: readonly string[], options: BuildOptions, keyParts: readonly unknown[] = []): Promise<CachedBuild> {
  return buildOrReuse(rootDir, cacheName, [options, ...keyParts], entries, async (outdir) => {
    // Loaded only to build: a process that reuses a build never loads esbuild.
    const { build } = await import("esbuild");
    const result = await build({ entryPoints: entries.map((entry) => join(rootDir, entry)), absWorkingDir: rootDir, outbase: rootDir, outdir, ...options, metafile: true, logLevel: "silent" });
    return result.metafile;
  });
}
