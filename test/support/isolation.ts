/**
 * Which test files may share a module graph. Loading a file's imports (the AWS SDK, zod, the
 * engines; the whole runtime is ~2.5 s of CPU) often costs more than the file's tests; vitest's
 * `isolate: false` loads them once per worker and runs file after file on them. That is only safe
 * for files that leave no state behind for the next one and read none a previous one left. Three
 * groups (vitest projects, vitest.config.ts):
 *
 * - `unit`: no sign below; one module graph per worker, shared.
 * - `e2e`: files whose only signs are that they start the local runtime or other processes. They
 *   share a graph among themselves, with the one per-process singleton the runtime keeps
 *   (aws-ses-v2-local's email store) emptied before each file (test/support/runtime-file.ts).
 * - `isolated`: any other sign, and the reliability scenarios (test/reliability/): a fresh graph each.
 *
 * The signs are read from the source, so a new file is classified as it is written. A file that
 * shares state in a way no sign catches fails only when another file runs before it in the same
 * worker; `PAYBUS_TEST_ISOLATE=all npx vitest run` runs every file isolated to tell such a failure
 * from a real one.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

const STARTS_RUNTIME = "starts the local runtime";
const STARTS_PROCESSES = "starts processes";

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
  [/["']node:child_process["']/, STARTS_PROCESSES],
  // A browser reads the runtime's outbox over the dashboard while the file runs; one such file failed
  // (an email listed, its page not found) only in the shared group, in one CI run: kept apart.
  [/chromium/, "drives a browser"],
  [/\bRuntime\.start\(|\bstartTestRuntime\(|\bstartDev\(|\brunScenarios\b/, STARTS_RUNTIME],
];

/** Why a test file cannot share a module graph with unit files (empty when it can). */
export function isolationReasons(source: string): string[] {
  return ISOLATION_SIGNS.filter(([sign]) => sign.test(source)).map(([, reason]) => reason);
}

/** The group (vitest project) a test file runs in, from its path and source. */
export function groupOf(file: string, source: string): "unit" | "e2e" | "isolated" {
  const reasons = isolationReasons(source);
  if (reasons.length === 0) return "unit";
  if (file.startsWith("test/reliability/")) return "isolated";
  return reasons.every((reason) => reason === STARTS_RUNTIME || reason === STARTS_PROCESSES) ? "e2e" : "isolated";
}

/** Every `*.test.ts` under `root` (relative, with `/`), outside node_modules and dot folders (.sst, .git). */
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

/** The test files under `root` by group (see the module's comment). */
export function splitByIsolation(root: string): Record<"unit" | "e2e" | "isolated", string[]> {
  const groups = { unit: [] as string[], e2e: [] as string[], isolated: [] as string[] };
  for (const file of testFiles(root)) groups[groupOf(file, readFileSync(join(root, file), "utf8"))].push(file);
  return groups;
}
