/**
 * Adversarial pattern matching (issue 19): the worst time, over several runs, to compile each
 * case's pattern and match its event through `compilePattern`, and through a `RuleSet` holding
 * the case's rule. Cases come from `pattern/adversarial-cases.ts`; the test of the same name
 * asserts their answers.
 *
 * Run with `npx tsx bench/pattern-adversarial.ts`, or import {@link run}.
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { adversarialCases } from "../pattern/adversarial-cases.ts";
import { compilePattern, RuleSet } from "../pattern/index.ts";

const RUNS = 7;
// Enough for the JIT to settle: its compile threads count in process CPU time, not the case.
const WARM_UP_RUNS = 5;

function attempt(decide: () => unknown): string {
  try {
    return String(decide());
  } catch (error) {
    return (error as Error).name;
  }
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Wall-clock and CPU milliseconds of each run of `work` (after warm-up runs). CPU time is what
 * the process itself spent: on a machine shared with other work, wall time also counts waiting.
 */
function timings(work: () => unknown): { wall: number[]; cpu: number[] } {
  for (let i = 0; i < WARM_UP_RUNS; i++) work();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const startedCpu = cpuMs();
    work();
    cpu.push(cpuMs() - startedCpu);
    wall.push(performance.now() - started);
  }
  return { wall: wall.sort((a, b) => a - b), cpu: cpu.sort((a, b) => a - b) };
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Times every adversarial case; prints a table and returns the figures (milliseconds). */
export async function run(): Promise<Record<string, unknown>> {
  type Figures = { worstMs: number; medianMs: number; worstCpuMs: number; medianCpuMs: number; ruleSetWorstMs: number; ruleSetWorstCpuMs: number; eventBytes: number; patternBytes: number };
  const figures: Record<string, Figures> = {};
  const median = (values: number[]) => values[Math.floor(values.length / 2)] as number;
  console.log(`adversarial pattern cases, ${RUNS} runs each after ${WARM_UP_RUNS} warm-up runs (compile + match), milliseconds`);
  console.log("   wall: worst  median   cpu: worst  median   RuleSet wall/cpu worst   case");
  for (const { name, pattern, event } of adversarialCases) {
    const single = timings(() => attempt(() => compilePattern(pattern).matches(event)));
    const together = timings(() =>
      attempt(() => {
        const rules = new RuleSet();
        rules.add("case", pattern);
        return rules.matchingRules(event);
      }),
    );
    const f: Figures = {
      worstMs: round(single.wall.at(-1) as number),
      medianMs: round(median(single.wall)),
      worstCpuMs: round(single.cpu.at(-1) as number),
      medianCpuMs: round(median(single.cpu)),
      ruleSetWorstMs: round(together.wall.at(-1) as number),
      ruleSetWorstCpuMs: round(together.cpu.at(-1) as number),
      eventBytes: Buffer.byteLength(event),
      patternBytes: Buffer.byteLength(pattern),
    };
    figures[name] = f;
    const cell = (value: number, width: number) => value.toFixed(1).padStart(width);
    console.log(
      `${cell(f.worstMs, 13)}${cell(f.medianMs, 8)}${cell(f.worstCpuMs, 13)}${cell(f.medianCpuMs, 8)}${cell(f.ruleSetWorstMs, 14)}/${cell(f.ruleSetWorstCpuMs, 7).trim().padEnd(9)}   ${name}`,
    );
  }
  const all = Object.values(figures);
  const worst = Math.max(...all.map((f) => Math.max(f.worstMs, f.ruleSetWorstMs)));
  const worstCpu = Math.max(...all.map((f) => Math.max(f.worstCpuMs, f.ruleSetWorstCpuMs)));
  console.log(`worst case overall: ${worst} ms wall, ${worstCpu} ms CPU`);
  return { runs: RUNS, warmUpRuns: WARM_UP_RUNS, worstMs: worst, worstCpuMs: worstCpu, cases: figures };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
