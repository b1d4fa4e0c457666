/**
 * The event stream's model: what an envelope says about itself, and where each event stands,
 * folded from the runtime's journal. Pure: the server feeds it journal entries and envelope texts.
 */
import type { RuleDeclaration } from "../events/rules.ts";
import { formatMoney, toDecimalString } from "../events/money.ts";
import type { Recorded } from "../local/journal.ts";
import type { Destination, DestinationState, EventRow, EventStatus, EventSummary, TimelineItem } from "./protocol.ts";

type Json = Record<string, unknown>;

function record(value: unknown): Json | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function minorUnits(value: unknown): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) ? value : undefined;
}

/** The amount an event is about, by object type: what was paid, due, refunded or disputed. */
function amountOf(type: string, object: Json): number | undefined {
  switch (object.object) {
    case "invoice":
      return minorUnits(type === "invoice.payment_failed" ? object.amount_due : (object.amount_paid ?? object.amount_due));
    case "payment_intent":
      return minorUnits(object.amount_received) || minorUnits(object.amount);
    case "charge":
      return minorUnits(type === "charge.refunded" ? object.amount_refunded : object.amount);
    case "checkout.session":
      return minorUnits(object.amount_total);
    case "subscription": {
      // A subscription has no amount of its own: what one period costs is the sum of its items.
      const items = record(object.items)?.data;
      if (!Array.isArray(items)) return undefined;
      let total = 0;
      for (const item of items) {
        const unit = minorUnits(record(record(item)?.price)?.unit_amount);
        const quantity = minorUnits(record(item)?.quantity) ?? 1;
        if (unit === undefined) return undefined;
        total += unit * quantity;
      }
      return total;
    }
    default:
      return minorUnits(object.amount);
  }
}

/** `$20.00`; for a code Intl does not know, the exact decimal and the code (`12.350 XYZ`). */
export function moneyText(amount: number, currency: string): string {
  try {
    return formatMoney({ amount, currency });
  } catch {
    return `${toDecimalString({ amount, currency })} ${currency.toUpperCase()}`;
  }
}

/** What an EventBridge envelope carrying a Stripe event says, tolerating any shape. */
export function summarizeEnvelope(envelope: unknown): EventSummary {
  const root = record(envelope) ?? {};
  const detail = record(root.detail) ?? {};
  const type = text(root["detail-type"]) ?? text(detail.type) ?? "(no detail-type)";
  const object = record(record(detail.data)?.object) ?? {};
  const customerField = object.customer;
  const customer = text(customerField) ?? text(record(customerField)?.id);
  const currency = text(object.currency);
  const amount = currency ? amountOf(type, object) : undefined;
  return {
    type,
    stripeEventId: text(detail.id),
    objectId: text(object.id) ?? text(record(detail.related_object)?.id),
    customer,
    appCustomer: text(record(object.metadata)?.customer_id),
    ...(amount !== undefined && currency ? { amount: { amount, currency }, amountText: moneyText(amount, currency) } : {}),
  };
}

/** {@link summarizeEnvelope} of JSON text; a summary with just the type when it does not parse. */
export function summarizeText(json: string | undefined, fallbackType = "(unreadable)"): EventSummary {
  if (json === undefined) return { type: fallbackType };
  try {
    return summarizeEnvelope(JSON.parse(json));
  } catch {
    return { type: fallbackType };
  }
}

/** The journal entries that belong to one event, from the bus's answer to its DLQ moves. */
export type EventEntry = Extract<
  Recorded,
  { kind: "bus.accepted" | "bus.rejected" | "target.delivered" | "target.failed" | "target.dlq" | "consumer.attempt" | "queue.dlq" | "queue.redrive" | "queue.discard" }
>;

/** How the bus answered: every tracked event starts with one of these. */
type BusAnswer = Extract<EventEntry, { kind: "bus.accepted" | "bus.rejected" }>;

interface Tracked {
  readonly id: string;
  readonly answer: BusAnswer;
  /** Every entry about the event, the answer first. */
  readonly entries: EventEntry[];
  summary: EventSummary;
  hasBody: boolean;
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

/**
 * Every event the bus answered, folded from journal entries as they come. Consumer-side entries
 * name the envelope id (or only the SQS message id, for redrives), which is how they are tied back.
 */
export class EventIndex {
  private readonly events = new Map<string, Tracked>();
  private readonly order: string[] = [];
  private readonly eventByMessage = new Map<string, string>();
  private readonly rules: ReadonlyMap<string, RuleDeclaration>;

  constructor(rules: readonly RuleDeclaration[]) {
    this.rules = new Map(rules.map((rule) => [rule.name, rule]));
  }

  /** Folds one journal entry in; returns the id of the event it concerns, if any. */
  apply(entry: Recorded): string | undefined {
    switch (entry.kind) {
      case "bus.accepted":
        return this.track(entry.eventId, entry, { type: entry.detailType, stripeEventId: entry.stripeEventId }, false);
      case "bus.rejected": {
        const summary = entry.detail === undefined ? { type: entry.detailType ?? "(no detail-type)" } : this.rejectedSummary(entry);
        return this.track(`rejected-${entry.seq}`, entry, summary, entry.detail !== undefined);
      }
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
      default:
        return undefined;
    }
  }

  private rejectedSummary(entry: Extract<Recorded, { kind: "bus.rejected" }>): EventSummary {
    let detail: unknown;
    try {
      detail = JSON.parse(entry.detail!);
    } catch {
      return { type: entry.detailType ?? "(no detail-type)" };
    }
    return summarizeEnvelope({ "detail-type": entry.detailType, source: entry.source, detail });
  }

