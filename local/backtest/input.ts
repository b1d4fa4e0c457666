/**
 * The events a backtest replays, read from what a team has at hand, as EventBridge envelopes in
 * the order Stripe created them:
 *
 * - a paybus bus archive (`.paybus/archive/<bus>.jsonl`: `{"archivedAt", "event": "<json>"}` lines);
 * - a directory of envelope files (like `fixtures/stripe-events/`; a file may hold a list);
 * - an EventBridge archive export: a JSON list of envelopes, or JSON Lines of them;
 * - `stripe events list` output (`{"object": "list", "data": [<Stripe event>…]}`), wrapped in the
 *   envelope the Stripe partner event source puts around each event;
 * - `synthetic:<count>[:<seed>]`: a reproducible mix of purchases, invoices, refunds and failures
 *   for volume runs.
 *
 * Files are read by `../event-input.ts`, as `paybus send` and `run` read theirs.
 */
import { EventInputError, eventFiles, readEventsFile, type Envelope } from "../event-input.ts";
import { fixtureText } from "../../fixtures/index.ts";
import { mulberry32 } from "../random.ts";

export { EventInputError, type Envelope };

/** A wrapped Stripe event's envelope id: the same on both sides of a backtest. */
const envelopeId = (event: { id: string }) => `backtest-${event.id}`;

/** Reads events from `source` (a path, or `synthetic:<count>[:<seed>]`), oldest first. */
export function readBacktestEvents(source: string): Envelope[] {
  const synthetic = /^synthetic:(\d+)(?::(\d+))?$/.exec(source);
  if (synthetic) return syntheticEvents(Number(synthetic[1]), Number(synthetic[2] ?? 1));
  return chronological(eventFiles(source).flatMap((file) => readEventsFile(file, envelopeId)));
}

/** Oldest first by Stripe's `created` (then the envelope's `time`); stable for equal times. */
function chronological(events: Envelope[]): Envelope[] {
  const when = (event: Envelope) => Number(event.detail?.created) || Date.parse(event.time ?? "") / 1000 || 0;
  return events.map((event, index) => ({ event, index })).sort((a, b) => when(a.event) - when(b.event) || a.index - b.index).map(({ event }) => event);
}

const CATEGORIES = ["premium", "standard", "standard", "basic"] as const;
const CURRENCY_AMOUNTS = [
  { currency: "usd", amount: (n: number) => 500 + (n % 40) * 250 },
  { currency: "jpy", amount: (n: number) => 500 + (n % 30) * 300 },
  { currency: "eur", amount: (n: number) => 800 + (n % 25) * 200 },
];

/**
 * `count` synthetic events, the same for the same seed: per ten, six one-time purchases
 * (`payment_intent.succeeded`, over a few hundred customers, categories and currencies), two paid
 * invoices, one failed invoice and one refund of an earlier purchase. Built from the fixtures, so
 * every event has Stripe's real shape.
 */
export function syntheticEvents(count: number, seed = 1): Envelope[] {
  const random = mulberry32(seed);
  const customers = Math.max(20, Math.ceil(count / 25));
  const start = Date.parse("2026-06-01T00:00:00Z") / 1000;
  const events: Envelope[] = [];
  const purchases: Envelope[] = [];
  for (let n = 0; n < count; n++) {
    const slot = n % 10;
    const customer = Math.floor(random() * customers);
    const id = `${seed.toString(36)}x${n.toString(36).padStart(6, "0")}`;
    const created = start + n * 7;
    let event: Envelope;
    if (slot < 6 || (slot === 9 && purchases.length === 0)) {
      event = fixtureCopy("03");
      const object = event.detail.data.object;
      const money = CURRENCY_AMOUNTS[n % CURRENCY_AMOUNTS.length]!;
      object.id = `pi_bt${id}`;
      object.currency = money.currency;
      object.amount = object.amount_received = money.amount(Math.floor(random() * 1000));
      object.customer = `cus_bt${customer}`;
      object.metadata = { customer_id: `C-BT${customer}`, order_id: `ORD-BT-${id}`, product_category: CATEGORIES[Math.floor(random() * CATEGORIES.length)] };
      purchases.push(event);
    } else if (slot < 8) {
      event = invoice("01", id, customer);
    } else if (slot === 8) {
      event = invoice("02", id, customer);
    } else {
      const purchase = purchases[Math.floor(random() * purchases.length)]!.detail.data.object;
      event = fixtureCopy("06");
      const charge = event.detail.data.object;
      charge.id = `ch_bt${id}`;
      charge.payment_intent = purchase.id;
      charge.currency = purchase.currency;
      charge.amount = charge.amount_captured = charge.amount_refunded = purchase.amount;
      charge.customer = purchase.customer;
      charge.metadata = { ...purchase.metadata };
      if (event.detail.data.previous_attributes) event.detail.data.previous_attributes = { amount_refunded: 0, refunded: false };
    }
    event.id = `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
    event.detail.id = `evt_bt${id}`;
    event.detail.created = created;
    event.time = new Date(created * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    events.push(event);
  }
  return events;
}

/** The fixtures' text, read once: a synthetic run of 10,000 events read the same four files 10,000 times. */
const fixtureTexts = new Map<string, string>();

/** A fresh, mutable copy of a fixture (as `loadFixture`, without reading its file again). */
function fixtureCopy(name: string): Envelope {
  let text = fixtureTexts.get(name);
  if (text === undefined) fixtureTexts.set(name, (text = fixtureText(name)));
  return JSON.parse(text) as Envelope;
}

function invoice(fixture: "01" | "02", id: string, customer: number): Envelope {
  const event = fixtureCopy(fixture);
  const object = event.detail.data.object;
  object.id = `in_bt${id}`;
  object.number = `BT-${id}`;
  object.customer = `cus_bt${customer}`;
  return event;
}
