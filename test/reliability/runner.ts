/**
 * Runs reliability scenarios, each in its own process: a local runtime owns its process's
 * environment (one runtime per process), and most of a scenario's time is spent waiting for
 * retries, so several processes side by side finish in a fraction of the time one would take.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PROJECT_ROOT } from "../../local/runtime.ts";
import { badInput, consumerCrashes, downstream, duplicates, load, processCrash, reordering, type ScenarioResult } from "./scenarios.ts";
import { restartWithoutReplay } from "./restart.ts";
import { BUNDLE_ENV, bundleChildren, childArgs } from "./child-bundle.ts";

/** How big each scenario runs: events for the synthetic ones. */
export interface ScenarioSizes {
  readonly consumerCrashes: number;
  readonly downstream: number;
  readonly processCrash: number;
  /** Events of "restart without replay". */
  readonly restart: number;
  readonly load: number;
}

/**
 * The sizes `npm test` runs: each still meets every fault it is about (the chaos plan picks at least
 * one record of each kind, the downstream fault rates are 20–30 %), and the process crash still
 * lands mid-wave. The load keeps 300 events, enough for its 2–10 % fault rates to fire on every
 * service. `npm run test:reliability` runs them all at 1,000 and the load at 20,000.
 */
export const QUICK: ScenarioSizes = { consumerCrashes: 120, downstream: 100, processCrash: 100, restart: 80, load: 300 };

/** Every scenario of issue 9, by name, in report order. */
export const SCENARIOS = {
  duplicates: () => duplicates(),
  reordering: () => reordering([1, 2, 3]),
  "consumer crashes": (sizes: ScenarioSizes) => consumerCrashes(sizes.consumerCrashes),
  "downstream faults": (sizes: ScenarioSizes) => downstream(sizes.downstream),
  "process crash": (sizes: ScenarioSizes) => processCrash(sizes.processCrash),
  "process crash with notices in flight": (sizes: ScenarioSizes) => processCrash(sizes.processCrash, 52, "everything"),
  "restart without replay": (sizes: ScenarioSizes) => restartWithoutReplay(sizes.restart),
  "bad input": () => badInput(),
  load: (sizes: ScenarioSizes) => load(sizes.load),
} as const satisfies Record<string, (sizes: ScenarioSizes) => Promise<ScenarioResult>>;

export type ScenarioName = keyof typeof SCENARIOS;

/**
 * Scenarios left out of `npm test`: after a kill with notices in flight, the restart waits out the
 * dead process's send leases (up to 60 s of real time).
 */
export const FULL_RUN_ONLY: ReadonlySet<ScenarioName> = new Set(["process crash with notices in flight"]);

const CHILD = fileURLToPath(new URL("./run-scenario.ts", import.meta.url));
/** Marks the line carrying the result, apart from anything else a process may print. */
export const RESULT_MARKER = "RELIABILITY-RESULT ";

/** A scenario that could not produce a result (it threw, or its process died). */
export class ScenarioFailedError extends Error {
  override name = "ScenarioFailedError";
}

/** Runs one scenario in a child process and resolves with its result. */
function runInChild(name: ScenarioName, sizes: ScenarioSizes, bundle: string): Promise<ScenarioResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, [BUNDLE_ENV]: bundle };
    const child = spawn(process.execPath, [...childArgs(CHILD, env), JSON.stringify({ name, sizes })], { cwd: PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8000)));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = stdout.split("\n").find((text) => text.startsWith(RESULT_MARKER));
      if (line) resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as ScenarioResult);
      else reject(new ScenarioFailedError(`scenario "${name}" ended (exit ${code}) without a result:\n${stderr}`));
    });
  });
}

/** Runs the named scenarios, `concurrency` processes at a time; results come in the order asked. */
export async function runScenarios(names: readonly ScenarioName[], sizes: ScenarioSizes, concurrency: number): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = new Array(names.length);
  const bundle = await bundleChildren();
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const index = next++;
      results[index] = await runInChild(names[index]!, sizes, bundle);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, worker));
  return results;
}
