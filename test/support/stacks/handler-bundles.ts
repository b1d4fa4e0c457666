/**
 * The functions' handler bundles the mocked deployments hand to SST (`Runtime.Build` in
 * `mock-deploy.ts`), built once for both stages and reused while no input changed.
 *
 * Each mocked deployment used to bundle every handler itself with esbuild: two stages, seventeen
 * handlers each, ~5 s of esbuild's CPU per stage for the same bundles, in a harness that must finish
 * within its timeout on a busy machine. Here one esbuild call builds every handler (each its own
 * bundle, as before: no code splitting), records each one's exports, and is reused under
 * `node_modules/.cache/paybus-stack-handlers/` while every file it read keeps its size and
 * modification time (`local/build-cache.ts`, the function bundles' rules). A handler the stacks
 * ask for that is not here is built by the harness as before, so a wrong handler path or a missing
 * export still fails the deployment.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { buildOrReuse } from "../../../local/build-cache.ts";

/** esbuild's options for a handler, as SST's own Node.js build would bundle it for Lambda. */
export const HANDLER_BUILD_OPTIONS = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  logLevel: "silent",
} as const;

/** A built handler: its bundle's file (alone in its folder, which SST zips) and the names it exports. */
export interface PrebuiltHandler {
  readonly file: string;
  readonly exports: readonly string[];
}

/** Built handlers by source file, project-relative (`functions/loyalty/handler.ts`). */
export type PrebuiltHandlers = Record<string, PrebuiltHandler>;

/** The environment variable that gives the harness the prebuilt handlers (JSON {@link PrebuiltHandlers}). */
export const PREBUILT_ENV = "PAYBUS_MOCK_PREBUILT";

/** Each handler's folder in the build: one path segment per source file. */
const folderOf = (source: string) => source.replace(/\.ts$/, "").replaceAll("/", "__");
const EXPORTS_FILE = "exports.json";

/**
 * Builds the handlers whose SST handler strings (`functions/x/handler.handler`) are given, with the
 * esbuild that resolves from `esbuildFrom` (the harness's: SST's own, in `.sst/platform`), or reuses
 * the build made from the same inputs by the same esbuild.
 */
export async function prebuildHandlers(root: string, handlers: Iterable<string>, esbuildFrom: string): Promise<PrebuiltHandlers> {
  const sources = [...new Set([...handlers].map((handler) => `${handler.split(/\.(?=[^./]+$)/)[0]}.ts`))].sort();
  const { build, version } = createRequire(join(esbuildFrom, "noop.js"))("esbuild") as typeof import("esbuild");
  const built = await buildOrReuse(root, "paybus-stack-handlers", [version, HANDLER_BUILD_OPTIONS], sources, async (outdir) => {
    const result = await build({
      ...HANDLER_BUILD_OPTIONS,
      entryPoints: sources.map((source) => ({ in: join(root, source), out: `${folderOf(source)}/index` })),
      absWorkingDir: root,
      outdir,
      outExtension: { ".js": ".mjs" },
      metafile: true,
    });
    const exports: Record<string, string[]> = {};
    for (const output of Object.values(result.metafile.outputs)) {
      if (output.entryPoint) exports[output.entryPoint] = output.exports;
    }
    // Beside the handlers' folders, not in them: SST zips a handler's folder whole.
    writeFileSync(join(outdir, EXPORTS_FILE), JSON.stringify(exports));
    return result.metafile;
  });
  // Every handler's folder is in the build's folder, beside the one exports file.
  const buildDir = dirname(dirname(built.outputs.get(sources[0]!)!));
  const exports = JSON.parse(readFileSync(join(buildDir, EXPORTS_FILE), "utf8")) as Record<string, string[]>;
  return Object.fromEntries(sources.map((source) => [source, { file: built.outputs.get(source)!, exports: exports[source] ?? [] }]));
}
