/**
 * Runs the shared EventBridge pattern conformance corpus against `paybus/pattern`.
 *
 *   npx tsx scripts/conformance-patterns.ts [cases.json]
 *
 * Default corpus: `../shared/conformance/event-patterns/cases.json` relative to the repository
 * root; when it is absent the script says so and exits 0. Prints the pass rate per operator, the
 * failures, and, apart, the cases whose `caveats` say AWS may behave differently from the engine
 * that labelled them. Exits 1 if a case without caveats fails.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compilePattern, InvalidEventError, InvalidEventPatternError, RuleSet } from "../pattern/index.ts";

type Outcome = "match" | "no-match" | "invalid";

interface ConformanceCase {
  readonly id: string;
  readonly expect: Outcome;
  readonly error?: string;
  readonly eventJson: string;
  readonly patternJson: string;
  readonly operators: readonly string[];
  readonly caveats?: readonly string[];
}

interface Result {
  readonly testCase: ConformanceCase;
  readonly outcome: Outcome;
  readonly error?: string;
  readonly passed: boolean;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DEFAULT_CORPUS = resolve(repoRoot, "../shared/conformance/event-patterns/cases.json");

/** One rule set holding every valid pattern of the corpus, each under its case id. */
let everyRule: RuleSet | undefined;

function evaluate(testCase: ConformanceCase): { outcome: Outcome; error?: string } {
  try {
    const matched = compilePattern(testCase.patternJson).matches(testCase.eventJson);
    // The rule set must agree, alone and compiled together with every other pattern of the corpus.
    const alone = new RuleSet();
    alone.add(testCase.id, testCase.patternJson);
    const together = everyRule?.matchingRules(testCase.eventJson).includes(testCase.id);
    if (alone.matchingRules(testCase.eventJson).includes(testCase.id) !== matched || together !== matched) {
      return { outcome: "invalid", error: `RuleSet disagrees with compilePattern (alone or with every rule)` };
    }
    return { outcome: matched ? "match" : "no-match" };
  } catch (error) {
    if (error instanceof InvalidEventPatternError || error instanceof InvalidEventError) {
      return { outcome: "invalid", error: error.message };
    }
    throw error;
  }
}

/** A case passes when the outcome agrees and, for a rejected pattern, so does the reason. */
function run(testCase: ConformanceCase): Result {
  const { outcome, error } = evaluate(testCase);
  const sameReason = testCase.expect !== "invalid" || error === testCase.error;
  return { testCase, outcome, error, passed: outcome === testCase.expect && sameReason };
}

function percent(passed: number, total: number): string {
  return `${((100 * passed) / total).toFixed(1)}%`;
}

function printRates(title: string, results: readonly Result[]): void {
  const byOperator = new Map<string, { passed: number; total: number }>();
  for (const result of results) {
    for (const operator of result.testCase.operators) {
      const tally = byOperator.get(operator) ?? { passed: 0, total: 0 };
      tally.total++;
      if (result.passed) tally.passed++;
      byOperator.set(operator, tally);
    }
  }
  const passed = results.filter((result) => result.passed).length;
  console.log(`\n${title}: ${passed}/${results.length} passed (${percent(passed, results.length)})`);
  const width = Math.max(...[...byOperator.keys()].map((operator) => operator.length));
  for (const [operator, { passed: ok, total }] of [...byOperator].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(`  ${operator.padEnd(width)}  ${String(ok).padStart(4)}/${String(total).padEnd(4)} ${percent(ok, total)}`);
  }
}

function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function printFailures(title: string, results: readonly Result[]): void {
  const failures = results.filter((result) => !result.passed);
  if (failures.length === 0) return;
  console.log(`\n${title} (${failures.length}):`);
  for (const { testCase, outcome, error } of failures) {
    const expected = testCase.expect === "invalid" ? `invalid (${testCase.error})` : testCase.expect;
    const actual = outcome === "invalid" ? `invalid (${error})` : outcome;
    console.log(`- ${testCase.id} [${testCase.operators.join(", ")}]${testCase.caveats ? ` caveats: ${testCase.caveats.join(", ")}` : ""}`);
    console.log(`    expected ${expected}, got ${actual}`);
    console.log(`    pattern ${oneLine(testCase.patternJson)}`);
    console.log(`    event   ${oneLine(testCase.eventJson)}`);
  }
}

function main(path: string): number {
  if (!existsSync(path)) {
    console.log(`${path} not found, skipped`);
    return 0;
  }
  const cases = JSON.parse(readFileSync(path, "utf8")) as ConformanceCase[];
  everyRule = new RuleSet();
  for (const testCase of cases) {
    try {
      everyRule.add(testCase.id, testCase.patternJson);
    } catch (error) {
      if (!(error instanceof InvalidEventPatternError)) throw error;
    }
  }
  const results = cases.map(run);
  const plain = results.filter((result) => !result.testCase.caveats?.length);
  const caveated = results.filter((result) => result.testCase.caveats?.length);
  const passed = results.filter((result) => result.passed).length;
  console.log(`EventBridge pattern conformance: ${passed}/${results.length} passed (${percent(passed, results.length)})`);
  printRates("Cases without caveats", plain);
  if (caveated.length > 0) printRates("Cases with caveats (AWS may differ from the labelling engine)", caveated);
  printFailures("Failures", plain);
  printFailures("Caveated cases that differ", caveated);
  return plain.every((result) => result.passed) ? 0 : 1;
}

process.exitCode = main(resolve(repoRoot, process.argv[2] ?? DEFAULT_CORPUS));
