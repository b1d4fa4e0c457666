/**
 * Which events a backtest side may send now so that each customer's events are handled one after
 * another, oldest first, while different customers' events run side by side.
 *
 * Why: the events of one customer often go to different queues (a `customer.updated` to the
 * customers consumer, the `customer.subscription.trial_will_end` after it to notifications). Sent
 * together, which consumer gets there first depends on the moment, so the notice went to the
 * updated address in French on one side and to the earlier one in English on the other: two runs
 * of the same code on `fixtures/stripe-events` differed every time. Held back until the customer's
 * previous event is settled, both sides see each customer's history in the same order, and a
 * difference in the report comes from the change being tested.
 *
 * An event is settled once every delivery its rules owe is (a consumer succeeded with its record,
 * or the record went to a DLQ, or a workflow started), as the journal tells; an event the bus
 * refused is settled at once.
 */
import type { Envelope } from "./input.ts";

/**
 * How long a customer's next event may wait for the previous one (real time). A tree whose journal
 * does not say when an event is settled (an older base) still finishes, in the order it can.
 */
const LONGEST_HOLD_MS = 30_000;

/** The Stripe customer an event is about, when it names one: the customer itself, or the object's `customer`. */
export function customerOf(event: Envelope): string | undefined {
  const object = event.detail?.data?.object as Record<string, any> | undefined;
  if (!object) return undefined;
  if (object.object === "customer" && typeof object.id === "string") return object.id;
  const customer = object.customer;
  if (typeof customer === "string") return customer;
  return typeof customer?.id === "string" ? customer.id : undefined;
}

/** What the journal says of an event's deliveries (the entries `worker.ts` passes on). */
export type DeliveryNote =
  | { readonly kind: "accepted"; readonly stripeEventId: string; readonly eventId: string; readonly owed: number }
  | { readonly kind: "settled"; readonly stripeEventId?: string | undefined; readonly eventId?: string | undefined };

interface Sent {
  readonly customer: string;
  readonly at: number;
  /** The bus's ids of its copies (`target.delivered` names an event by those only). */
  readonly eventIds: string[];
  owed: number;
  settled: number;
  accepted: boolean;
}

/** Events in order, handed out as their customers become free ({@link take}); {@link note} says what happened. */
export class CustomerOrder {
  private next = 0;
  /** Events passed over because their customer was busy, oldest first. */
  private readonly held: Envelope[] = [];
  /** Events sent and not yet settled, by Stripe event id. */
  private readonly sent = new Map<string, Sent>();
  private readonly stripeIdOf = new Map<string, string>();
  /** Customers with an event sent and not yet settled. */
  private readonly busy = new Set<string>();

  constructor(
    private readonly events: readonly Envelope[],
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** True once every event was handed out. */
  get done(): boolean {
    return this.next >= this.events.length && this.held.length === 0;
  }

  /** Up to `room` events that may be sent now, oldest first; each is then counted as sent. */
  take(room: number): Envelope[] {
    this.releaseOverdue();
    const out: Envelope[] = [];
    // A customer with an older event passed over keeps its newer ones behind it.
    const passedOver = new Set<string>();
    const free = (event: Envelope): boolean => {
      const customer = customerOf(event);
      if (customer === undefined) return true;
      if (!passedOver.has(customer) && !this.busy.has(customer)) return true;
      passedOver.add(customer);
      return false;
    };
    for (let i = 0; i < this.held.length && out.length < room; ) {
      if (free(this.held[i]!)) out.push(this.start(this.held.splice(i, 1)[0]!));
      else i++;
    }
    while (out.length < room && this.next < this.events.length) {
      const event = this.events[this.next++]!;
      if (free(event)) out.push(this.start(event));
      else this.held.push(event);
    }
    return out;
  }

  /** The bus refused `event` (it never reaches a consumer): its customer is free again. */
  refused(event: Envelope): void {
    const id = event.detail?.id;
    if (typeof id === "string") this.finish(id);
  }

  /** What the journal said of a delivery. */
  note(entry: DeliveryNote): void {
    const id = entry.stripeEventId ?? (entry.eventId === undefined ? undefined : this.stripeIdOf.get(entry.eventId));
    const sent = id === undefined ? undefined : this.sent.get(id);
    if (id === undefined || !sent) return;
    if (entry.kind === "accepted") {
      sent.eventIds.push(entry.eventId);
      this.stripeIdOf.set(entry.eventId, id);
      sent.owed += entry.owed;
      sent.accepted = true;
    } else sent.settled++;
    if (sent.accepted && sent.settled >= sent.owed) this.finish(id);
  }

  private start(event: Envelope): Envelope {
    const customer = customerOf(event);
    const id = event.detail?.id;
    if (customer !== undefined && typeof id === "string") {
      this.sent.set(id, { customer, at: this.now(), eventIds: [], owed: 0, settled: 0, accepted: false });
      this.busy.add(customer);
    }
    return event;
  }

  private finish(id: string): void {
    const sent = this.sent.get(id);
    if (!sent) return;
    this.sent.delete(id);
    for (const eventId of sent.eventIds) this.stripeIdOf.delete(eventId);
    this.busy.delete(sent.customer);
  }

  private releaseOverdue(): void {
    const now = this.now();
    for (const [id, sent] of this.sent) if (now - sent.at > LONGEST_HOLD_MS) this.finish(id);
  }
}
