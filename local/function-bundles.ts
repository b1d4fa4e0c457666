/**
 * Builds the functions as SST builds them for Lambda — one esbuild bundle per handler (ESM, node
 * platform, the AWS SDK included) — so that each local execution environment loads plain
 * JavaScript: a worker thread then starts in a fraction of the time a TypeScript loader per thread
 * takes. Bundles are cached under `node_modules/.cache/paybus-functions/` and rebuilt when any file
 * they were built from changes (size or modification time), so a second runtime, test file or
 * `paybus dev` restart reuses them.
 */
import { join, resolve } from "node:path";
import type { BuildOptions, Plugin } from "esbuild";
import { bundleOrReuse } from "./build-cache.ts";

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

/** Builds (or reuses) the bundles of `entries` (project-relative `.ts` files); returns each one's absolute path. */
export async function bundleFunctions(rootDir: string, entries: readonly string[]): Promise<Map<string, string>> {
  const all = [...new Set([WORKER_RUNTIME, ...entries])].sort();
  // The build options are part of the key: a change to them must not reuse bundles built without it.
  const { outputs } = await bundleOrReuse(rootDir, "paybus-functions", all, { ...BUILD_OPTIONS, plugins: [portHandler(rootDir)] }, [PORT_HANDLER]);
  return outputs;
}
