/**
 * Builds the functions as SST builds them for Lambda — one esbuild bundle per handler (ESM, node
 * platform, the AWS SDK included) — so that each local execution environment loads plain
 * JavaScript: a worker thread then starts in a fraction of the time a TypeScript loader per thread
 * takes. Bundles are cached under `node_modules/.cache/paybus-functions/` and rebuilt when any file
 * they were built from changes (size or modification time), so a second runtime, test file or
 * `paybus dev` restart reuses them.
 */
import { randomUUID, createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { build, type BuildOptions, type Plugin } from "esbuild";
import { fingerprintInputs, inputsUnchanged, readManifest, writeAtomically } from "./build-cache.ts";

/** The worker's own runtime (local/lambda-worker.ts), built with the handlers. */
export const WORKER_RUNTIME = "local/lambda-worker.ts";

/** What the functions' SDK clients get for `@smithy/node-http-handler` in these bundles (see {@link portHandler}). */
export const PORT_HANDLER = "local/lambda-port-handler.ts";

/**
 * Puts {@link PORT_HANDLER} in place of `@smithy/node-http-handler` for every importer but itself:
 * every SDK client's runtime config takes its `NodeHttpHandler` from there, so a function's calls to
 * the gateway go over its environment's message port (`local/lambda-transport.ts`) while the
 * clients, their middleware and the handlers' code stay exactly what SST deploys.
 */
function portHandler(rootDir: string): Plugin {
  const replacement = resolve(rootDir, PORT_HANDLER);
  return {
    name: "paybus-port-handler",
    setup(build) {
      build.onResolve({ filter: /^@smithy\/node-http-handler$/ }, (args) => (args.importer === replacement ? undefined : { path: replacement }));
    },
  };
}

interface Manifest {
  /** Built file (relative to the cache folder) per entry (relative to the project root). */
  readonly outputs: Record<string, string>;
  /** Every input file (project-relative) with `size:mtimeMs` when it was built. */
  readonly inputs: Record<string, string>;
}


/** Why the cached bundles cannot be used, or undefined when they can. */
function stale(rootDir: string, cacheDir: string, manifest: Manifest, entries: readonly string[]): boolean {
  if (entries.some((entry) => manifest.outputs[entry] === undefined || !existsSync(join(cacheDir, manifest.outputs[entry]!)))) return true;
  return !inputsUnchanged(rootDir, manifest.inputs);
}

/** How every bundle is built (and part of the cache key). */
const BUILD_OPTIONS = {
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Minified as SST ships them (less to parse at each cold start); names kept for logs and errors.
  minify: true,
  keepNames: true,
  // `node_modules/.cache/` is outside the project's `"type": "module"`: as `.js`, Node would read each
  // chunk and try it as CommonJS first to find out it is a module (~15 ms of a ~430 ms cold start).
  outExtension: { ".js": ".mjs" },
  // Stack traces point at the TypeScript sources. The maps leave the sources' text out: a stack
  // trace needs only the mappings, and each worker reads and parses the maps of every chunk it
  // loads at its cold start (the text was 58% of their 5 MB).
  sourcemap: "linked",
  sourcesContent: false,
  // Bundled CommonJS dependencies still call require() for Node's own modules.
  banner: { js: 'import { createRequire as __paybusCreateRequire } from "node:module"; const require = __paybusCreateRequire(import.meta.url);' },
} as const satisfies BuildOptions;

/** Builds (or reuses) the bundles of `entries` (project-relative `.ts` files); returns each one's absolute path. */
export async function bundleFunctions(rootDir: string, entries: readonly string[]): Promise<Map<string, string>> {
  const all = [...new Set([WORKER_RUNTIME, ...entries])].sort();
  const cacheRoot = join(rootDir, "node_modules", ".cache", "paybus-functions");
  // The build options are part of the key: a change to them must not reuse bundles built without it.
  const key = createHash("sha256").update(all.join("\n")).update(JSON.stringify({ ...BUILD_OPTIONS, requestHandler: PORT_HANDLER })).digest("hex").slice(0, 16);
  const manifestFile = join(cacheRoot, `${key}.json`);
  const cached = readManifest<Manifest>(manifestFile);
  if (cached && !stale(rootDir, cacheRoot, cached, all)) {
    return new Map(all.map((entry) => [entry, join(cacheRoot, cached.outputs[entry]!)]));
  }
  // A folder per build: a process still running an older build keeps its files.
  const folder = `${key}-${randomUUID().slice(0, 8)}`;
  const outdir = join(cacheRoot, folder);
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: all.map((entry) => join(rootDir, entry)),
    absWorkingDir: rootDir,
    outbase: rootDir,
    outdir,
    ...BUILD_OPTIONS,
    plugins: [portHandler(rootDir)],
    metafile: true,
    logLevel: "silent",
  });
  const outputs: Record<string, string> = {};
  for (const [output, meta] of Object.entries(result.metafile.outputs)) {
    if (meta.entryPoint) outputs[relative(rootDir, resolve(rootDir, meta.entryPoint))] = relative(cacheRoot, resolve(rootDir, output));
  }
  const inputs = fingerprintInputs(rootDir, Object.keys(result.metafile.inputs));
  writeAtomically(manifestFile, JSON.stringify({ outputs, inputs } satisfies Manifest));
  // Builds of the same entries older than an hour are no longer anyone's.
  for (const name of readdirSync(cacheRoot)) {
    if (name.startsWith(`${key}-`) && name !== folder && Date.now() - statSync(join(cacheRoot, name)).mtimeMs > 3_600_000) {
      rmSync(join(cacheRoot, name), { recursive: true, force: true });
    }
  }
  return new Map(all.map((entry) => [entry, join(cacheRoot, outputs[entry]!)]));
}
