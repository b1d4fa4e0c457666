/**
 * The reliability suite's child processes (a scenario group each, and the processes the crash and
 * restart scenarios kill) from one esbuild bundle (local/process-bundle.ts: the same code, loaded in
 * ~1 s of CPU instead of ~2.4 s through `node --import tsx`), built once under
 * `node_modules/.cache/paybus-reliability/` and reused while no input changed. The bundle's manifest
 * reaches the children in {@link BUNDLE_ENV}, so that a scenario process starts the crash and restart
 * children from it too; without it (a child started by hand) they run through tsx.
 */
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { builtFile } from "../../local/build-cache.ts";
import { bundleProcesses } from "../../local/process-bundle.ts";
import { PROJECT_ROOT } from "../../local/project-root.ts";

/** The entry points, project-relative: every process the suite starts. */
export const CHILD_ENTRIES = ["test/reliability/run-scenario.ts", "test/reliability/crash-child.ts", "test/reliability/restart-child.ts"] as const;

/** The environment variable naming the bundle's manifest for the children (and their children). */
export const BUNDLE_ENV = "PAYBUS_RELIABILITY_BUNDLE";

let building: Promise<string> | undefined;

/**
 * Builds the children's bundle, or reuses the one built from the same inputs; resolves with the
 * path of its manifest, to pass to the children in {@link BUNDLE_ENV}.
 */
export function bundleChildren(): Promise<string> {
  return (building ??= bundleProcesses(PROJECT_ROOT, "paybus-reliability", CHILD_ENTRIES).then(
    (built) => built.manifestFile,
    (error: unknown) => {
      building = undefined;
      throw error;
    },
  ));
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