  private track(id: string, entry: BusAnswer, summary: EventSummary, hasBody: boolean): string {
    if (!this.events.has(id)) this.order.push(id);
    this.events.set(id, { id, answer: entry, entries: [entry], summary, hasBody });
    return id;
  }

  private append(id: string, entry: EventEntry): string | undefined {
    const tracked = this.events.get(id);
    if (!tracked) return undefined;
    tracked.entries.push(entry);
    return id;
  }

  /** Ids of accepted events whose envelope text has not been supplied yet. */
  missingBodies(): string[] {
    return this.order.filter((id) => !this.events.get(id)!.hasBody);
  }

  /** Supplies an event's envelope (from the archive), which completes its summary. */
  setBody(id: string, envelope: unknown): boolean {
    const tracked = this.events.get(id);
    if (!tracked) return false;
    const accepted = tracked.answer;
    const summary = summarizeEnvelope(envelope);
    tracked.summary = { ...summary, stripeEventId: summary.stripeEventId ?? (accepted?.kind === "bus.accepted" ? accepted.stripeEventId : undefined) };
    tracked.hasBody = true;
    return true;
  }

  /** The Stripe event id and replay name of an accepted event, to find its body elsewhere. */
  origin(id: string): { stripeEventId?: string | undefined; replayName?: string | undefined } | undefined {
    const first = this.events.get(id)?.answer;
    return first?.kind === "bus.accepted" ? { stripeEventId: first.stripeEventId, replayName: first.replayName } : undefined;
  }

  entries(id: string): readonly EventEntry[] {
    return this.events.get(id)?.entries ?? [];
  }

  /** Envelope id of the event an SQS message carried. */
  eventForMessage(messageId: string): string | undefined {
    return this.eventByMessage.get(messageId);
  }

  row(id: string): EventRow | undefined {
    const tracked = this.events.get(id);
    return tracked ? this.toRow(tracked) : undefined;
  }

  /** Every row, oldest first. */
  rows(): EventRow[] {
    return this.order.map((id) => this.toRow(this.events.get(id)!));
  }

  private toRow(tracked: Tracked): EventRow {
    const first = tracked.answer;
    const base = { ...tracked.summary, id: tracked.id, seq: first.seq, at: first.at };
    if (first.kind === "bus.rejected") {
      return { ...base, status: "rejected", source: first.source, rules: [], destinations: [], error: `${first.errorCode}: ${first.errorMessage}` };
    }
    const destinations = this.destinations(first.matchedRules, tracked.entries);
    const lastError = [...tracked.entries].reverse().find((entry) => "error" in entry && entry.error);
    const status = first.matchedRules.length === 0 ? "unmatched" : worst(destinations.map((d) => STATUS_BY_STATE[d.state]));
    return {
      ...base,
      status,
      source: first.source,
      replayName: first.replayName,
      rules: first.matchedRules,
      destinations,
      error: status === "done" ? undefined : (lastError as { error?: string } | undefined)?.error,
    };
  }

  private destinations(matchedRules: readonly string[], entries: readonly EventEntry[]): Destination[] {
    const byTarget = new Map<string, { target: Target; rules: string[] }>();
    for (const name of matchedRules) {
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
}

function worst(statuses: readonly EventStatus[]): EventStatus {
  return statuses.reduce<EventStatus>((a, b) => (STATUS_RANK.indexOf(b) > STATUS_RANK.indexOf(a) ? b : a), "done");
}

/** The journal entries of one event as a timeline for people. */
export function timeline(entries: readonly EventEntry[]): TimelineItem[] {
  return entries.map((entry): TimelineItem => {
    const at = entry.at;
    switch (entry.kind) {
      case "bus.accepted":
        return {
          at,
          stage: "bus",
          title: entry.replayName ? `Replayed from the archive (${entry.replayName})` : "Accepted by the bus",
          detail: entry.matchedRules.length ? `matched ${entry.matchedRules.join(", ")}` : "matched no rule (archived only)",
          tone: entry.matchedRules.length ? "info" : "warn",
        };
      case "bus.rejected":
        return { at, stage: "bus", title: "Rejected by the bus", detail: `${entry.errorCode}: ${entry.errorMessage}`, tone: "bad" };
      case "target.delivered":
        return { at, stage: "target", title: `Delivered to ${shortArn(entry.target)}`, detail: `rule ${entry.rule}, attempt ${entry.attempt}`, tone: "info" };
      case "target.failed":
        return { at, stage: "target", title: `Delivery to ${shortArn(entry.target)} failed`, detail: `rule ${entry.rule}, attempt ${entry.attempt}: ${entry.error}`, tone: "warn" };
      case "target.dlq":
        return { at, stage: "dlq", title: `Gave up delivering to ${shortArn(entry.target)}: sent to the rule's DLQ`, detail: entry.error, tone: "bad" };
      case "consumer.attempt":
        return {
          at,
          stage: "consumer",
          title: `${entry.queue} consumer: ${entry.outcome === "succeeded" ? "succeeded" : entry.outcome.replace("-", " ")} (receive ${entry.receiveCount})`,
          detail: entry.error,
          tone: entry.outcome === "succeeded" ? "good" : "warn",
        };
      case "queue.dlq":
        return { at, stage: "dlq", title: `Moved to the ${entry.queue} DLQ`, detail: entry.error, tone: "bad" };
      case "queue.redrive":
        return { at, stage: "dlq", title: `Redriven from the ${entry.queue} DLQ`, tone: "info" };
      case "queue.discard":
        return { at, stage: "dlq", title: `Discarded from the ${entry.queue} DLQ`, tone: "bad" };
    }
  });
}

/** `arn:aws:sqs:us-east-1:000000000000:paybus-loyalty` -> `paybus-loyalty`. */
function shortArn(arn: string): string {
  return arn.split(":").pop() ?? arn;
}
