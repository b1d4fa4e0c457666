/**
 * `npm run test:reliability`: runs every reliability scenario of issue 9 on the local runtime — the
 * load with 20,000 events — prints the report (events in, effects out, duplicates suppressed,
 * retries, DLQ entries, mismatches) and writes it to `bench/results/reliability.json`. Exits 1 when
 * any scenario found a mismatch, 2 when one could not run.
 *
 * Options: `--load <events>` (20000), `--quick` (the sizes and scenarios `npm test` runs),
 * `--only <name,…>`, `--concurrency <processes>` (2).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { arch, availableParallelism, cpus, platform } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PROJECT_ROOT } from "../local/runtime.ts";
import { FULL_RUN_ONLY, QUICK, runScenarios, SCENARIOS, type ScenarioName, type ScenarioSizes } from "../test/reliability/runner.ts";
import type { ScenarioResult } from "../test/reliability/scenarios.ts";

/** Sizes of the full run: the load at 20,000 events, the other synthetic scenarios larger than in `npm test`. */
const FULL: ScenarioSizes = { consumerCrashes: 1000, downstream: 1000, processCrash: 1000, restart: 1000, load: 20_000 };

const { values } = parseArgs({
  options: {
    load: { type: "string" },
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    concurrency: { type: "string", default: "2" },
  },
});
const base = values.quick ? QUICK : FULL;
const sizes: ScenarioSizes = { ...base, load: values.load ? Number(values.load) : base.load };
const known = Object.keys(SCENARIOS) as ScenarioName[];
const names = values.only
  ? (values.only.split(",").map((name) => name.trim()) as ScenarioName[])
  : known.filter((name) => !(values.quick && FULL_RUN_ONLY.has(name)));
const unknown = names.filter((name) => !known.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario(s): ${unknown.join(", ")} (known: ${known.join(", ")})\n`);
  process.exit(2);
}

process.stderr.write(`running ${names.length} scenario(s), ${values.concurrency} at a time (load: ${sizes.load} events)…\n`);
const started = Date.now();
let results: ScenarioResult[];
try {
  results = await runScenarios(names, sizes, Number(values.concurrency));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}

const totals = {
  eventsIn: sum((r) => r.figures.eventsIn.sent),
  effectsOut: sum((r) => r.figures.effectsOut.notificationEmails + r.figures.effectsOut.engagementEmails + r.figures.effectsOut.pushes + r.figures.effectsOut.purchasesCredited + r.figures.effectsOut.reversals),
  duplicatesSuppressed: sum((r) => r.figures.deliveries.duplicatesSuppressed),
  retries: sum((r) => r.figures.deliveries.retries),
  dlqEntries: sum((r) => r.figures.dlq.entries),
  mismatches: sum((r) => r.mismatches.length),
};
process.stdout.write(format(results));

const report = {
  at: new Date().toISOString(),
  machine: { node: process.version, platform: platform(), arch: arch(), cpus: availableParallelism(), cpu: cpus()[0]?.model },
  sizes,
  seconds: Math.round((Date.now() - started) / 1000),
  totals,
  scenarios: results,
};
const dir = join(PROJECT_ROOT, "bench", "results");
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "reliability.json"), `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`\nwrote ${join(dir, "reliability.json")} (${report.seconds} s)\n`);
process.exit(totals.mismatches === 0 ? 0 : 1);

function sum(of: (result: ScenarioResult) => number): number {
  return results.reduce((total, result) => total + of(result), 0);
}

/** The report for people: one block per scenario, then the totals. */
function format(all: readonly ScenarioResult[]): string {
  const lines = ["", "paybus reliability report", ""];
  for (const { name, claim, figures: f, mismatches } of all) {
    const [e, d, q, o, x] = [f.eventsIn, f.deliveries, f.dlq, f.effectsOut, f.faultsInjected];
    lines.push(
      `${mismatches.length === 0 ? "PASS" : "FAIL"}  ${name}: ${claim}`,
      `      events in ${e.sent} (accepted ${e.accepted}, rejected ${e.rejected}, request refused ${e.refusedRequests}, unmatched ${e.unmatched}, straight to a queue ${e.queuedDirectly})`,
      `      deliveries: ${d.consumerAttempts} consumer attempts, ${d.succeeded} succeeded, ${d.failedAttempts} failed (${d.timedOut} timed out), ${d.retries} retries, ${d.duplicatesSuppressed} duplicates suppressed`,
      `      faults injected: consumers ${x.consumers}, DynamoDB ${x.dynamodb}, SES ${x.ses}, SNS ${x.sns}; DLQ entries ${q.entries}, redriven ${q.redriven}, left ${q.remaining}`,
      `      effects out: ${o.notificationEmails} notice emails, ${o.pushes} pushes, ${o.engagementEmails} engagement emails, ${o.purchasesCredited} purchases credited, ${o.reversals} reversed, ${o.pointsOutstanding} points outstanding, ${o.workflows} workflows`,
      `      mismatches: ${mismatches.length}`,
      ...mismatches.slice(0, 10).map((mismatch) => `        - ${mismatch}`),
      ...(mismatches.length > 10 ? [`        … and ${mismatches.length - 10} more`] : []),
      "",
    );
  }
  lines.push(
    `total: events in ${totals.eventsIn}, effects out ${totals.effectsOut}, duplicates suppressed ${totals.duplicatesSuppressed}, retries ${totals.retries}, DLQ entries ${totals.dlqEntries}, mismatches ${totals.mismatches}`,
  );
  return `${lines.join("\n")}\n`;
}
