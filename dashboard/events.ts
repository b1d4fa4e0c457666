/**
 * The Events view's read model: what an envelope says about itself, and a row per event from the
 * lifecycle projection (`local/lifecycle.ts`) with the envelope the journal recorded.
 */
import { LOYALTY_SOURCE } from "../events/loyalty-events.ts";
import { formatMoney, toDecimalString } from "../events/money.ts";
import type { Recorded } from "../local/journal.ts";
import type { BusAnswer, EventEntry, Lifecycles } from "../local/lifecycle.ts";
import type { DashboardState, EventDetail, EventRow, EventSummary, TimelineItem } from "./protocol.ts";

export type { EventEntry } from "../local/lifecycle.ts";

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

/** A row's amount and its text, when the event says both what and in which currency. */
function amountFields(amount: number | undefined, currency: string | undefined): Pick<EventSummary, "amount" | "amountText"> {
  return amount !== undefined && currency ? { amount: { amount, currency }, amountText: moneyText(amount, currency) } : {};
}

/** What an EventBridge envelope carrying a Stripe event says, tolerating any shape. */
export function summarizeEnvelope(envelope: unknown): EventSummary {
  const root = record(envelope) ?? {};
  const detail = record(root.detail) ?? {};
  const type = text(root["detail-type"]) ?? text(detail.type) ?? "(no detail-type)";
  if (root.source === LOYALTY_SOURCE) return loyaltySummary(type, detail);
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
    ...amountFields(amount, currency),
  };
}

/**
 * A paybus loyalty event (`events/loyalty-events.ts`): the programme's customer and their Stripe
 * customer, and the purchase's amount where the event carries it (`PointsAwarded`).
 */
function loyaltySummary(type: string, detail: Record<string, unknown>): EventSummary {
  const currency = text(detail.currency);
  const amount = minorUnits(detail.amount);
  return {
    type,
    stripeEventId: text(detail.id),
    objectId: text(detail.purchaseId),
    customer: text(detail.stripeCustomerId),
    appCustomer: text(detail.customerId),
    ...amountFields(amount, currency),
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

function rejectedSummary(entry: Extract<Recorded, { kind: "bus.rejected" }>): EventSummary {
  if (entry.detail === undefined) return { type: entry.detailType ?? "(no detail-type)" };
  let detail: unknown;
  try {
    detail = JSON.parse(entry.detail);
  } catch {
    return { type: entry.detailType ?? "(no detail-type)" };
  }
  return summarizeEnvelope({ "detail-type": entry.detailType, source: entry.source, detail });
}

/** What a view shows as the body of an event: the envelope the bus routed, or what a refused caller sent. */
export function eventBody(lifecycles: Lifecycles, id: string): unknown {
  const answer = lifecycles.get(id)?.answer;
  if (answer?.kind === "bus.rejected") return rejectedEnvelope(answer);
  const envelope = lifecycles.envelope(id);
  if (envelope === undefined) return undefined;
  try {
    return JSON.parse(envelope);
  } catch {
    return envelope;
  }
}

function rejectedEnvelope(entry: Extract<Recorded, { kind: "bus.rejected" }>): unknown {
  let detail: unknown = entry.detail;
  try {
    detail = entry.detail === undefined ? undefined : JSON.parse(entry.detail);
  } catch {
    // Shown as the text the caller sent.
  }
  return { source: entry.source, "detail-type": entry.detailType, detail };
}

/**
 * The Events view's read model: a row per event the bus answered, from the lifecycle projection
 * (where it stands) and the envelope the journal recorded (what it says, summarised once).
 */
export class EventRows {
  private readonly summaries = new Map<string, EventSummary>();

  constructor(private readonly lifecycles: Lifecycles) {}

  private summary(id: string, answer: BusAnswer): EventSummary {
    let summary = this.summaries.get(id);
    if (summary) return summary;
    if (answer.kind === "bus.rejected") summary = rejectedSummary(answer);
    else {
      const envelope = answer.envelope;
      const read = envelope === undefined ? { type: answer.detailType } : summarizeText(envelope, answer.detailType);
      summary = { ...read, stripeEventId: read.stripeEventId ?? answer.stripeEventId };
    }
    this.summaries.set(id, summary);
    return summary;
  }

  /** The journal entries about one event, its bus answer first. */
  entries(id: string): readonly EventEntry[] {
    return this.lifecycles.get(id)?.entries ?? [];
  }

  row(id: string): EventRow | undefined {
    const lifecycle = this.lifecycles.get(id);
    if (!lifecycle) return undefined;
    const first = lifecycle.answer;
    const base = { ...this.summary(id, first), id, seq: first.seq, at: first.at };
    if (first.kind === "bus.rejected") {
      return { ...base, status: "rejected", source: first.source, rules: [], destinations: [], error: `${first.errorCode}: ${first.errorMessage}` };
    }
    const status = this.lifecycles.status(id)!;
    return {
      ...base,
      status,
      source: first.source,
      replayName: first.replayName,
      rules: first.matchedRules,
      destinations: this.lifecycles.destinations(id),
      error: status === "done" ? undefined : this.lifecycles.lastError(id),
    };
  }

  /** Every row, oldest first. */
  rows(): EventRow[] {
    return this.lifecycles.ids().map((id) => this.row(id)!);
  }
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

/** What the Stripe event behind a row caused, from the state snapshot's outbox and executions. */
function effectsOf(row: EventRow, state: DashboardState | null): TimelineItem[] {
  if (!row.stripeEventId || !state) return [];
  const id = row.stripeEventId;
  return [
    ...state.emails.filter((email) => email.cause?.stripeEventId === id).map((email): TimelineItem => ({ at: email.at, stage: "effect", title: `Email sent: ${email.subject}`, detail: email.cause?.executionName ? `by workflow ${email.cause.executionName}` : undefined, tone: "good" })),
    ...state.pushes.filter((push) => push.cause?.stripeEventId === id).map((push): TimelineItem => ({ at: push.at, stage: "effect", title: `Push sent: ${push.title ?? push.body ?? ""}`, detail: push.endpoint, tone: "good" })),
    ...state.executions.filter((execution) => execution.stripeEventId === id).map((execution): TimelineItem => ({ at: execution.startDate, stage: "workflow", title: `Workflow ${execution.name}: ${execution.status.toLowerCase().replace("_", " ")}`, detail: execution.path.join(" → "), tone: execution.status === "FAILED" ? "bad" : "good" })),
  ];
}

/** An event opened in the Events view: its envelope, its timeline, what it caused, how often the Stripe event came. */
export function eventDetail(rows: EventRows, lifecycles: Lifecycles, id: string, state: DashboardState | null): EventDetail | undefined {
  const row = rows.row(id);
  if (!row) return undefined;
  const body = eventBody(lifecycles, id);
  const deliveries = row.stripeEventId ? rows.rows().filter((r) => r.stripeEventId === row.stripeEventId && r.status !== "rejected").length : 1;
  return {
    row,
    json: body === undefined ? undefined : JSON.stringify(body, null, 2),
    timeline: timeline(rows.entries(id)),
    effects: effectsOf(row, state).sort((a, b) => a.at.localeCompare(b.at)),
    deliveries,
  };
}
