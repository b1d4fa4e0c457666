/**
 * Event-pattern matching throughput: events per second through a {@link RuleSet} of 1, 10, 100
 * and 1,000 rules, single thread, over the Stripe fixtures exactly as EventBridge delivers them.
 *
 * Two rule shapes:
 * - `indexed`: paybus-style rules (`source` + exact `detail-type`), which the rule set files under
 *   their detail-type, so the cost per event should stay flat;
 * - `unindexed`: rules with only prefix / numeric / anything-but conditions, which every event
 *   has to try, the linear worst case.
 *
 * Run with `npx tsx bench/pattern.ts`, or import {@link run}.
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { snapshotEventTypes } from "../events/stripe-event-types.ts";
import { fixtureNames, loadFixture } from "../fixtures/index.ts";
import { RuleSet } from "../pattern/index.ts";

const RULE_COUNTS = [1, 10, 100, 1000] as const;
/** Measuring time per configuration, after warming up. */
const MEASURE_MS = 700;
const WARM_UP_EVENTS = 20_000;

/** The Stripe fixtures as compact JSON, the way EventBridge delivers them (the files are pretty-printed). */
function benchEvents(): { events: string[]; origin: string } {
  return { events: fixtureNames.map((name) => JSON.stringify(loadFixture(name))), origin: "fixtures/stripe-events" };
}

/** Rule i: Stripe sources and one detail-type (cycling through every snapshot type). */
function indexedRule(i: number): string {
  const type = snapshotEventTypes[i % snapshotEventTypes.length];
  const detail = i < snapshotEventTypes.length ? {} : { detail: { livemode: [i % 2 === 0] } };
  return JSON.stringify({ source: [{ prefix: "aws.partner/stripe.com/" }, "paybus.stripe"], "detail-type": [type], ...detail });
}

/** Rule i: conditions no index can use, so every event tries every rule. */
function unindexedRule(i: number): string {
  return JSON.stringify({
    source: [{ prefix: "aws.partner/stripe.com/" }],
    detail: {
      type: [{ "anything-but": { prefix: `x${i}.` } }],
      data: { object: { amount: [{ numeric: [">", i * 10] }] } },
    },
  });
}

function eventsPerSecond(rules: RuleSet, events: readonly string[]): { rate: number; matchesPerEvent: number } {
  let matched = 0;
  for (let i = 0; i < WARM_UP_EVENTS; i++) matched += rules.matchingRules(events[i % events.length] as string).length;
  let count = 0;
  matched = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < MEASURE_MS) {
    for (const event of events) matched += rules.matchingRules(event).length;
    count += events.length;
    elapsed = performance.now() - started;
  }
  return { rate: Math.round(count / (elapsed / 1000)), matchesPerEvent: Number((matched / count).toFixed(2)) };
}

function measure(shape: (i: number) => string, events: readonly string[]): Record<string, { rate: number; matchesPerEvent: number }> {
  const figures: Record<string, { rate: number; matchesPerEvent: number }> = {};
  for (const count of RULE_COUNTS) {
    const rules = new RuleSet();
    for (let i = 0; i < count; i++) rules.add(`rule-${i}`, shape(i));
    figures[count] = eventsPerSecond(rules, events);
  }
  return figures;
}

/** Measures matching throughput; prints a table and returns the figures (events per second). */
export async function run(): Promise<Record<string, unknown>> {
  const { events, origin } = benchEvents();
  const averageBytes = Math.round(events.reduce((sum, event) => sum + Buffer.byteLength(event), 0) / events.length);
  const indexed = measure(indexedRule, events);
  const unindexed = measure(unindexedRule, events);
  console.log(`pattern matching, ${events.length} ${origin} events (${averageBytes} bytes on average), single thread`);
  console.log("rules   indexed ev/s  (matches/ev)   unindexed ev/s  (matches/ev)");
  for (const count of RULE_COUNTS) {
    const a = indexed[count] as { rate: number; matchesPerEvent: number };
    const b = unindexed[count] as { rate: number; matchesPerEvent: number };
    console.log(
      `${String(count).padStart(5)}  ${String(a.rate).padStart(13)}  (${a.matchesPerEvent})`.padEnd(36) +
        `${String(b.rate).padStart(14)}  (${b.matchesPerEvent})`,
    );
  }
  return { eventOrigin: origin, events: events.length, averageEventBytes: averageBytes, eventsPerSecond: { indexed, unindexed } };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
