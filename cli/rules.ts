/**
 * `paybus rules`: check event patterns offline with the EventBridge-compatible matcher.
 *
 *   paybus rules test --pattern <file|json> <event files…>
 *   paybus rules lint
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { PARTNER_SOURCE_PREFIX, queues, ruleList, WEBHOOK_SOURCE, type QueueDeclaration, type RuleDeclaration } from "../declarations/rules.ts";
import { acceptedEventTypes } from "../declarations/consumers.ts";
import { isBareStripeEvent, partnerEnvelope } from "../events/partner-envelope.ts";
import { stripeEventTypes } from "../events/stripe-event-types.ts";
import { compilePattern, InvalidEventError, InvalidEventPatternError, RuleSet } from "../pattern/index.ts";

/** Sources a Stripe event can arrive with: the partner event source and the webhook bridge. */
export const LINT_SOURCES = [`${PARTNER_SOURCE_PREFIX}ed_test_x`, WEBHOOK_SOURCE] as const;

const USAGE = "usage: paybus rules test --pattern <file|json> <event files…>";

function print(line = ""): void {
  process.stdout.write(`${line}\n`);
}

function printError(line: string): void {
  process.stderr.write(`paybus rules: ${line}\n`);
}

/** A bare Stripe event's text as its partner event source envelope's; anything else as it is (the matcher says what is wrong with it). */
function asEnvelope(json: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return json;
  }
  return isBareStripeEvent(parsed) ? JSON.stringify(partnerEnvelope(parsed, "rules-test")) : json;
}

/** A pattern given inline (it starts like JSON) or as a file to read. */
function readPattern(argument: string): string {
  return /^\s*[{[]/.test(argument) ? argument : readFileSync(argument, "utf8");
}

function verdict(matcher: { matches(json: string): boolean }, file: string): { line: string; ok: boolean } {
  let json: string;
  try {
    json = readFileSync(file, "utf8");
  } catch (error) {
    return { line: `unreadable ${file}: ${(error as Error).message}`, ok: false };
  }
  json = asEnvelope(json);
  try {
    return { line: `${matcher.matches(json) ? "match   " : "no-match"}   ${file}`, ok: true };
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    return { line: `invalid    ${file}: ${error.message}`, ok: false };
  }
}

/**
 * `paybus rules test`: prints `match`, `no-match` or `invalid` for each event file. Returns 1 if
 * the pattern is invalid or an event file cannot be read or parsed, 2 on a usage error.
 */
export async function rulesTest(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { pattern: { type: "string" } } });
  if (values.pattern === undefined || positionals.length === 0) {
    printError(USAGE);
    return 2;
  }
  let source: string;
  try {
    source = readPattern(values.pattern);
  } catch (error) {
    printError(`cannot read pattern ${values.pattern}: ${(error as Error).message}`);
    return 1;
  }
  let matcher: { matches(json: string): boolean };
  try {
    matcher = compilePattern(source);
  } catch (error) {
    if (!(error instanceof InvalidEventPatternError)) throw error;
    print(`invalid pattern: ${error.awsMessage}`);
    return 1;
  }
  const results = positionals.map((file) => verdict(matcher, file));
  for (const { line } of results) print(line);
  return results.every(({ ok }) => ok) ? 0 : 1;
}

/** A synthetic EventBridge event of one Stripe event type from one source. */
function syntheticEvent(type: string, source: string): string {
  const thin = /^v\d+\./.test(type);
  return JSON.stringify({
    version: "0",
    id: "00000000-0000-4000-8000-000000000000",
    "detail-type": type,
    source,
    account: "111122223333",
    time: "2026-01-01T00:00:00Z",
    region: "us-east-1",
    resources: [],
    detail: thin
      ? { id: "evt_test_x", object: "v2.core.event", type }
      : { id: "evt_test_x", object: "event", type, data: { object: {} } },
  });
}

/** What `paybus rules lint` found. */
export interface LintReport {
  /** Rule name -> reason, for patterns EventBridge would reject. */
  readonly invalid: ReadonlyMap<string, string>;
  /** Rule name -> event type -> the sources from which that type reaches the rule. */
  readonly catches: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  /** `[ruleA, ruleB, types both catch]` for every pair of rules catching a common event. */
  readonly overlaps: readonly (readonly [string, string, readonly string[]])[];
  /** Event types no rule catches from any source. */
  readonly uncaught: readonly string[];
  /** Rules routing event types the consumer of their queue does not accept (they would go to its DLQ). */
  readonly unaccepted: readonly ConsumerMismatch[];
}

/** A rule that routes detail-types its queue's consumer would treat as poison. */
export interface ConsumerMismatch {
  readonly rule: string;
  readonly queue: string;
  /** The consumer's handler path, as declared on the queue. */
  readonly consumer: string;
  readonly missing: readonly string[];
}

/** Who consumes what: queue declarations and, per queue, the detail-types its consumer accepts. */
export interface ConsumerContracts {
  readonly queues: { readonly [name: string]: Pick<QueueDeclaration, "consumer"> };
  readonly accepted: { readonly [queue: string]: readonly string[] };
}

const declaredContracts: ConsumerContracts = { queues, accepted: acceptedEventTypes };

/** One line per mismatch, naming the rule, queue, consumer and the types it would reject. */
export function describeMismatch(mismatch: ConsumerMismatch): string {
  return (
    `rule ${mismatch.rule} routes ${mismatch.missing.join(", ")} to queue "${mismatch.queue}", ` +
    `but its consumer ${mismatch.consumer} does not accept ${mismatch.missing.length === 1 ? "it" : "them"} ` +
    `(every such event would go to the DLQ): handle ${mismatch.missing.length === 1 ? "it" : "them"} in the consumer ` +
    `and list ${mismatch.missing.length === 1 ? "it" : "them"} in declarations/consumers.ts, or narrow the rule`
  );
}

