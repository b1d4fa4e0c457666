/**
 * The order test files start in. With several workers the suite ends when the last file does, so
 * the long files must start first: a 90-second file started near the end keeps the suite running
 * alone for 90 seconds. Vitest orders by the durations of the previous run, but a fresh clone (CI)
 * has none and vitest then starts larger files first, which says little about cost here. Without
 * those durations, files that run the whole local runtime or other processes start first.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** What makes a test file long, and how much (a rough order, not a measure). */
const COST_SIGNS: ReadonlyArray<readonly [RegExp, number]> = [
  // The reliability scenarios: a runtime per scenario, each in a process of its own.
  [/\brunScenarios\b/, 8],
  // Other processes: a killed and restarted engine, the CLI, chromium.
  [/\b(?:spawn|spawnSync|execFile|execFileSync|execSync)\b|chromium/, 4],
  // The whole local runtime: engines, and each function's worker thread started cold.
  [/\bRuntime\.start\(|\bstartTestRuntime\(|\bstartDev\(|\bstartLocalTables\(/, 3],
  // Local engines on their own.
  [/\bstartLocal[A-Z]\w*\(|\bLocalSqs\.start\(/, 2],
];

/** A file's estimated cost; files with the same estimate keep vitest's order. */
export function estimatedCost(source: string): number {
  return COST_SIGNS.reduce((cost, [sign, weight]) => (sign.test(source) ? cost + weight : cost), 0);
}

/**
 * Vitest's order when it knows every file's duration; otherwise, the costliest files first. Either
 * way the files that share a module graph (`isolate: false`, test/support/isolation.ts) come last,
 * together: vitest hands a worker's loaded graph to the next file only when that file shares it
 * too, so a file with a graph of its own between two shared ones makes the second load it again.
 */
export class CostFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    const root = this.ctx.config.root;
    const measured = ordered.every((spec) => this.ctx.cache.getFileTestResults(`${spec.project.name}:${relative(root, spec.moduleId)}`)?.duration !== undefined);
    let byCost = ordered;
    if (!measured) {
      const cost = new Map(ordered.map((spec) => [spec, estimatedCost(readSource(spec.moduleId))]));
      byCost = [...ordered].sort((a, b) => cost.get(b)! - cost.get(a)!);
    }
    return sharedLast(byCost);
  }
}

/**
 * `specs` in their order, except that those of non-isolated projects move to the end, each
 * project's files together (the projects in the order their first file came).
 */
export function sharedLast<T extends { project: { name: string; config: { isolate: boolean } } }>(specs: readonly T[]): T[] {
  const isolated = specs.filter((spec) => spec.project.config.isolate !== false);
  const shared = new Map<string, T[]>();
  for (const spec of specs) if (spec.project.config.isolate === false) shared.set(spec.project.name, [...(shared.get(spec.project.name) ?? []), spec]);
  return [...isolated, ...[...shared.values()].flat()];
}

function readSource(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}
