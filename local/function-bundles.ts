/**
 * Builds the functions as SST builds them for Lambda — one esbuild bundle per handler (ESM, node
 * platform, the AWS SDK included) — so that each local execution environment loads plain
 * JavaScript: a worker thread then starts in a fraction of the time a TypeScript loader per thread
 * takes. Bundles are cached under `node_modules/.cache/paybus-functions/` and rebuilt when any file
 * they were built from changes (size or modification time), so a second runtime, test file or
 * `paybus dev` restart reuses them. On Node 20 each handler's bundle is also made into one
 * CommonJS script ({@link SCRIPT_BUNDLES}).
 */
import { existsSync } from "node:fs";
import * as nodeModule from "node:module";
import { resolve } from "node:path";
import type { BuildOptions, Plugin } from "esbuild";
import { bundleOrReuse } from "./build-cache.ts";
import { SCRIPT_EXTENSION } from "./function-script.ts";
import { writeAtomically } from "./write-atomically.ts";

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

/** How every bundle is built (and part of the cache key). */
const BUILD_OPTIONS = {
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  mainFields: ["module", "main"],
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

/**
 * Whether environments load each handler as one CommonJS script with a V8 code cache
 * (`local/function-script.ts`) rather than as the ES module SST deploys: only where node has no
 * compile cache of its own (before 22.1), since the script's cache saves more than a cold start's
 * compile there (`bench/cold-start.ts`, docs/performance.md, session 12). The code is the same
 * bundle, bundled once more; what differs is the module system around it.
 */
export const SCRIPT_BUNDLES = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache !== "function";

/** How a handler's ES module bundle becomes one script: every chunk and lazily imported module in one file. */
const SCRIPT_OPTIONS = {
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  minify: true,
  // `import()` of node's own modules as `require`: a script from V8's code cache has no callback for
  // `import()` on Node 20 ("A dynamic import callback was not specified").
  supported: { "dynamic-import": false },
  // The chunks' `import.meta.url` (their `require` for node's own modules) becomes the script's URL.
  // The key is spelled in pieces: a process bundle of this file would rewrite the words themselves
  // (`sourceImportMeta` in local/process-bundle.ts).
  define: { [["import", "meta", "url"].join(".")]: "__paybusImportMetaUrl" },
  banner: { js: 'var __paybusImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  // esbuild reads the ES modules' maps, so the script's map still leads to the TypeScript sources.
  sourcemap: "linked",
  sourcesContent: false,
} as const satisfies BuildOptions;

/** What {@link scriptOf} gave for each ES module bundle in this process. */
const scripts = new Map<string, Promise<string>>();

/**
 * The script bundle of the ES module bundle `moduleFile`, built beside it on first use (its build
 * folder is otherwise immutable); `moduleFile` itself for a module that cannot be a script (a
 * top-level `await`, which CommonJS has no place for): that function loads as an ES module, without
 * the cache.
 */
function scriptOf(moduleFile: string): Promise<string> {
  let script = scripts.get(moduleFile);
  if (!script) {
    script = buildScript(moduleFile).catch((error: unknown) => {
      const messages = (error as { errors?: Array<{ text: string }> }).errors ?? [];
      if (messages.length > 0 && messages.every((message) => message.text.startsWith("Top-level await"))) return moduleFile;
      // Any other failure is the invocation's, and the next one tries again (as for the bundles).
      scripts.delete(moduleFile);
      throw error;
    });
    scripts.set(moduleFile, script);
  }
  return script;
}

async function buildScript(moduleFile: string): Promise<string> {
  const script = moduleFile.replace(/\.mjs$/, SCRIPT_EXTENSION);
  if (existsSync(script)) return script;
  const { build } = await import("esbuild");
  const { outputFiles } = await build({ entryPoints: [moduleFile], outfile: script, write: false, logLevel: "silent", ...SCRIPT_OPTIONS });
  // The map first: whoever finds the script finds its map.
  for (const output of [...outputFiles].sort((a, b) => Number(b.path.endsWith(".map")) - Number(a.path.endsWith(".map")))) {
    writeAtomically(output.path, output.contents);
  }
  return script;
}

/** Builds (or reuses) the bundles of `entries` (project-relative `.ts` files); returns each one's absolute path. */
export async function bundleFunctions(rootDir: string, entries: readonly string[]): Promise<Map<string, string>> {
  const all = [...new Set([WORKER_RUNTIME, ...entries])].sort();
  // The build options are part of the key: a change to them must not reuse bundles built without it.
  // So are the scripts' options, where scripts are made: each build folder has the scripts of one set of options.
  const keyParts = SCRIPT_BUNDLES ? [PORT_HANDLER, SCRIPT_OPTIONS] : [PORT_HANDLER];
  const { outputs } = await bundleOrReuse(rootDir, "paybus-functions", all, { ...BUILD_OPTIONS, plugins: [portHandler(rootDir)] }, keyParts);
  if (!SCRIPT_BUNDLES) return outputs;
  const handlers = all.filter((entry) => entry !== WORKER_RUNTIME);
  const files = await Promise.all(handlers.map((entry) => scriptOf(outputs.get(entry)!)));
  return new Map([[WORKER_RUNTIME, outputs.get(WORKER_RUNTIME)!], ...handlers.map((entry, index) => [entry, files[index]!] as const)]);
}