/** Evaluates every rule against a synthetic event per Stripe event type and source. */
export function lintRules(
  rules: readonly RuleDeclaration[],
  eventTypes: readonly string[] = stripeEventTypes,
  contracts: ConsumerContracts = declaredContracts,
): LintReport {
  const invalid = new Map<string, string>();
  const ruleSet = new RuleSet();
  for (const rule of rules) {
    try {
      ruleSet.add(rule.name, JSON.stringify(rule.pattern));
    } catch (error) {
      if (!(error instanceof InvalidEventPatternError)) throw error;
      invalid.set(rule.name, error.message);
    }
  }
  const catches = new Map<string, Map<string, string[]>>();
  const uncaught: string[] = [];
  for (const type of eventTypes) {
    let caught = false;
    for (const source of LINT_SOURCES) {
      for (const name of ruleSet.matchingRules(syntheticEvent(type, source))) {
        caught = true;
        const byType = catches.get(name) ?? new Map<string, string[]>();
        catches.set(name, byType.set(type, [...(byType.get(type) ?? []), source]));
      }
    }
    if (!caught) uncaught.push(type);
  }
  return { invalid, catches, overlaps: overlaps(rules, catches), uncaught, unaccepted: unaccepted(rules, catches, contracts) };
}

/**
 * Compares what each queue-targeting rule catches (evaluated, so prefix and wildcard patterns count)
 * with what the queue's consumer accepts. A queue with no declared consumer contract is a mismatch
 * for every type its rules catch.
 */
function unaccepted(
  rules: readonly RuleDeclaration[],
  catches: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>,
  contracts: ConsumerContracts,
): ConsumerMismatch[] {
  const found: ConsumerMismatch[] = [];
  for (const rule of rules) {
    if (!("queue" in rule.target)) continue;
    const queue: string = rule.target.queue;
    const accepted = new Set(contracts.accepted[queue] ?? []);
    const missing = [...(catches.get(rule.name)?.keys() ?? [])].filter((type) => !accepted.has(type));
    if (missing.length === 0) continue;
    const consumer = contracts.queues[queue]?.consumer.handler ?? "(no consumer declared)";
    found.push({ rule: rule.name, queue, consumer, missing });
  }
  return found;
}

function overlaps(
  rules: readonly RuleDeclaration[],
  catches: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>,
): [string, string, string[]][] {
  const found: [string, string, string[]][] = [];
  rules.forEach((a, index) => {
    for (const b of rules.slice(index + 1)) {
      const typesOfB = catches.get(b.name);
      const shared = [...(catches.get(a.name)?.keys() ?? [])].filter((type) => typesOfB?.has(type));
      if (shared.length > 0) found.push([a.name, b.name, shared]);
    }
  });
  return found;
}

/** `invoice: paid, payment_failed` lines, one per resource family. */
function groupedTypes(types: readonly string[]): string[] {
  const groups = new Map<string, string[]>();
  for (const type of types) {
    const dot = type.indexOf(".", /^v\d+\./.test(type) ? type.indexOf(".") + 1 : 0);
    const family = type.slice(0, dot);
    groups.set(family, [...(groups.get(family) ?? []), type.slice(dot + 1)]);
  }
  return [...groups].map(([family, events]) => `${family}: ${events.join(", ")}`);
}

function printReport(rules: readonly RuleDeclaration[], report: LintReport): void {
  print(`Rules (${rules.length}), checked against ${stripeEventTypes.length} Stripe event types from ${LINT_SOURCES.join(" and ")}:`);
  for (const rule of rules) {
    const reason = report.invalid.get(rule.name);
    if (reason !== undefined) {
      print(`  ${rule.name}: INVALID PATTERN: ${reason}`);
      continue;
    }
    const types = report.catches.get(rule.name) ?? new Map<string, readonly string[]>();
    print(`  ${rule.name}: ${types.size} event type${types.size === 1 ? "" : "s"}`);
    for (const [type, sources] of types) {
      const partial = sources.length < LINT_SOURCES.length ? ` (only from ${sources.join(", ")})` : "";
      print(`    ${type}${partial}`);
    }
  }
  print();
  if (report.overlaps.length === 0) print("Overlaps: none");
  for (const [a, b, types] of report.overlaps) print(`Overlap: ${a} and ${b} both catch ${types.join(", ")}`);
  print();
  print(`Uncaught: ${report.uncaught.length} of ${stripeEventTypes.length} event types reach no rule`);
  for (const line of groupedTypes(report.uncaught)) print(`  ${line}`);
  print();
  if (report.unaccepted.length === 0) print("Consumers: every routed event type is accepted by its queue's consumer");
  for (const mismatch of report.unaccepted) print(`Consumer mismatch: ${describeMismatch(mismatch)}`);
}

/**
 * `paybus rules lint`: which Stripe event types each rule of `declarations/rules.ts` can match, which
 * rules overlap, which event types no rule catches, and whether each queue's consumer accepts
 * every type routed to it. Returns 1 if a pattern is invalid or a consumer would reject a routed type.
 */
export async function rulesLint(
  rules: readonly RuleDeclaration[] = ruleList,
  contracts: ConsumerContracts = declaredContracts,
): Promise<number> {
  const report = lintRules(rules, stripeEventTypes, contracts);
  printReport(rules, report);
  if (report.invalid.size > 0) printError(`${report.invalid.size} invalid pattern(s)`);
  for (const mismatch of report.unaccepted) printError(describeMismatch(mismatch));
  return report.invalid.size > 0 || report.unaccepted.length > 0 ? 1 : 0;
}
