/**
 * The bus archive and its replays through EventBridge's own API (`ListArchives`, `DescribeArchive`,
 * `StartReplay`, `DescribeReplay`, `ListReplays`, `CancelReplay`), so that the replay an operator
 * runs after a fix in AWS (docs/deploy.md: `aws events start-replay …`) can be rehearsed locally with
 * the same command. `paybus replay` and the dashboard start theirs here too, so every replay of the
 * process is listed in one place.
 *
 * Deliberate differences (README): a replay runs at once, not minute by minute, so it is `COMPLETED`
 * by the time `StartReplay` answers (which says `STARTING`, as AWS does) and cannot be cancelled;
 * replays are remembered for the process's life; the archive keeps every event (its `RetentionDays`
 * is the deployed stage's, reported, not enforced).
 */
import type { ReplayFilter } from "../archive.ts";
import { AwsServiceError, type Operations } from "../aws-json.ts";
import { missingMember, stringMember, timestampMember, validation } from "./request.ts";

/** The bus, as far as replays need it. */
export interface ReplayableBus {
  readonly name: string;
  readonly arn: string;
  arnOf(resource: string): string;
  ruleArn(name: string): string;
  hasRule(name: string): boolean;
  /** Re-sends archived events matching `filter` (to `rules` only, when given) as replay `name`. */
  replay(filter: ReplayFilter, name: string, rules?: ReadonlySet<string>): { events: number; lastEventTime: Date | undefined };
  /** Archived events: how many, and their bytes. */
  archiveSize(): { events: number; bytes: number };
}

export interface ReplaysOptions {
  /** The archive's name (`eventArchiveName`, as the stacks name theirs). */
  readonly archiveName: string;
  /** The deployed stage's retention (days; 0 keeps events indefinitely). */
  readonly retentionDays: number;
}

interface ReplayRecord {
  readonly name: string;
  readonly description: string | undefined;
  readonly filterArns: readonly string[] | undefined;
  readonly eventStartTime: Date | undefined;
  readonly eventEndTime: Date | undefined;
  readonly startedAt: Date;
  readonly endedAt: Date;
  readonly lastEventTime: Date | undefined;
  readonly events: number;
}

const REPLAY_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const seconds = (date: Date | undefined) => (date === undefined ? undefined : date.getTime() / 1000);

/** Replays of one bus's archive, by name. */
export class Replays {
  readonly #records = new Map<string, ReplayRecord>();
  readonly #createdAt = new Date();
  #unnamed = 0;

  constructor(
    private readonly bus: ReplayableBus,
    private readonly options: ReplaysOptions,
  ) {}

  get archiveArn(): string {
    return this.bus.arnOf(`archive/${this.options.archiveName}`);
  }

  /**
   * Replays the archived events `filter` selects (to the rules named in `filterArns`, else to every
   * rule they match), as `name` or `replay-<n>`; returns the name and how many events went.
   */
  start(filter: ReplayFilter, options: { name?: string | undefined; description?: string | undefined; filterArns?: readonly string[] | undefined } = {}): { replayName: string; events: number } {
    let name = options.name;
    if (name === undefined) {
      do name = `replay-${++this.#unnamed}`;
      while (this.#records.has(name));
    }
    if (this.#records.has(name)) throw new AwsServiceError("ResourceAlreadyExistsException", `Replay ${name} already exists.`);
    const rules = options.filterArns ? new Set(options.filterArns.map((arn) => this.ruleNameOf(arn))) : undefined;
    const startedAt = new Date();
    const { events, lastEventTime } = this.bus.replay(filter, name, rules);
    this.#records.set(name, {
      name,
      description: options.description,
      filterArns: options.filterArns,
      eventStartTime: filter.start,
      eventEndTime: filter.end,
      startedAt,
      endedAt: new Date(),
      lastEventTime,
      events,
    });
    return { replayName: name, events };
  }

