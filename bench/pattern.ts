/**
 * Event-pattern matching throughput through a {@link RuleSet}, single thread, over the Stripe
 * fixtures as EventBridge delivers them (compact JSON), reported as a ratio to `JSON.parse` of
 * the same events measured in the same process, in CPU time so that other processes on the
 * machine skew both sides alike (higher is better; 1.0 means matching every rule costs one
 * `JSON.parse`).
 *
 * Rule mixes:
 * - `mixed`: ten realistic rules (prefix on `source`, numeric, `exists` and `anything-but` on
 *   detail fields, a metadata value, ...), then per-tenant rules (a detail-type and a metadata
 *   value each) up to 100 and 1,000 rules;
 * - `operators`: the same ten, then per-tenant rules whose values are not exact: a prefix of the
 *   object id and a numeric range of the amount each (looked up by the machine's prefix and
 *   numeric indexes rather than tried rule by rule);
 * - `indexed`: paybus-style rules (`source` + exact `detail-type`).
 *
 * The adversarial cases are timed by `bench/pattern-adversarial.ts`. Run with
 * `npx tsx bench/pattern.ts`, or import {@link run}.
 */
import { pathToFileURL } from "node:url";
import { snapshotEventTypes } from "../events/stripe-event-types.ts";
import { fixtureNames, loadFixture } from "../fixtures/index.ts";
import { RuleSet } from "../pattern/index.ts";

const RULE_COUNTS = [10, 100, 1000] as const;
/** Measuring time per round, after warming up; several rounds, reported best and median. */
const ROUND_MS = 200;
const ROUNDS = 9;
const WARM_UP_MS = 300;

/** The Stripe fixtures as compact JSON, the way EventBridge delivers them (the files are pretty-printed). */
function benchEvents(): { events: string[]; origin: string } {
  return { events: fixtureNames.map((name) => JSON.stringify(loadFixture(name))), origin: "fixtures/stripe-events" };
}

const object = (fields: Record<string, unknown>) => ({ detail: { data: { object: fields } } });

/** Ten realistic rules a payments team might put on one bus. */
export const TEN_MIXED_RULES: readonly string[] = [
  { source: [{ prefix: "aws.partner/stripe.com/" }] },
  { source: [{ prefix: "aws.partner/stripe.com/" }], ...object({ amount: [{ numeric: [">", 1000] }] }) },
  object({ customer: [{ exists: true }] }),
  { detail: { type: [{ "anything-but": ["invoice.paid", "invoice.payment_failed"] }] } },
  object({ metadata: { product_category: ["premium"] } }),
  { "detail-type": ["invoice.paid", "invoice.payment_succeeded"], ...object({ amount_paid: [{ numeric: [">=", 0] }] }) },
  object({ currency: [{ "anything-but": { prefix: "u" } }] }),
  { detail: { livemode: [false], data: { object: { refunded: [{ exists: false }] } } } },
  { source: [{ prefix: "aws.partner/stripe.com/" }], "detail-type": [{ prefix: "charge." }] },
  object({ amount: [{ numeric: [">", 0, "<=", 5000] }], currency: ["usd"] }),
].map((rule) => JSON.stringify(rule));

/** Per-tenant rule i: one detail-type and one customer id in the metadata. */
function tenantRule(i: number): string {
  const type = snapshotEventTypes[i % snapshotEventTypes.length];
  return JSON.stringify({ "detail-type": [type], ...object({ metadata: { customer_id: [`C-${100000 + i * 7}`] } }) });
}

function mixedRules(count: number): string[] {
  return [...TEN_MIXED_RULES, ...Array.from({ length: count - TEN_MIXED_RULES.length }, (_, i) => tenantRule(i))];
}

/** Per-tenant rule i with operators: an id prefix and an amount band. */
function operatorRule(i: number): string {
  return JSON.stringify(object({ id: [{ prefix: `ch_${(100000 + i * 7).toString(36)}` }], amount: [{ numeric: [">=", i * 100, "<", i * 100 + 50] }] }));
}

function operatorRules(count: number): string[] {
  return [...TEN_MIXED_RULES, ...Array.from({ length: count - TEN_MIXED_RULES.length }, (_, i) => operatorRule(i))];
}

