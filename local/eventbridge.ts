/**
 * A local EventBridge bus: PutEvents with AWS's per-entry validation and size limit, rules from the
 * routing declaration matched by paybus's pattern engine, delivery with the target retry policy and
 * a target DLQ, an on-disk archive of every accepted event, replay, and TestEventPattern.
 */
import { randomUUID } from "node:crypto";
import { InvalidEventError, nestedTooDeep, RuleSet } from "../pattern/index.ts";
import type { RuleDeclaration } from "../declarations/rules.ts";
import { AwsServiceError, type Operations } from "./aws-json.ts";
import type { Archive, ReplayFilter } from "./archive.ts";
import { parsePutEventsRequest, PUT_EVENTS_MAX_ENTRIES, stringMember } from "./eventbridge/request.ts";
import { testEventPattern } from "./eventbridge/test-event-pattern.ts";
import type { Journal } from "./journal.ts";
import type { DeliveryLog } from "./bus-deliveries.ts";

export { PUT_EVENTS_MAX_ENTRIES, parsePutEventsRequest } from "./eventbridge/request.ts";
export { TEST_EVENT_REQUIRED_FIELDS, testEventPattern } from "./eventbridge/test-event-pattern.ts";

/** AWS's PutEvents request limit. The entry limit rose from 256 KB to 1 MB on 2026-01-29. */
export const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;
/** The bus every account has; paybus declares no rule on it. */
export const DEFAULT_BUS = "default";
/** A warning about the same bus is printed at most this often. */
const WARNING_INTERVAL_MS = 10_000;

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  Time?: number | string;
  EventBusName?: string;
  TraceHeader?: string;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** Entry size as EventBridge counts it: Time (14 bytes if set) + Source + DetailType + Detail + Resources. */
export function entrySize(entry: PutEventsEntry): number {
  let size = entry.Time !== undefined ? 14 : 0;
  for (const text of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) {
    if (text) size += Buffer.byteLength(text, "utf8");
  }
  return size;
}

function entryError(code: string, message: string): PutEventsResultEntry {
  return { ErrorCode: code, ErrorMessage: message };
}

/** Why AWS would refuse this entry, or undefined when it would accept it. */
export function validateEntry(
  entry: PutEventsEntry,
  busNames: ReadonlySet<string>,
  options: { partner?: boolean } = {},
): PutEventsResultEntry | undefined {
  return judgeEntry(entry, busNames, options).problem;
}

/**
 * {@link validateEntry}, with what its parse of `Detail` found that the bus journals (the Stripe
 * event id): a detail of several kilobytes is parsed once per PutEvents entry, not twice.
 */
function judgeEntry(entry: PutEventsEntry, busNames: ReadonlySet<string>, options: { partner?: boolean }): { problem?: PutEventsResultEntry; detailId?: string } {
  const problem = (error: PutEventsResultEntry) => ({ problem: error });
  for (const field of ["Source", "DetailType", "Detail"] as const) {
    if (typeof entry[field] !== "string" || entry[field] === "") {
      return problem(entryError("InvalidArgument", `Parameter ${field} is not valid. Reason: ${field} is a required argument.`));
    }
  }
  const partnerSource = options.partner === true && entry.Source!.startsWith("aws.partner/");
  if (entry.Source!.startsWith("aws.") && !partnerSource) {
    return problem(entryError("NotAuthorizedForSourceException", "Not authorized for the source."));
  }
  const bus = busName(entry.EventBusName);
  if (!busNames.has(bus)) return problem(entryError("ResourceNotFoundException", `Event bus ${bus} does not exist.`));
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail!);
  } catch {
    return problem(entryError("MalformedDetail", "Detail is malformed."));
  }
  if (detail === null || typeof detail !== "object" || Array.isArray(detail)) {
    return problem(entryError("MalformedDetail", "Detail is malformed."));
  }
  // Deeper than the matcher (like Jackson, 1,000 levels) reads: refused here rather than failing the whole call.
  if (nestedTooDeep(entry.Detail!, 1)) return problem(entryError("MalformedDetail", "Detail is malformed."));
  const detailId = (detail as { id?: unknown }).id;
  return typeof detailId === "string" ? { detailId } : {};
}