  /** The EventBridge operations on the archive and its replays (awsJson1.1, `AWSEvents.*`). */
  operations(): Operations {
    return {
      ListArchives: (input: Record<string, unknown>) => {
        const prefix = stringMember(input, "NamePrefix", false) ?? "";
        const source = stringMember(input, "EventSourceArn", false);
        const state = stringMember(input, "State", false);
        const mine = this.options.archiveName.startsWith(prefix) && (source === undefined || source === this.bus.arn) && (state === undefined || state === "ENABLED");
        return { Archives: mine ? [this.archive()] : [] };
      },
      DescribeArchive: (input: Record<string, unknown>) => {
        this.archiveNamed(stringMember(input, "ArchiveName", true)!);
        return { ...this.archive(), ArchiveArn: this.archiveArn, Description: "Every event on the paybus bus, kept for replay after a fix." };
      },
      StartReplay: (input: Record<string, unknown>) => this.startReplay(input),
      DescribeReplay: (input: Record<string, unknown>) => {
        const record = this.replayNamed(stringMember(input, "ReplayName", true)!);
        return {
          ...this.summary(record),
          ReplayArn: this.replayArn(record.name),
          Description: record.description,
          Destination: { Arn: this.bus.arn, ...(record.filterArns ? { FilterArns: record.filterArns } : {}) },
        };
      },
      ListReplays: (input: Record<string, unknown>) => {
        const prefix = stringMember(input, "NamePrefix", false) ?? "";
        const source = stringMember(input, "EventSourceArn", false);
        const state = stringMember(input, "State", false);
        const replays = [...this.#records.values()].filter((record) => record.name.startsWith(prefix) && (source === undefined || source === this.archiveArn) && (state === undefined || state === "COMPLETED"));
        return { Replays: replays.map((record) => this.summary(record)) };
      },
      CancelReplay: (input: Record<string, unknown>) => {
        const record = this.replayNamed(stringMember(input, "ReplayName", true)!);
        throw new AwsServiceError("IllegalStatusException", `Replay ${record.name} is not in a valid state for this operation.`);
      },
    };
  }

  private startReplay(input: Record<string, unknown>) {
    const name = stringMember(input, "ReplayName", true)!;
    if (!REPLAY_NAME.test(name)) {
      throw validation(`Value '${name}' at 'replayName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length between 1 and 64`);
    }
    const sourceArn = stringMember(input, "EventSourceArn", true)!;
    if (sourceArn !== this.archiveArn) throw new AwsServiceError("ResourceNotFoundException", `Archive ${sourceArn.split("/").pop()} does not exist.`);
    const start = timestampMember(input, "EventStartTime");
    const end = timestampMember(input, "EventEndTime");
    if (start.getTime() >= end.getTime()) throw new AwsServiceError("ValidationException", "Parameter EventStartTime is not valid. Reason: EventStartTime must be before EventEndTime.");
    const destination = input.Destination as { Arn?: unknown; FilterArns?: unknown } | undefined;
    if (destination === undefined || destination === null || typeof destination.Arn !== "string") throw missingMember("destination.arn");
    if (destination.Arn !== this.bus.arn) {
      throw new AwsServiceError("ValidationException", `Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted (the archive's events came from ${this.bus.arn}).`);
    }
    const filterArns = destination.FilterArns === undefined || destination.FilterArns === null ? undefined : (destination.FilterArns as unknown[]).map(String);
    for (const arn of filterArns ?? []) this.ruleNameOf(arn);
    this.start({ start, end }, { name, description: stringMember(input, "Description", false), filterArns });
    const record = this.#records.get(name)!;
    return { ReplayArn: this.replayArn(name), State: "STARTING", ReplayStartTime: seconds(record.startedAt) };
  }

  private archive() {
    const { events, bytes } = this.bus.archiveSize();
    return {
      ArchiveName: this.options.archiveName,
      EventSourceArn: this.bus.arn,
      State: "ENABLED",
      RetentionDays: this.options.retentionDays,
      SizeBytes: bytes,
      EventCount: events,
      CreationTime: seconds(this.#createdAt),
    };
  }

  private summary(record: ReplayRecord) {
    return {
      ReplayName: record.name,
      EventSourceArn: this.archiveArn,
      State: "COMPLETED",
      EventStartTime: seconds(record.eventStartTime),
      EventEndTime: seconds(record.eventEndTime),
      EventLastReplayedTime: seconds(record.lastEventTime),
      ReplayStartTime: seconds(record.startedAt),
      ReplayEndTime: seconds(record.endedAt),
    };
  }

  private replayArn(name: string): string {
    return this.bus.arnOf(`replay/${name}`);
  }

  private archiveNamed(name: string): void {
    if (name !== this.options.archiveName) throw new AwsServiceError("ResourceNotFoundException", `Archive ${name} does not exist.`);
  }

  private replayNamed(name: string): ReplayRecord {
    const record = this.#records.get(name);
    if (!record) throw new AwsServiceError("ResourceNotFoundException", `Replay ${name} does not exist.`);
    return record;
  }

  /** The rule a `FilterArns` entry names; a rule of another bus, or none, is refused as AWS does. */
  private ruleNameOf(arn: string): string {
    const name = arn.split("/").pop() ?? "";
    if (arn !== this.bus.ruleArn(name) || !this.bus.hasRule(name)) throw new AwsServiceError("ResourceNotFoundException", `Rule ${name} does not exist on EventBus ${this.bus.name}.`);
    return name;
  }
}