/** Rule i: Stripe sources and one detail-type (cycling through every snapshot type). */
function indexedRules(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const type = snapshotEventTypes[i % snapshotEventTypes.length];
    const detail = i < snapshotEventTypes.length ? {} : { detail: { livemode: [i % 2 === 0] } };
    return JSON.stringify({ source: [{ prefix: "aws.partner/stripe.com/" }, "paybus.stripe"], "detail-type": [type], ...detail });
  });
}

/** Milliseconds of CPU this process used: unlike wall time, not inflated while other processes run. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Events per CPU second of `work` over the events, for one round. */
function rate(events: readonly string[], work: (event: string) => number, ms: number): { perSecond: number; sink: number } {
  let count = 0;
  let sink = 0;
  const started = cpuMs();
  let elapsed = 0;
  while (elapsed < ms) {
    for (const event of events) sink += work(event);
    count += events.length;
    elapsed = cpuMs() - started;
  }
  return { perSecond: count / (elapsed / 1000), sink };
}

interface Figures {
  readonly rules: number;
  readonly bestRatio: number;
  readonly medianRatio: number;
  readonly eventsPerSecond: number;
  readonly jsonParsePerSecond: number;
  readonly matchesPerEvent: number;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/**
 * Alternates rounds of `JSON.parse` and of the rule set so that both see the same load; the
 * ratio of each pair is one sample.
 */
function measure(rulesJson: readonly string[], events: readonly string[]): Figures {
  const rules = new RuleSet();
  rulesJson.forEach((rule, i) => rules.add(`rule-${i}`, rule));
  const match = (event: string) => rules.matchingRules(event).length;
  const parse = (event: string) => (JSON.parse(event) as object) === null ? 0 : 1;
  rate(events, match, WARM_UP_MS);
  rate(events, parse, WARM_UP_MS / 2);
  const ratios: number[] = [];
  let best = { matching: 0, parsing: 0 };
  let matched = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const parsing = rate(events, parse, ROUND_MS).perSecond;
    const matching = rate(events, match, ROUND_MS).perSecond;
    ratios.push(matching / parsing);
    if (matching / parsing >= Math.max(...ratios)) best = { matching, parsing };
  }
  matched = events.reduce((sum, event) => sum + match(event), 0);
  ratios.sort((a, b) => a - b);
  return {
    rules: rulesJson.length,
    bestRatio: round2(ratios.at(-1) as number),
    medianRatio: round2(ratios[Math.floor(ratios.length / 2)] as number),
    eventsPerSecond: Math.round(best.matching),
    jsonParsePerSecond: Math.round(best.parsing),
    matchesPerEvent: round2(matched / events.length),
  };
}

/** Measures matching throughput; prints tables and returns the figures. */
export async function run(): Promise<Record<string, unknown>> {
  const { events, origin } = benchEvents();
  const averageBytes = Math.round(events.reduce((sum, event) => sum + Buffer.byteLength(event), 0) / events.length);
  console.log(`pattern matching through RuleSet, ${events.length} ${origin} events (${averageBytes} bytes on average), single thread`);
  console.log(`ratio to JSON.parse of the same events, ${ROUNDS} alternating rounds of ${ROUND_MS} ms of CPU time`);
  console.log("mix        rules  best  median   events/s  JSON.parse/s  matches/event");
  const figures: Record<string, Figures[]> = { mixed: [], operators: [], indexed: [] };
  for (const [mix, build] of [
    ["mixed", mixedRules],
    ["operators", operatorRules],
    ["indexed", indexedRules],
  ] as const) {
    for (const count of RULE_COUNTS) {
      const f = measure(build(count), events);
      (figures[mix] as Figures[]).push(f);
      console.log(
        `${mix.padEnd(9)}  ${String(count).padStart(5)}  ${f.bestRatio.toFixed(2)}  ${f.medianRatio.toFixed(2).padStart(6)}  ${String(f.eventsPerSecond).padStart(9)}  ${String(f.jsonParsePerSecond).padStart(12)}  ${f.matchesPerEvent}`,
      );
    }
  }
  return { eventOrigin: origin, events: events.length, averageEventBytes: averageBytes, measuredIn: "CPU time", throughput: figures };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
