/**
 * Which test files may share a module graph. Loading a file's imports (the AWS SDK, zod, the
 * engines) costs ~0.5–1 s of CPU, more than most unit files spend testing; vitest's `isolate: false`
 * loads them once per worker and runs file after file on them. That is only safe for a file that
 * leaves no state behind for the next one and reads none a previous one left: every file showing a
 * sign below keeps a fresh module graph (vitest's default) in a thread of its own.
 *
 * The signs are read from the source, so a new file is classified as it is written. A file that
 * shares state in a way no sign catches fails only when another file runs before it in the same
 * worker; `PAYBUS_TEST_ISOLATE=all npx vitest run` runs every file isolated to tell such a failure
 * from a real one.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** What makes a file unfit to share its module graph, and why. */
export const ISOLATION_SIGNS: ReadonlyArray<readonly [RegExp, string]> = [
  // The environment is per process: a variable set here is seen by every later file, and modules
  // that read it at import (Powertools' log level, SDK clients' endpoints) keep what they read.
  [/process\.env(?:\.\w+|\[[^\]]+\])\s*=(?!=)|delete process\.env|vi\.stubEnv\(/, "sets process.env"],
  // Mocked or reset modules would be the mocks later files import.
  [/vi\.(?:mock|doMock|resetModules|stubGlobal|hoisted)\(/, "mocks modules or globals"],
  [/process\.chdir\(/, "changes the working directory"],
  // A function's handler builds its SDK clients at import from the environment the test set up.
  [/(?:from\s+|import\(\s*)["'][^"']*\/handler\.ts["']/, "imports a function's handler"],
  // The whole runtime keeps per-process singletons (aws-ses-v2-local's one email store), and
  // processes started from a file are its own: these files are also the long ones, where loading
  // modules is a small part of the cost.
  [/\bRuntime\.start\(|\bstartTestRuntime\(|\bstartDev\(|\brunScenarios\b/, "starts the local runtime"],
  [/\b(?:spawn|spawnSync|execFile|execFileSync|execSync|fork)\(|chromium/, "starts processes"],
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

/** The test files under `root`, split into those that may share a module graph and the others. */
export function splitByIsolation(root: string): { shared: string[]; isolated: string[] } {
  const shared: string[] = [];
  const isolated: string[] = [];
  for (const file of testFiles(root)) {
    (isolationReason(readFileSync(join(root, file), "utf8")) === undefined ? shared : isolated).push(file);
  }
  return { shared, isolated };
}
