/**
 * `paybus new consumer <name> --events <detail-types…>`: a new rule, queue and consumer in one step.
 *
 * Writes the declaration (a queue with its consumer and a rule targeting it, appended to `queues`
 * and `rules` in `declarations/rules.ts`), the consumer's accepted types (`declarations/consumers.ts`), the
 * folder `functions/<name>/` (a thin `handler.ts` on the shared batch wiring, a typed `core.ts`, a
 * `core.test.ts` on a fixture loaded through `fixtures/index.ts`) and the regenerated event list of
 * `docs/deploy.md`. The consumer starts with no AWS access, so the IAM audit has nothing to exercise
 * until a grant is added (and then `test/iam.e2e.test.ts` must exercise it).
 *
 * Edits are text insertions at fixed anchors (the end of each declaration literal), so they land in
 * the same place every time and never reformat what is there.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { queues, ruleList, stripeSources, defaultRetry, type RuleDeclaration } from "../declarations/rules.ts";
import { isKnownEventType } from "../events/stripe-event.ts";
import { stripeEventTypes } from "../events/stripe-event-types.ts";
import { fixtureNames, loadFixture } from "../fixtures/index.ts";
import { renderDeployGuide } from "../scripts/docs.ts";

/** A scaffold request that cannot be honoured; the message says what to change. */
export class ScaffoldError extends Error {
  override name = "ScaffoldError";
}

export interface ConsumerScaffold {
  /** Folder name under `functions/`, kebab-case (`refund-audit`). */
  readonly name: string;
  /** Stripe detail-types the rule routes and the consumer accepts. */
  readonly events: readonly string[];
}

