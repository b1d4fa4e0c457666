/**
 * The lifecycle projection: the journal folded into where each event stands — how the bus answered,
 * which rules routed it, deliveries to their targets, consumer attempts, DLQ moves, redrives and
 * discards, and the emails it caused. It is the one fold of the journal: `paybus run`'s report,
 * `paybus status` and the dashboard all read it.
 */
import { ruleList, type RuleDeclaration } from "../declarations/rules.ts";
import type { Journal, Recorded } from "./journal.ts";
import type { Destination, DestinationState, EventStatus } from "./lifecycle-types.ts";

export type { Destination, DestinationState, EventStatus } from "./lifecycle-types.ts";

/** The journal entries that belong to one event, from the bus's answer to its DLQ moves. */
export type EventEntry = Extract<
  Recorded,
  { kind: "bus.accepted" | "bus.rejected" | "target.delivered" | "target.failed" | "target.dlq" | "consumer.attempt" | "queue.dlq" | "queue.redrive" | "queue.discard" }
>;

/** How the bus answered: every tracked event starts with one of these. */
export type BusAnswer = Extract<EventEntry, { kind: "bus.accepted" | "bus.rejected" }>;

/** An email the journal recorded with its SES message id and cause. */
export type EmailEffect = Extract<Recorded, { kind: "effect.email" }>;

/** Where one event stands, folded from every journal entry about it. */
export interface EventLifecycle {
  /** The envelope id for accepted events; `rejected-<seq>` for rejected ones. */
  readonly id: string;
  readonly answer: BusAnswer;
  /** Every entry about the event, the answer first. */
  readonly entries: readonly EventEntry[];
}

/** One rule's delivery of an accepted event to its target. */
export interface RuleDelivery {
  readonly rule: string;
  /** Delivery attempts (successful or failed) to the rule's target. */
  readonly attempts: number;
  readonly outcome: "delivered" | "target-dlq" | "pending";
}

type Target = Pick<Destination, "kind" | "target">;

function targetOf(rule: RuleDeclaration | undefined): Target | undefined {
  if (!rule) return undefined;
  return "queue" in rule.target ? { kind: "queue", target: rule.target.queue } : { kind: "stateMachine", target: rule.target.stateMachine };
}

/** Where an event stands at one queue, from the journal entries about it there (in order). */
function queueState(entries: readonly EventEntry[], delivered: boolean, failedDelivery: boolean): { state: DestinationState; attempts: number } {
  let state: DestinationState = delivered ? "queued" : failedDelivery ? "retrying" : "pending";
  let attempts = 0;
  for (const entry of entries) {
    if (entry.kind === "consumer.attempt") {
      attempts++;
      state = entry.outcome === "succeeded" ? "consumed" : "retrying";
    } else if (entry.kind === "queue.dlq") state = "dlq";
    else if (entry.kind === "queue.redrive") state = "redriven";
    else if (entry.kind === "queue.discard") state = "discarded";
  }
  return { state, attempts };
}

const STATUS_BY_STATE: Readonly<Record<DestinationState, EventStatus>> = {
  pending: "in-flight",
  queued: "in-flight",
  redriven: "in-flight",
  retrying: "retrying",
  consumed: "done",
  delivered: "done",
  dlq: "dlq",
  "target-dlq": "dlq",
  discarded: "discarded",
};

/** The worst destination decides: a DLQ anywhere outranks a retry, which outranks work in flight. */
const STATUS_RANK: readonly EventStatus[] = ["done", "in-flight", "retrying", "discarded", "dlq"];

function worst(statuses: readonly EventStatus[]): EventStatus {
  return statuses.reduce<EventStatus>((a, b) => (STATUS_RANK.indexOf(b) > STATUS_RANK.indexOf(a) ? b : a), "done");
}

/**
 * Every event the bus answered, folded from journal entries as they come. Consumer-side entries
 * name the envelope id (or only the SQS message id, for redrives and discards), which is how they
 * are tied back.
 */
