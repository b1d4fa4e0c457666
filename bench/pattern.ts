/**
 * Event-pattern matching throughput: events per second through a {@link RuleSet} of 1, 10, 100
 * and 1,000 rules, single thread, over Stripe-like EventBridge events (the files of
 * `test/fixtures/stripe-events/` when that folder exists, otherwise events built here).
 *
 * Two rule shapes:
 * - `indexed`: paybus-style rules (`source` + exact `detail-type`), which the rule set files under
 *   their detail-type, so the cost per event should stay flat;
 * - `unindexed`: rules with only prefix / numeric / anything-but conditions, which every event
 *   has to try, the linear worst case.
 *
 * Run with `npx tsx bench/pattern.ts`, or import {@link run}.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { snapshotEventTypes } from "../events/stripe-event-types.ts";
import { RuleSet } from "../pattern/index.ts";

const RULE_COUNTS = [1, 10, 100, 1000] as const;
/** Measuring time per configuration, after warming up. */
const MEASURE_MS = 700;
const WARM_UP_EVENTS = 20_000;
const FIXTURES = fileURLToPath(new URL("../test/fixtures/stripe-events/", import.meta.url));
const PARTNER_SOURCE = "aws.partner/stripe.com/ed_test_61L6lvFJkZ1C84wk5YVy0uY4";

/** An EventBridge event carrying a Stripe snapshot event of the given type, about 2 KB. */
function builtEvent(type: string, index: number): string {
  const created = 1_785_751_205 + index;
  const object = {
    id: `ch_${index.toString(36).padStart(24, "0")}`,
    object: type.split(".")[0],
    amount: 1500 + (index % 7) * 250,
    amount_captured: 1500,
    amount_refunded: 0,
    currency: ["usd", "eur", "jpy", "kwd"][index % 4],
    customer: `cus_${index.toString(36).padStart(14, "0")}`,
    description: "Premium plan",
    livemode: false,
    metadata: { product_category: index % 2 ? "premium" : "standard", customer_id: `app-${index}` },
    payment_intent: `pi_${index.toString(36).padStart(24, "0")}`,
    payment_method_details: { card: { brand: "visa", country: "US", exp_month: 12, exp_year: 2030, last4: "4242" } },
    billing_details: { address: { city: "San Francisco", country: "US", line1: "510 Townsend St", postal_code: "94103" } },
    outcome: { network_status: "approved_by_network", risk_level: "normal", risk_score: 32, type: "authorized" },
    status: "succeeded",
    created,
  };
  return JSON.stringify({
    version: "0",
    id: `a3e64b15-8c65-4a8d-b04f-${index.toString(16).padStart(12, "0")}`,
    "detail-type": type,
    source: PARTNER_SOURCE,
    account: "111122223333",
    time: new Date(created * 1000 + 2000).toISOString().replace(".000", ""),
    region: "us-east-1",
    resources: [`arn:aws:events:us-east-1::event-source/${PARTNER_SOURCE}`],
    detail: {
      id: `evt_${index.toString(36).padStart(24, "0")}`,
      object: "event",
      api_version: "2026-07-29.dahlia",
      created,
      data: { object, previous_attributes: {} },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    },
  });
}

const BUILT_TYPES = ["invoice.paid", "charge.succeeded", "payment_intent.succeeded", "charge.refunded", "customer.updated"];

function benchEvents(): { events: string[]; origin: string } {
  if (existsSync(FIXTURES)) {
    const files = readdirSync(FIXTURES).filter((name) => name.endsWith(".json") && name !== "manifest.json");
    if (files.length > 0) {
      return { events: files.map((name) => readFileSync(join(FIXTURES, name), "utf8")), origin: "test/fixtures/stripe-events" };
    }
  }
  return { events: Array.from({ length: 50 }, (_, i) => builtEvent(BUILT_TYPES[i % BUILT_TYPES.length] as string, i)), origin: "built" };
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