/** What {@link scaffoldConsumer} wrote, relative to the root. */
export interface ScaffoldResult {
  readonly queue: string;
  readonly rule: string;
  readonly fixture: string;
  readonly created: readonly string[];
  readonly edited: readonly string[];
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

const words = (name: string) => name.split("-");
const camel = (name: string) => words(name).map((word, index) => (index === 0 ? word : word[0]!.toUpperCase() + word.slice(1))).join("");
const pascal = (name: string) => words(name).map((word) => word[0]!.toUpperCase() + word.slice(1)).join("");
const constant = (name: string) => words(name).join("_").toUpperCase();

/** The first fixture of one of `events` (in fixture order), for the generated test. */
function fixtureFor(events: readonly string[]): string | undefined {
  return fixtureNames.find((name) => events.includes(String(loadFixture(name)["detail-type"])));
}

/** Inserts `text` right before the first `anchor` after `after` in `source`. */
function insertBefore(source: string, anchor: string, text: string, file: string, after = 0): string {
  const at = source.indexOf(anchor, after);
  if (at < 0) throw new ScaffoldError(`${file}: cannot find "${anchor.trim()}" to insert after; was the file restructured?`);
  return source.slice(0, at) + text + source.slice(at);
}

function indexAfter(source: string, marker: string, file: string): number {
  const at = source.indexOf(marker);
  if (at < 0) throw new ScaffoldError(`${file}: cannot find "${marker}"`);
  return at + marker.length;
}

/** Checks the request against the declarations as they are. */
function validate(request: ConsumerScaffold, root: string): void {
  if (!NAME.test(request.name)) throw new ScaffoldError(`consumer name "${request.name}" must be kebab-case (a-z, 0-9, single dashes)`);
  if (request.events.length === 0) throw new ScaffoldError("give the detail-types the consumer handles: --events <type…>");
  const notStripe = request.events.filter((type) => !(stripeEventTypes as readonly string[]).includes(type));
  if (notStripe.length > 0) {
    throw new ScaffoldError(`${notStripe.join(", ")}: not a Stripe event type (events/stripe-event-types.ts lists them; \`paybus rules lint\` shows which no rule catches)`);
  }
  const unknown = request.events.filter((type) => !isKnownEventType(type));
  if (unknown.length > 0) {
    throw new ScaffoldError(`${unknown.join(", ")}: no event schema in events/ (add the object schema to events/stripe-event.ts first)`);
  }
  if (new Set(request.events).size !== request.events.length) throw new ScaffoldError("--events lists a type twice");
  if (existsSync(join(root, "functions", request.name))) throw new ScaffoldError(`functions/${request.name} already exists`);
  if (camel(request.name) in queues) throw new ScaffoldError(`a queue named "${camel(request.name)}" is already declared`);
  if (ruleList.some((rule) => rule.name === pascal(request.name))) throw new ScaffoldError(`a rule named "${pascal(request.name)}" is already declared`);
}

/** The rule the scaffold declares, as data (also used to regenerate the deploy guide). */
function ruleOf(request: ConsumerScaffold): RuleDeclaration {
  return {
    name: pascal(request.name),
    description: `Stripe ${request.events.join(", ")} for the ${request.name} consumer.`,
    pattern: { source: stripeSources(), "detail-type": [...request.events] },
    target: { queue: camel(request.name) as never },
    retryPolicy: defaultRetry,
  };
}

const list = (events: readonly string[]) => events.map((type) => JSON.stringify(type)).join(", ");

function declarationEdits(source: string, request: ConsumerScaffold): string {
  const file = "declarations/rules.ts";
  const queue = camel(request.name);
  const queueEntry = `  ${queue}: {
    description: ${JSON.stringify(`Stripe ${request.events.join(", ")} for the ${request.name} consumer.`)},
    context: ${JSON.stringify(request.name)},
    // Six times the function timeout, as AWS recommends for SQS event sources.
    visibilityTimeoutSeconds: 60,
    retentionSeconds: 4 * DAY,
    maxReceiveCount: 5,
    consumer: {
      handler: "functions/${request.name}/handler.handler",
      batchSize: 10,
      batchingWindowSeconds: 0,
      maximumConcurrency: 5,
      timeoutSeconds: 10,
      memoryMb: 256,
      // No AWS access yet. Grant exactly what the code calls, and exercise it in test/iam.e2e.test.ts.
      access: {},
    },
  },
`;
  const ruleEntry = `  {
    name: ${JSON.stringify(pascal(request.name))},
    description: ${JSON.stringify(`Stripe ${request.events.join(", ")} for the ${request.name} consumer.`)},
    pattern: {
      source: stripeSources(),
      "detail-type": [${list(request.events)}],
    },
    target: { queue: ${JSON.stringify(queue)} },
    retryPolicy: defaultRetry,
  },
`;
  const withQueue = insertBefore(source, "} as const satisfies Record<string, QueueDeclaration>;", queueEntry, file, indexAfter(source, "export const queues = {", file));
  return insertBefore(withQueue, "] as const satisfies readonly RuleDeclaration[];", ruleEntry, file, indexAfter(withQueue, "export const rules = [", file));
}

function consumerRegistryEdits(source: string, request: ConsumerScaffold): string {
  const file = "declarations/consumers.ts";
  const queue = camel(request.name);
  const types = `${constant(request.name)}_EVENT_TYPES`;
  const lastImport = source.lastIndexOf("\nimport ");
  const importEnd = source.indexOf("\n", lastImport + 1) + 1;
  let out = `${source.slice(0, importEnd)}import { ${types} } from "../functions/${request.name}/core.ts";\n${source.slice(importEnd)}`;
  out = insertBefore(out, "} as const satisfies { readonly [Q in QueueName]", `  ${queue}: ${types},\n`, file, indexAfter(out, "export const acceptedEventTypes = {", file));
  return insertBefore(out, "\n};", `\n  ${queue}: true,`, file, indexAfter(out, "export const consumersAgreeWithRules", file));
}

function handlerFile(request: ConsumerScaffold): string {
  const Name = pascal(request.name);
  return `/**
 * Lambda entry point of the ${request.name} consumer (queue \`${camel(request.name)}\`): wiring only. Each SQS
 * record goes to {@link handle${Name}}; failures are reported per record by the shared batch handler.
 */
import { sqsBatchHandler } from "../common/batch.ts";
import { createLogger } from "../common/logger.ts";
import { handle${Name} } from "./core.ts";

const logger = createLogger(${JSON.stringify(request.name)});

/** SQS batch handler with partial batch failures. */
export const handler = sqsBatchHandler(logger, async (record) => {
  const outcome = handle${Name}(record.body);
  // Ids and types only: safe to log.
  logger.info(${JSON.stringify(`${request.name} event`)}, { ...outcome });
  return outcome;
});
`;
}

function coreFile(request: ConsumerScaffold): string {
  const Name = pascal(request.name);
  const TYPES = `${constant(request.name)}_EVENT_TYPES`;
  return `/**
 * The ${request.name} consumer's decisions, without I/O: one Stripe event in, an outcome out.
 * (Scaffolded by \`paybus new consumer\`: replace {@link decide} with what the consumer does.)
 */
import { decodeStripeMessage, type TypedStripeEvent } from "../../events/parse.ts";

/**
 * The Stripe event types this consumer handles. The rule \`${Name}\` routes exactly these;
 * \`declarations/consumers.ts\` fails type-checking (and \`paybus rules lint\`) if a rule routes more.
 */
export const ${TYPES} = [${list(request.events)}] as const;
export type ${Name}EventType = (typeof ${TYPES})[number];

/** What became of one event (ids only: safe to log). */
export type ${Name}Outcome =
  | { readonly kind: "handled"; readonly eventId: string; readonly type: ${Name}EventType; readonly objectId: string }
  | { readonly kind: "ignored"; readonly eventId: string; readonly reason: string };

/** The decision for one typed event. */
export function decide(event: TypedStripeEvent<${Name}EventType>): ${Name}Outcome {
  const object = event.object as { readonly id?: unknown };
  return { kind: "handled", eventId: event.event.id, type: event.type, objectId: String(object.id ?? "") };
}

/**
 * Handles one SQS message body.
 *
 * @throws EventContractError (poison) for a message that is not one of {@link ${TYPES}}.
 */
export function handle${Name}(body: string): ${Name}Outcome {
  const decoded = decodeStripeMessage(body, ${TYPES});
  if (decoded.kind === "thin") return { kind: "ignored", eventId: decoded.event.id, reason: \`thin event \${decoded.event.type}\` };
  return decide(decoded);
}
`;
}

function testFile(request: ConsumerScaffold, fixture: string): string {
  const Name = pascal(request.name);
  const other = ["invoice.paid", "customer.created"].find((type) => !request.events.includes(type))!;
  return `import { describe, expect, it } from "vitest";
import { UnknownEventTypeError } from "../../events/errors.ts";
import { fixtureText, loadFixture } from "../../fixtures/index.ts";
import { handle${Name} } from "./core.ts";

describe(${JSON.stringify(`${request.name} consumer`)}, () => {
  it(${JSON.stringify(`handles ${fixture}`)}, () => {
    const envelope = loadFixture(${JSON.stringify(fixture)});

    const outcome = handle${Name}(fixtureText(${JSON.stringify(fixture)}));

    expect(outcome).toEqual({
      kind: "handled",
      eventId: envelope.detail.id,
      type: envelope["detail-type"],
      objectId: envelope.detail.data.object.id,
    });
  });

  it("refuses an event type it does not accept, as poison", () => {
    const envelope = loadFixture(${JSON.stringify(fixture)});
    envelope["detail-type"] = envelope.detail.type = ${JSON.stringify(other)};

    expect(() => handle${Name}(JSON.stringify(envelope))).toThrow(UnknownEventTypeError);
  });
});
`;
}

/**
 * Scaffolds a consumer under `root` (the repository, or a copy of it).
 *
 * @throws ScaffoldError when the name or a type is invalid, already declared, or has no fixture.
 */
export function scaffoldConsumer(root: string, request: ConsumerScaffold): ScaffoldResult {
  validate(request, root);
  const fixture = fixtureFor(request.events);
  if (fixture === undefined) {
    throw new ScaffoldError(`no fixture in fixtures/stripe-events/ is one of ${request.events.join(", ")}: add one for the generated test`);
  }
  const rulesPath = join(root, "declarations", "rules.ts");
  const registryPath = join(root, "declarations", "consumers.ts");
  const guidePath = join(root, "docs", "deploy.md");
  // Compute every edit before writing anything, so a failed anchor leaves the tree untouched.
  const rules = declarationEdits(readFileSync(rulesPath, "utf8"), request);
  const registry = consumerRegistryEdits(readFileSync(registryPath, "utf8"), request);
  const guide = renderDeployGuide(readFileSync(guidePath, "utf8"), [...ruleList, ruleOf(request)]);
  const folder = join(root, "functions", request.name);
  mkdirSync(folder);
  writeFileSync(join(folder, "handler.ts"), handlerFile(request));
  writeFileSync(join(folder, "core.ts"), coreFile(request));
  writeFileSync(join(folder, "core.test.ts"), testFile(request, fixture));
  writeFileSync(rulesPath, rules);
  writeFileSync(registryPath, registry);
  writeFileSync(guidePath, guide);
  return {
    queue: camel(request.name),
    rule: pascal(request.name),
    fixture,
    created: ["handler.ts", "core.ts", "core.test.ts"].map((file) => `functions/${request.name}/${file}`),
    edited: ["declarations/rules.ts", "declarations/consumers.ts", "docs/deploy.md"],
  };
}

/** `paybus new consumer <name> --events <types…>` (types also comma-separated). */
export function newCommand(argv: readonly string[], root: string, out: NodeJS.WritableStream = process.stdout): number {
  const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: { events: { type: "string", multiple: true } } });
  const [kind, name, ...more] = positionals;
  if (kind !== "consumer" || name === undefined) throw new ScaffoldError("usage: paybus new consumer <name> --events <detail-type…>");
  const events = [...(values.events ?? []), ...more].flatMap((value) => value.split(",")).map((type) => type.trim()).filter(Boolean);
  const result = scaffoldConsumer(root, { name, events });
  out.write(
    [
      `Declared rule ${result.rule} → queue ${result.queue} → functions/${name}/handler.handler`,
      ...result.created.map((file) => `  created ${file}`),
      ...result.edited.map((file) => `  edited  ${file}`),
      `The test reads fixture ${result.fixture}, which now reaches ${result.rule} too: add ${result.rule} to its entry in`,
      "declarations/rules.test.ts (it pins which rules each fixture reaches).",
      `Next: write the decision in functions/${name}/core.ts, then`,
      "  npm test && npm run typecheck && npm run paybus -- rules lint",
      "",
    ].join("\n"),
  );
  return 0;
}
