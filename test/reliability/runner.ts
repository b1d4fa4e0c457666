/**
 * Runs reliability scenarios in child processes, several side by side: most of a scenario's time is
 * spent waiting for retries, so processes side by side finish in a fraction of the time one would
 * take. Scenarios whose runtimes are alike run one after another in one process, on one runtime
 * ({@link PROCESS_GROUPS}); the others get a process each.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PROJECT_ROOT } from "../../local/runtime.ts";
import { badInput, consumerCrashes, downstream, duplicates, load, processCrash, reordering, withSharedRuntimes, type ScenarioResult } from "./scenarios.ts";
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

/**
 * Scenarios that run in one process, in this order, sharing a runtime where their runtime options
 * are the same (`withSharedRuntimes`): the fixture scenarios (the fixtures' loyalty programme, one
 * environment per function), and the synthetic ones with one environment per function and no data
 * directory. Each runtime costs ~1 s of CPU to start and ~0.4 s per function it runs (a cold
 * start), several times what the events of these scenarios cost; each scenario is judged from
 * where the previous one left the runtime (`Mark` in harness.ts), on ids of its own. The
 * other scenarios need a runtime of their own: the load runs three environments per function, the
 * crash scenarios a data directory. In `npm test`'s order, longest first (the file's wall time is
 * that of its longest process).
 */
export const PROCESS_GROUPS: ReadonlyArray<readonly ScenarioName[]> = [
  ["load"],
  ["process crash"],
  ["restart without replay"],
  ["consumer crashes", "downstream faults"],
  ["duplicates", "reordering", "bad input"],
  ["process crash with notices in flight"],
];

/** `names` in the processes that run them: grouped and ordered by {@link PROCESS_GROUPS}, the rest alone. */
export function processesFor(names: readonly ScenarioName[]): ScenarioName[][] {
  const grouped = PROCESS_GROUPS.map((group) => group.filter((name) => names.includes(name))).filter((group) => group.length > 0);
  const alone = names.filter((name) => !PROCESS_GROUPS.some((group) => group.includes(name))).map((name) => [name]);
  return [...grouped, ...alone];
}

const CHILD = fileURLToPath(new URL("./run-scenario.ts", import.meta.url));
/** Marks the line carrying the result, apart from anything else a process may print. */
export const RESULT_MARKER = "RELIABILITY-RESULT ";

/** A scenario that could not produce a result (it threw, or its process died). */
export class ScenarioFailedError extends Error {
  override name = "ScenarioFailedError";
}

/** Runs scenarios one after another in one child process; resolves with their results, in order. */
function runInChild(names: readonly ScenarioName[], sizes: ScenarioSizes, bundle: string): Promise<ScenarioResult[]> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, [BUNDLE_ENV]: bundle };
    const child = spawn(process.execPath, [...childArgs(CHILD, env), JSON.stringify({ names, sizes })], { cwd: PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8000)));
    child.on("error", reject);
    child.on("close", (code) => {
      const results = stdout.split("\n").flatMap((text) => (text.startsWith(RESULT_MARKER) ? [JSON.parse(text.slice(RESULT_MARKER.length)) as ScenarioResult] : []));
      if (results.length === names.length) resolve(results);
      else reject(new ScenarioFailedError(`scenario "${names[results.length]}" ended (exit ${code}) without a result:\n${stderr}`));
    });
  });
}

/** Runs the named scenarios, `concurrency` processes at a time ({@link processesFor}); results come in the order asked. */
export async function runScenarios(names: readonly ScenarioName[], sizes: ScenarioSizes, concurrency: number): Promise<ScenarioResult[]> {
  const byName = new Map<ScenarioName, ScenarioResult>();
  const processes = processesFor(names);
  const bundle = await bundleChildren();
  let next = 0;
  const worker = async () => {
    while (next < processes.length) {
      const group = processes[next++]!;
      (await runInChild(group, sizes, bundle)).forEach((result, i) => byName.set(group[i]!, result));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, processes.length) }, worker));
  return names.map((name) => byName.get(name)!);
}
