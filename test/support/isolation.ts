/**
 * Which test files may share a module graph. Loading a file's imports (the AWS SDK, zod, the
 * engines) costs ~0.5–1 s of CPU, more than most unit files spend testing; vitest's `isolate: false`
 * loads them once per worker and runs file after file on them. That is only safe for a file that
 * leaves no state behind for the next one and reads none a previous one left: every file showing a
 * sign below keeps a fresh module graph (vitest's default) in a thread of its own.
 *
 * Files that start the local runtime share a graph only with each other (its modules are ~2.5 s of
 * CPU to load), with aws-ses-v2-local's per-process email store emptied before each file.
 *
 * The signs are read from the source, so a new file is classified as it is written. A file that
 * shares state in a way no sign catches fails only when another file runs before it in the same
 * worker; `PAYBUS_TEST_ISOLATE=all npx vitest run` runs every file isolated to tell such a failure
 * from a real one.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** The reason given for files that start the local runtime (see {@link splitByIsolation}). */
export const STARTS_RUNTIME = "starts the local runtime";

/** What makes a file unfit to share its module graph with unit files, and why. */
export const ISOLATION_SIGNS: ReadonlyArray<readonly [RegExp, string]> = [
  // The environment is per process: a variable set here is seen by every later file, and modules
  // that read it at import (Powertools' log level, SDK clients' endpoints) keep what they read.
  [/process\.env(?:\.\w+|\[[^\]]+\])\s*=(?!=)|delete process\.env|vi\.stubEnv\(/, "sets process.env"],
  // Mocked or reset modules would be the mocks later files import.
  [/vi\.(?:mock|doMock|resetModules|stubGlobal|hoisted)\(/, "mocks modules or globals"],
  [/process\.chdir\(/, "changes the working directory"],
  // A function's handler builds its SDK clients at import from the environment the test set up.
  [/(?:from\s+|import\(\s*)["'][^"']*\/handler\.ts["']/, "imports a function's handler"],
  // Other processes: their CPU is the file's, and the crash tests kill what they started.
  [/["']node:child_process["']|chromium/, "starts processes"],
  // The whole runtime keeps one per-process singleton (aws-ses-v2-local's email store): these files
  // share a module graph only with each other, the store emptied before each (test/support/runtime-file.ts).
  [/\bRuntime\.start\(|\bstartTestRuntime\(|\bstartDev\(|\brunScenarios\b/, STARTS_RUNTIME],
];

/** Why a test file needs a module graph of its own, or undefined when it can share one. */
export function isolationReason(source: string): string | undefined {
  return ISOLATION_SIGNS.find(([sign]) => sign.test(source))?.[1];
}

/** Every `*.test.ts` under `root` (relative, with `/`), outside node_modules, `.sst` and `.git`. */
export function testFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith(".test.ts")) found.push(relative(root, path).split(sep).join("/"));
    }
  };
  walk(root);
  return found.sort();
}

/**
 * The test files under `root` in three groups: unit files that may share a module graph, files that
 * start the local runtime and nothing else needing isolation (they share one among themselves), and
 * the others, each with a fresh graph. The reliability suite (test/reliability/) runs scenarios in
 * processes of their own and stays isolated.
 */
export function splitByIsolation(root: string): { shared: string[]; runtime: string[]; isolated: string[] } {
  const groups = { shared: [] as string[], runtime: [] as string[], isolated: [] as string[] };
  for (const file of testFiles(root)) {
    const reason = isolationReason(readFileSync(join(root, file), "utf8"));
    const group = reason === undefined ? "shared" : reason === STARTS_RUNTIME && !file.startsWith("test/reliability/") ? "runtime" : "isolated";
    groups[group].push(file);
  }
  return groups;
}