export class Lifecycles {
  private readonly events = new Map<string, { id: string; answer: BusAnswer; entries: EventEntry[] }>();
  private readonly order: string[] = [];
  private readonly eventByMessage = new Map<string, string>();
  private readonly rules: ReadonlyMap<string, RuleDeclaration>;
  private readonly emailList: EmailEffect[] = [];
  private readonly emailsByStripeEvent = new Map<string, EmailEffect[]>();

  constructor(rules: readonly RuleDeclaration[] = ruleList) {
    this.rules = new Map(rules.map((rule) => [rule.name, rule]));
  }

  /** Folds one journal entry in; returns the id of the event it concerns, if any. */
  apply(entry: Recorded): string | undefined {
    switch (entry.kind) {
      case "bus.accepted":
        return this.track(entry.eventId, entry);
      case "bus.rejected":
        return this.track(`rejected-${entry.seq}`, entry);
      case "target.delivered":
      case "target.failed":
      case "target.dlq":
        return this.append(entry.eventId, entry);
      case "consumer.attempt":
      case "queue.dlq":
        if (entry.eventId) this.eventByMessage.set(entry.messageId, entry.eventId);
        return entry.eventId ? this.append(entry.eventId, entry) : undefined;
      case "queue.redrive":
      case "queue.discard": {
        const eventId = this.eventByMessage.get(entry.messageId);
        return eventId ? this.append(eventId, entry) : undefined;
      }
      case "effect.email": {
        this.emailList.push(entry);
        const id = entry.cause?.stripeEventId;
        if (id) this.emailsByStripeEvent.set(id, [...(this.emailsByStripeEvent.get(id) ?? []), entry]);
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private track(id: string, entry: BusAnswer): string {
    if (!this.events.has(id)) this.order.push(id);
    this.events.set(id, { id, answer: entry, entries: [entry] });
    return id;
  }

  private append(id: string, entry: EventEntry): string | undefined {
    const tracked = this.events.get(id);
    if (!tracked) return undefined;
    tracked.entries.push(entry);
    return id;
  }

  /** The id of the event an entry (already folded in) concerns, if it is about a tracked event. */
  eventOf(entry: Recorded): string | undefined {
    switch (entry.kind) {
      case "bus.accepted":
        return entry.eventId;
      case "bus.rejected":
        return `rejected-${entry.seq}`;
      case "target.delivered":
      case "target.failed":
      case "target.dlq":
      case "consumer.attempt":
      case "queue.dlq":
        return entry.eventId && this.events.has(entry.eventId) ? entry.eventId : undefined;
      case "queue.redrive":
      case "queue.discard":
        return this.eventByMessage.get(entry.messageId);
      default:
        return undefined;
    }
  }

  /** Ids of every event the bus answered, oldest first. */
  ids(): readonly string[] {
    return this.order;
  }

  get(id: string): EventLifecycle | undefined {
    return this.events.get(id);
  }

  /** Envelope id of the event an SQS message carried. */
  eventForMessage(messageId: string): string | undefined {
    return this.eventByMessage.get(messageId);
  }

  /** The envelope the bus routed (JSON text), as the journal recorded it. */
  envelope(id: string): string | undefined {
    const answer = this.events.get(id)?.answer;
    return answer?.kind === "bus.accepted" ? answer.envelope : undefined;
  }

  /** Every email recorded, in send order. */
  emails(): readonly EmailEffect[] {
    return this.emailList;
  }

  /** The emails whose send named this Stripe event as its cause. */
  emailsCausedBy(stripeEventId: string): readonly EmailEffect[] {
    return this.emailsByStripeEvent.get(stripeEventId) ?? [];
  }

  /** Each rule's delivery to its target. */
  ruleDeliveries(id: string): RuleDelivery[] {
    const tracked = this.events.get(id);
    if (tracked?.answer.kind !== "bus.accepted") return [];
    return tracked.answer.matchedRules.map((rule) => {
      const forRule = tracked.entries.filter((entry) => "rule" in entry && entry.rule === rule);
      const done = forRule.find((entry) => entry.kind === "target.delivered" || entry.kind === "target.dlq");
      return {
        rule,
        attempts: forRule.filter((entry) => entry.kind === "target.delivered" || entry.kind === "target.failed").length,
        outcome: done?.kind === "target.delivered" ? "delivered" : done ? "target-dlq" : "pending",
      };
    });
  }

  /** Where the event stands at each target its rules name (rules sharing a target are one destination). */
  destinations(id: string): Destination[] {
    const tracked = this.events.get(id);
    if (tracked?.answer.kind !== "bus.accepted") return [];
    const entries = tracked.entries;
    const byTarget = new Map<string, { target: Target; rules: string[] }>();
    for (const name of tracked.answer.matchedRules) {
      const target = targetOf(this.rules.get(name)) ?? { kind: "queue" as const, target: `(rule ${name})` };
      const key = `${target.kind}:${target.target}`;
      const existing = byTarget.get(key);
      if (existing) existing.rules.push(name);
      else byTarget.set(key, { target, rules: [name] });
    }
    return [...byTarget.values()].map(({ target, rules }) => {
      const forRules = entries.filter((entry) => "rule" in entry && rules.includes(entry.rule));
      const delivered = forRules.some((entry) => entry.kind === "target.delivered");
      const failed = forRules.some((entry) => entry.kind === "target.failed");
      if (forRules.some((entry) => entry.kind === "target.dlq")) return { ...target, rules, state: "target-dlq", attempts: 0 };
      if (target.kind === "stateMachine") return { ...target, rules, state: delivered ? "delivered" : failed ? "retrying" : "pending", attempts: 0 };
      const atQueue = entries.filter((entry) => "queue" in entry && entry.queue === target.target);
      return { ...target, rules, ...queueState(atQueue, delivered, failed) };
    });
  }

  /** Where the event stands as a whole: the worst of its destinations. */
  status(id: string): EventStatus | undefined {
    const tracked = this.events.get(id);
    if (!tracked) return undefined;
    if (tracked.answer.kind === "bus.rejected") return "rejected";
    if (tracked.answer.matchedRules.length === 0) return "unmatched";
    return worst(this.destinations(id).map((d) => STATUS_BY_STATE[d.state]));
  }

  /** The last error recorded about the event (a failed delivery or consumer attempt, a DLQ move). */
  lastError(id: string): string | undefined {
    const entries = this.events.get(id)?.entries ?? [];
    const last = [...entries].reverse().find((entry) => "error" in entry && entry.error);
    return (last as { error?: string } | undefined)?.error;
  }

  /** How many events stand in each status. */
  counts(): Partial<Record<EventStatus, number>> {
    const counts: Partial<Record<EventStatus, number>> = {};
    for (const id of this.order) {
      const status = this.status(id)!;
      counts[status] = (counts[status] ?? 0) + 1;
    }
    return counts;
  }
}

const projections = new WeakMap<Journal, Lifecycles>();

/**
 * The runtime's lifecycle projection: built from the journal on first use and kept current by its
 * change feed, so every reader (report, status, dashboard) sees the same fold.
 */
export function lifecyclesOf(runtime: { readonly journal: Journal; readonly options: { readonly rules?: readonly RuleDeclaration[] | undefined } }): Lifecycles {
  const { journal } = runtime;
  let projection = projections.get(journal);
  if (!projection) {
    const created = new Lifecycles(runtime.options.rules ?? ruleList);
    journal.list().forEach((entry) => created.apply(entry));
    journal.onEntry((entry) => created.apply(entry));
    projections.set(journal, (projection = created));
  }
  return projection;
}
