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

function attempt(decide: () => unknown): string {
  try {
    return String(decide());
  } catch (error) {
    return (error as Error).name;
  }
}

/** Milliseconds of each run of `work` (after one warm-up run). */
function timings(work: () => unknown): number[] {
  work();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    work();
    times.push(performance.now() - started);
  }
  return times;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Times every adversarial case; prints a table and returns the figures (milliseconds). */
export async function run(): Promise<Record<string, unknown>> {
  const figures: Record<string, { worstMs: number; medianMs: number; ruleSetWorstMs: number; eventBytes: number; patternBytes: number }> = {};
  console.log(`adversarial pattern cases, ${RUNS} runs each (compile + match), milliseconds`);
  console.log("worst  median  RuleSet-worst  case");
  for (const { name, pattern, event } of adversarialCases) {
    const single = timings(() => attempt(() => compilePattern(pattern).matches(event))).sort((a, b) => a - b);
    const together = timings(() =>
      attempt(() => {
        const rules = new RuleSet();
        rules.add("case", pattern);
        return rules.matchingRules(event);
      }),
    ).sort((a, b) => a - b);
    figures[name] = {
      worstMs: round(single.at(-1) as number),
      medianMs: round(single[Math.floor(single.length / 2)] as number),
      ruleSetWorstMs: round(together.at(-1) as number),
      eventBytes: Buffer.byteLength(event),
      patternBytes: Buffer.byteLength(pattern),
    };
    const f = figures[name];
    console.log(`${String(f.worstMs).padStart(6)}  ${String(f.medianMs).padStart(6)}  ${String(f.ruleSetWorstMs).padStart(13)}  ${name}`);
  }
  const worst = Math.max(...Object.values(figures).map((f) => Math.max(f.worstMs, f.ruleSetWorstMs)));
  console.log(`worst case overall: ${worst} ms`);
  return { runs: RUNS, worstMs: worst, cases: figures };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
