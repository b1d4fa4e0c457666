/**
 * Processes the tests start (engines killed with SIGKILL and started again, the CLI) as one esbuild
 * bundle of the project's TypeScript, the packages left to Node, instead of `node --import tsx`: a
 * child started through tsx spends ~1–2.4 s of CPU loading (tsx's hooks resolve and transform every
 * project module, and every package module passes through them) before it does anything; from the
 * bundle it loads in a fraction of that. The code is the same: esbuild is what tsx transforms with,
 * and `import.meta.url` (and `dirname`, `filename`) keep the value of the source file they are
 * written in, so paths resolved from them (the project root, worker files, `createRequire` of
 * packages) are those of the sources. The reliability suite's children are built the same way
 * (test/reliability/child-bundle.ts).
 *
 * Built once and reused while no input changed, under `node_modules/.cache/paybus-test-children/`
 * (the function bundles' cache rules, `local/build-cache.ts`), so a suite run builds it at most once.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Plugin } from "esbuild";
import { buildOrReuse } from "../../local/build-cache.ts";
import { PROJECT_ROOT } from "../../local/project-root.ts";

/** The entry points, project-relative: every TypeScript process a test file outside test/reliability starts. */
export const TEST_CHILD_ENTRIES = [
  "test/support/stepfunctions-durable-child.ts",
  "test/support/sqs-crash-child.ts",
  "test/support/dynamodb-crash-child.ts",
] as const;

/** One of {@link TEST_CHILD_ENTRIES}. */
export type TestChildEntry = (typeof TEST_CHILD_ENTRIES)[number];

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
export const CHILD_BUILD_OPTIONS = {
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Node loads the packages itself, as under tsx (one copy of each: the runtime patches some, e.g. dynalite's parsers).
  packages: "external",
  // `node_modules/.cache/` is outside the project's `"type": "module"`.
  outExtension: { ".js": ".mjs" },
  // For `node --enable-source-maps` when reading a child's stack trace; not loaded otherwise.
  sourcemap: "linked",
  sourcesContent: false,
} as const;

/**
 * Builds `entries` (project-relative) into `node_modules/.cache/<cacheName>/`, or reuses the build
 * made from the same inputs; resolves with each entry's built file (absolute).
 */
export async function bundleProcesses(cacheName: string, entries: readonly string[], root = PROJECT_ROOT): Promise<Map<string, string>> {
  const cacheRoot = join(root, "node_modules", ".cache", cacheName);
  // The absolute paths written into the bundle belong to this checkout: the root is part of the key.
  const key = createHash("sha256").update(root).update(entries.join("\n")).update(JSON.stringify(CHILD_BUILD_OPTIONS)).update("import-meta-2").digest("hex").slice(0, 16);
  const { build } = await import("esbuild");
  const built = await buildOrReuse(root, cacheRoot, key, entries, async (outdir) => {
    const result = await build({
      entryPoints: entries.map((entry) => join(root, entry)),
      absWorkingDir: root,
      outbase: root,
      outdir,
      ...CHILD_BUILD_OPTIONS,
      plugins: [sourceImportMeta()],
      metafile: true,
      logLevel: "silent",
    });
    return result.metafile;
  });
  return built.outputs;
}

let building: Promise<Map<string, string>> | undefined;

/**
 * The `node` arguments that start `entry` (its file URL or absolute path): its built file in the
 * bundle of {@link TEST_CHILD_ENTRIES}, built by the first call in this process (or reused).
 */
export async function testChildArgs(entry: string | URL): Promise<string[]> {
  const file = entry instanceof URL || entry.startsWith("file:") ? fileURLToPath(entry) : entry;
  const name = relative(PROJECT_ROOT, file);
  if (!(TEST_CHILD_ENTRIES as readonly string[]).includes(name)) throw new Error(`${name} is not one of the bundled test children (TEST_CHILD_ENTRIES)`);
  building ??= bundleProcesses("paybus-test-children", TEST_CHILD_ENTRIES).catch((error: unknown) => {
    building = undefined;
    throw error;
  });
  return [(await building).get(name)!];
}