/** The bus an entry names (by name or ARN); no name means the default bus. */
export function busName(nameOrArn: string | undefined): string {
  if (!nameOrArn) return DEFAULT_BUS;
  const marker = ":event-bus/";
  const at = nameOrArn.indexOf(marker);
  return at === -1 ? nameOrArn : nameOrArn.slice(at + marker.length);
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function entryTime(time: number | string | undefined): Date {
  if (time === undefined) return new Date();
  const date = typeof time === "number" ? new Date(time * 1000) : new Date(time);
  return Number.isNaN(date.getTime()) ? new Date() : date;
}

/**
 * The envelope targets receive, built as text around the caller's `Detail` so that number literals
 * (e.g. integers beyond 2^53) reach consumers exactly as sent.
 */
export function buildEnvelope(
  entry: Required<Pick<PutEventsEntry, "Source" | "DetailType" | "Detail">> & PutEventsEntry,
  context: { id: string; account: string; region: string; replayName?: string | undefined },
): string {
  const head = {
    version: "0",
    id: context.id,
    "detail-type": entry.DetailType,
    source: entry.Source,
    account: context.account,
    time: isoSeconds(entryTime(entry.Time)),
    region: context.region,
    resources: entry.Resources ?? [],
    ...(context.replayName ? { "replay-name": context.replayName } : {}),
  };
  return `${JSON.stringify(head).slice(0, -1)},"detail":${entry.Detail.trim()}}`;
}

/** Where a rule's matching events go, and where they go when delivery keeps failing. */
export interface RuleTargetBinding {
  readonly arn: string;
  deliver(eventJson: string): Promise<void>;
  deadLetter(eventJson: string, error: Error, ruleArn: string): Promise<void>;
}

export interface LocalEventBusOptions {
  readonly name: string;
  readonly region: string;
  readonly accountId: string;
  readonly rules: readonly RuleDeclaration[];
  readonly targets: (rule: RuleDeclaration) => RuleTargetBinding;
  readonly journal: Journal;
  readonly archive: Archive;
  readonly maxRequestBytes?: number;
  /** Multiplies retry delays (1 = EventBridge's own backoff). */
  readonly retryTimeScale?: number;
  /** Where the bus reports what a user should know (events on the default bus or a missing bus). */
  readonly warn?: (message: string) => void;
  /** Records finished deliveries, so that {@link LocalEventBus.resumeDeliveries} can finish the others after a restart. */
  readonly deliveries?: DeliveryLog;
}

/** One event bus with its rules and targets. */
export class LocalEventBus {
  private readonly ruleSet = new RuleSet();
  private readonly rulesByName = new Map<string, RuleDeclaration>();
  private readonly bindings = new Map<string, RuleTargetBinding>();
  private pendingDeliveries = 0;
  private readonly lastWarning = new Map<string, number>();

  constructor(private readonly options: LocalEventBusOptions) {
    for (const rule of options.rules) {
      this.ruleSet.add(rule.name, JSON.stringify(rule.pattern));
      this.rulesByName.set(rule.name, rule);
      this.bindings.set(rule.name, options.targets(rule));
    }
  }

  get name(): string {
    return this.options.name;
  }

  /** True while deliveries (including retries) are still under way. */
  get busy(): boolean {
    return this.pendingDeliveries > 0;
  }

  /** The ARN of an EventBridge resource of this bus's account and region (`rule/<bus>/<name>`, `archive/<name>`, …). */
  arnOf(resource: string): string {
    return `arn:aws:events:${this.options.region}:${this.options.accountId}:${resource}`;
  }

  /** This bus's ARN. */
  get arn(): string {
    return this.busArn(this.options.name);
  }

  ruleArn(name: string): string {
    return this.arnOf(`rule/${this.options.name}/${name}`);
  }

  /**
   * PutEvents: validates each entry, archives and routes the accepted ones. `partner` lets
   * `aws.partner/…` sources in, as the partner integration (not a caller) may use them.
   */
  putEvents(
    entries: PutEventsEntry[] | undefined,
    options: { partner?: boolean } = {},
  ): { FailedEntryCount: number; Entries: PutEventsResultEntry[] } {
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > PUT_EVENTS_MAX_ENTRIES) {
      throw new AwsServiceError(
        "ValidationException",
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${PUT_EVENTS_MAX_ENTRIES} and greater than or equal to 1`,
      );
    }
    const total = entries.reduce((sum, entry) => sum + entrySize(entry), 0);
    const limit = this.options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    if (total > limit) {
      entries.forEach((entry, index) => this.reject(index, entry, "ValidationException", `Total size of the entries in the request is over the limit (${total} > ${limit} bytes).`));
      throw new AwsServiceError("ValidationException", `Total size of the entries in the request is over the limit (${total} > ${limit} bytes).`);
    }
    const busNames = new Set([this.options.name, DEFAULT_BUS]);
    // Every entry is judged before any is accepted, so nothing is half-done if judging fails.
    const verdicts = entries.map((entry) => judgeEntry(entry, busNames, options));
    const results = entries.map((entry, index): PutEventsResultEntry => {
      const { problem, detailId } = verdicts[index]!;
      if (problem) {
        if ("ErrorCode" in problem) this.reject(index, entry, problem.ErrorCode, problem.ErrorMessage);
        if ("ErrorCode" in problem && problem.ErrorCode === "ResourceNotFoundException") {
          const name = busName(entry.EventBusName);
          this.warnAbout(name, `EventBridge: an event for bus "${name}" was refused (ResourceNotFoundException): that bus does not exist here; paybus's rules are on "${this.options.name}".`);
        }
        return problem;
      }
      return this.accept(index, entry, detailId);
    });
    return { FailedEntryCount: results.filter((result) => "ErrorCode" in result).length, Entries: results };
  }

  /** Archives and routes one valid entry; the default bus keeps it (no rule of paybus's runs). */
  private accept(index: number, entry: PutEventsEntry, stripeEventId: string | undefined): PutEventsResultEntry {
    const id = randomUUID();
    if (busName(entry.EventBusName) !== this.options.name) {
      this.options.journal.record({ kind: "bus.accepted", eventId: id, detailType: entry.DetailType ?? "", source: entry.Source ?? "", matchedRules: [], eventBus: DEFAULT_BUS });
      this.warnAbout(
        DEFAULT_BUS,
        `EventBridge: an event was put on the default bus (EventBusName omitted or "default"), which has no paybus rules: it was accepted and matched nothing. Put events on "${this.options.name}" (EventBusName=${this.options.name}).`,
      );
      return { EventId: id };
    }
    const eventJson = buildEnvelope(entry as Parameters<typeof buildEnvelope>[0], { id, account: this.options.accountId, region: this.options.region });
    try {
      // Matched before it is archived: an event the engine refuses (nested too deep, or too complex
      // to decide) is refused here, not archived to fail again on every restart and replay.
      const matched = this.ruleSet.matchingRules(eventJson);
      this.options.archive.append(eventJson);
      this.route(eventJson, id, entry, { stripeEventId }, undefined, matched);
    } catch (error) {
      if (error instanceof InvalidEventError) {
        // A deliberate, documented difference: AWS's own limits differ; refusing is the only answer
        // that neither loses the event silently nor invites the retry InternalFailure would.
        this.reject(index, entry, "InvalidArgument", error.message);
        return entryError("InvalidArgument", `Event is not valid: ${error.message}`);
      }
      // A fault of the local engine fails this entry as AWS's retryable InternalFailure, not the
      // request (the entries before it stay accepted, as their results say).
      this.reject(index, entry, "InternalFailure", (error as Error).message);
      return entryError("InternalFailure", "The request processing has failed because of an unknown error, exception or failure.");
    }
    return { EventId: id };
  }

  private warnAbout(key: string, message: string): void {
    const now = Date.now();
    if (now - (this.lastWarning.get(key) ?? -Infinity) < WARNING_INTERVAL_MS) return;
    this.lastWarning.set(key, now);
    (this.options.warn ?? ((line: string) => process.stderr.write(`${line}\n`)))(message);
  }

  private reject(index: number, entry: PutEventsEntry, errorCode: string, errorMessage: string): void {
    this.options.journal.record({
      kind: "bus.rejected",
      index,
      errorCode,
      errorMessage,
      source: entry.Source,
      detailType: entry.DetailType,
      detail: entry.Detail && entry.Detail.length <= 64 * 1024 ? entry.Detail : undefined,
    });
  }

  /** `known` carries the Stripe event id when the caller parsed the detail already (PutEvents validated it). */
  private route(eventJson: string, id: string, entry: PutEventsEntry, known: { stripeEventId: string | undefined } | undefined, replayName?: string, matched = this.ruleSet.matchingRules(eventJson)): string[] {
    let stripeEventId = known?.stripeEventId;
    if (!known) {
      try {
        const detailId = (JSON.parse(entry.Detail ?? "{}") as { id?: unknown }).id;
        if (typeof detailId === "string") stripeEventId = detailId;
      } catch {
        // validated earlier; nothing to add
      }
    }
    this.options.journal.record({
      kind: "bus.accepted",
      eventId: id,
      stripeEventId,
      detailType: entry.DetailType ?? "",
      source: entry.Source ?? "",
      replayName,
      matchedRules: matched,
      envelope: eventJson,
    });
    for (const name of matched) void this.deliver(name, eventJson, id);
    return matched;
  }

  /** Delivers with EventBridge's retry policy: exponential backoff, then the target DLQ. */
  private async deliver(ruleName: string, eventJson: string, eventId: string): Promise<void> {
    const rule = this.rulesByName.get(ruleName)!;
    const binding = this.bindings.get(ruleName)!;
    const { maximumRetryAttempts, maximumEventAgeSeconds } = rule.retryPolicy;
    const scale = this.options.retryTimeScale ?? 1;
    const started = Date.now();
    this.pendingDeliveries++;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await binding.deliver(eventJson);
          this.options.deliveries?.finished(eventId, ruleName);
          this.options.journal.record({ kind: "target.delivered", eventId, rule: ruleName, target: binding.arn, attempt });
          return;
        } catch (cause) {
          const error = cause instanceof Error ? cause : new Error(String(cause));
          this.options.journal.record({ kind: "target.failed", eventId, rule: ruleName, target: binding.arn, attempt, error: error.message });
          const age = (Date.now() - started) / 1000;
          if (attempt > maximumRetryAttempts || age >= maximumEventAgeSeconds * scale) {
            await binding.deadLetter(eventJson, error, this.ruleArn(ruleName));
            this.options.deliveries?.finished(eventId, ruleName);
            this.options.journal.record({ kind: "target.dlq", eventId, rule: ruleName, target: binding.arn, error: error.message });
            return;
          }
          const backoffMs = Math.min(60_000, 1000 * 2 ** (attempt - 1)) * scale * (0.5 + Math.random() / 2);
          await new Promise((resolve) => setTimeout(resolve, backoffMs));
        }
      }
    } finally {
      this.pendingDeliveries--;
    }
  }

  /**
   * After a restart: delivers every archived event to each matching rule whose delivery had not
   * finished when the process stopped (accepted events are never lost between the archive and the
   * targets). Returns how many deliveries were resumed.
   */
  resumeDeliveries(): number {
    if (!this.options.deliveries) return 0;
    let resumed = 0;
    for (const { event } of this.options.archive.read()) {
      const id = (JSON.parse(event) as { id?: unknown }).id;
      if (typeof id !== "string") continue;
      for (const rule of this.matchingArchived(event)) {
        if (this.options.deliveries.isFinished(id, rule)) continue;
        if (this.options.deliveries.isNew) {
          this.options.deliveries.finished(id, rule);
          continue;
        }
        resumed++;
        void this.deliver(rule, event, id);
      }
    }
    return resumed;
  }

  /**
   * The rules an archived event matches; none for one the engine refuses (archived by an older
   * version that did not check before archiving), so that one event cannot stop a restart or a replay.
   */
  private matchingArchived(eventJson: string): string[] {
    try {
      return this.ruleSet.matchingRules(eventJson);
    } catch (error) {
      if (!(error instanceof InvalidEventError)) throw error;
      this.warnAbout("archive", `EventBridge: an archived event was skipped: ${error.message}`);
      return [];
    }
  }

  /**
   * Re-sends archived events to the rules (not to the archive), each with a new envelope id and
   * `replay-name`, as an EventBridge archive replay does; only to `rules` when given (a replay's
   * `FilterArns`). Replays are named and recorded by `eventbridge/replays.ts`.
   */
  replay(filter: ReplayFilter, name: string, rules?: ReadonlySet<string>): { events: number; lastEventTime: Date | undefined } {
    const archived = this.options.archive.read(filter);
    let lastEventTime: Date | undefined;
    for (const { event } of archived) {
      const original = JSON.parse(event) as { source: string; "detail-type": string; time: string; resources: string[] };
      const detailStart = event.indexOf(',"detail":');
      const entry: PutEventsEntry = {
        Source: original.source,
        DetailType: original["detail-type"],
        Detail: event.slice(detailStart + ',"detail":'.length, -1),
        Resources: original.resources,
        Time: original.time,
      };
      const id = randomUUID();
      const replayed = buildEnvelope(entry as Parameters<typeof buildEnvelope>[0], {
        id,
        account: this.options.accountId,
        region: this.options.region,
        replayName: name,
      });
      const matched = this.matchingArchived(replayed);
      this.route(replayed, id, entry, undefined, name, rules ? matched.filter((rule) => rules.has(rule)) : matched);
      const time = new Date(original.time);
      if (!lastEventTime || time > lastEventTime) lastEventTime = time;
    }
    return { events: archived.length, lastEventTime };
  }

  /** Whether a rule of this name is on the bus. */
  hasRule(name: string): boolean {
    return this.rulesByName.has(name);
  }

  /** How many events the archive holds, and their bytes (the envelopes as delivered). */
  archiveSize(): { events: number; bytes: number } {
    const archived = this.options.archive.read();
    return { events: archived.length, bytes: archived.reduce((sum, { event }) => sum + Buffer.byteLength(event), 0) };
  }

  /** The EventBridge API operations this bus answers (awsJson1.1, `AWSEvents.*`). */
  operations(): Operations {
    return {
      // The request is checked whole (types, counts) before any entry is looked at.
      PutEvents: (input: Record<string, unknown>) => this.putEvents(parsePutEventsRequest(input)),
      TestEventPattern: (input: Record<string, unknown>) => {
        const pattern = stringMember(input, "EventPattern", true)!;
        const event = stringMember(input, "Event", true)!;
        return { Result: testEventPattern(pattern, event) };
      },
      ListRules: () => ({
        Rules: [...this.rulesByName.values()].map((rule) => this.describeRule(rule)),
      }),
      DescribeRule: (input: { Name?: string }) => {
        const rule = this.rulesByName.get(input.Name ?? "");
        if (!rule) throw new AwsServiceError("ResourceNotFoundException", `Rule ${input.Name} does not exist.`);
        return this.describeRule(rule);
      },
      ListTargetsByRule: (input: { Rule?: string }) => {
        const binding = this.bindings.get(input.Rule ?? "");
        if (!binding) throw new AwsServiceError("ResourceNotFoundException", `Rule ${input.Rule} does not exist.`);
        return { Targets: [{ Id: "target", Arn: binding.arn }] };
      },
      ListEventBuses: () => ({
        EventBuses: [DEFAULT_BUS, this.options.name].map((name) => ({ Name: name, Arn: this.busArn(name) })),
      }),
      DescribeEventBus: (input: Record<string, unknown>) => {
        const name = busName(stringMember(input, "Name", false));
        if (name !== DEFAULT_BUS && name !== this.options.name) throw new AwsServiceError("ResourceNotFoundException", `Event bus ${name} does not exist.`);
        return { Name: name, Arn: this.busArn(name) };
      },
    };
  }

  private busArn(name: string): string {
    return this.arnOf(`event-bus/${name}`);
  }

  private describeRule(rule: RuleDeclaration) {
    return {
      Name: rule.name,
      Arn: this.ruleArn(rule.name),
      EventPattern: JSON.stringify(rule.pattern),
      State: "ENABLED",
      Description: rule.description,
      EventBusName: this.options.name,
    };
  }
}
