/**
 * The reliability suite's child processes (a scenario each, and the processes the crash and restart
 * scenarios kill) as one esbuild bundle of the project's TypeScript, the packages left to Node. A
 * child started with `node --import tsx` spent ~2.4 s of CPU loading before it did anything (the
 * loader hooks resolve and transform each of the ~200 project modules and every package module
 * passes through them); from the bundle it loads in ~1 s. The code is the same: esbuild is what
 * tsx transforms with, and `import.meta.url` (and `dirname`, `filename`) keep the value of the
 * source file they are written in, so paths resolved from them (the project root, the children's
 * own files, `createRequire` of packages) are those of the sources.
 *
 * Built once and reused while no input changed, under `node_modules/.cache/paybus-reliability/`
 * (the function bundles' cache rules, `local/build-cache.ts`). The bundle's path reaches the
 * children in {@link BUNDLE_ENV}; without it (a child started by hand) they run through tsx.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Plugin } from "esbuild";
import { buildOrReuse, builtFile } from "../../local/build-cache.ts";
import { PROJECT_ROOT } from "../../local/project-root.ts";

/** The entry points, project-relative: every process the suite starts. */
export const CHILD_ENTRIES = ["test/reliability/run-scenario.ts", "test/reliability/crash-child.ts", "test/reliability/restart-child.ts"] as const;

/** The environment variable naming the bundle's manifest for the children (and their children). */
export const BUNDLE_ENV = "PAYBUS_RELIABILITY_BUNDLE";

/**
 * Gives each project module the `import.meta` of its source file: bundled, they would all see the
 * bundle's. Packages stay external, so only the project's files go through here.
 */
function sourceImportMeta(): Plugin {
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

const BUILD_OPTIONS = {
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

let building: Promise<string> | undefined;

/**
 * Builds the children's bundle, or reuses the one built from the same inputs; resolves with the
 * path of its manifest, to pass to the children in {@link BUNDLE_ENV}.
 */
export function bundleChildren(): Promise<string> {
  return (building ??= buildChildren().catch((error: unknown) => {
    building = undefined;
    throw error;
  }));
}

async function buildChildren(): Promise<string> {
  const cacheRoot = join(PROJECT_ROOT, "node_modules", ".cache", "paybus-reliability");
  // The absolute paths written into the bundle belong to this checkout: the root is part of the key.
  const key = createHash("sha256").update(PROJECT_ROOT).update(CHILD_ENTRIES.join("\n")).update(JSON.stringify(BUILD_OPTIONS)).update("import-meta-2").digest("hex").slice(0, 16);
  // Loaded here only: the children import this module for childArgs and never build.
  const { build } = await import("esbuild");
  const built = await buildOrReuse(PROJECT_ROOT, cacheRoot, key, CHILD_ENTRIES, async (outdir) => {
    const result = await build({
      entryPoints: CHILD_ENTRIES.map((entry) => join(PROJECT_ROOT, entry)),
      absWorkingDir: PROJECT_ROOT,
      outbase: PROJECT_ROOT,
      outdir,
      ...BUILD_OPTIONS,
      plugins: [sourceImportMeta()],
      metafile: true,
      logLevel: "silent",
    });
    return result.metafile;
  });
  return built.manifestFile;
}

/**
 * The `node` arguments that start one of {@link CHILD_ENTRIES} (given by its file URL or absolute
 * path): its bundle when this process was given one in {@link BUNDLE_ENV}, the TypeScript through
 * tsx otherwise.
 */
export function childArgs(entry: string | URL, env: NodeJS.ProcessEnv = process.env): string[] {
  const file = entry instanceof URL || entry.startsWith("file:") ? fileURLToPath(entry) : entry;
  const manifestFile = env[BUNDLE_ENV];
  const bundled = manifestFile ? builtFile(manifestFile, relative(PROJECT_ROOT, file)) : undefined;
  return bundled ? [bundled] : ["--import", "tsx", file];
}
