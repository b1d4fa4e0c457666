/**
 * Node processes of the project's TypeScript started from one esbuild bundle instead of
 * `node --import tsx`: a process started through tsx spends ~1–2.4 s of CPU loading (tsx's hooks
 * resolve and transform every project module, and every package module passes through them)
 * before it does anything; from a bundle it loads in a fraction of that. The code is the same:
 * esbuild is what tsx transforms with, the packages stay external (Node loads them itself, one copy
 * of each), and `import.meta.url` (and `dirname`, `filename`) keep the value of the source file they
 * are written in, so paths resolved from them (the project root, worker files, `createRequire` of
 * packages) are those of the sources.
 *
 * Built once and reused while no input changed, under `node_modules/.cache/<name>/` (the function
 * bundles' cache rules, `local/build-cache.ts`). Used by `paybus backtest` for its sides and by the
 * test suite for the processes it starts (test/support/child-bundle.ts, test/reliability/child-bundle.ts).
 */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import type { Plugin } from "esbuild";
import { bundleOrReuse, type CachedBuild } from "./build-cache.ts";

/**
 * Gives each project module the `import.meta` of its source file: bundled, they would all see the
 * bundle's. Packages stay external, so only the project's files go through here.
 */
export function sourceImportMeta(): Plugin {
  return {
    name: "paybus-source-import-meta",
    setup(builder) {
      builder.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
        const text = readFileSync(args.path, "utf8");
        const meta = { url: pathToFileURL(args.path).href, dirname: dirname(args.path), filename: args.path };
        // A pattern, not the words themselves: this file goes through here too.
        const contents = text.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_, key: keyof typeof meta) => JSON.stringify(meta[key]));
        return { contents, loader: "ts" };
      });
    },
  };
}

/** esbuild options of a bundle of project processes (entry points and output folder apart). */
export const PROCESS_BUILD_OPTIONS = {
  bundle: true,
  // Entries built together share their modules' chunks: one instance of each module per process.
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  // `node_modules/.cache/` is outside the project's `"type": "module"`.
  outExtension: { ".js": ".mjs" },
  // For `node --enable-source-maps` when reading a stack trace; not loaded otherwise.
  sourcemap: "linked",
  sourcesContent: false,
} as const;

/**
 * Builds `entries` (relative to `root`) into `<root>/node_modules/.cache/<cacheName>/`, or reuses
 * the build made from the same inputs; resolves with each entry's built file (absolute) and the
 * build's manifest (for a process that passes the bundle on to its own children: `builtFile`).
 */
export function bundleProcesses(root: string, cacheName: string, entries: readonly string[]): Promise<CachedBuild> {
  return bundleOrReuse(root, cacheName, entries, { ...PROCESS_BUILD_OPTIONS, plugins: [sourceImportMeta()] }, ["import-meta-2"]);
}
