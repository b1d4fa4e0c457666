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
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { isBareStripeEvent, partnerEnvelope } from "../../events/partner-envelope.ts";
import { fixtureText } from "../../fixtures/index.ts";
import { mulberry32 } from "../random.ts";

/** An EventBridge envelope, as targets receive it. */
export type Envelope = Record<string, any>;

/** The input cannot be read as events: the message says which file and why. */
export class BacktestInputError extends Error {
  override name = "BacktestInputError";
}

/** The destination id the envelopes of `stripe events list` output are given (test or live mode). */

/** Reads events from `source` (a path, or `synthetic:<count>[:<seed>]`), oldest first. */
export function readBacktestEvents(source: string): Envelope[] {
  const synthetic = /^synthetic:(\d+)(?::(\d+))?$/.exec(source);
  if (synthetic) return syntheticEvents(Number(synthetic[1]), Number(synthetic[2] ?? 1));
  if (!existsSync(source)) throw new BacktestInputError(`${source}: no such file or directory`);
  const events = statSync(source).isDirectory()
    ? readdirSync(source)
        .filter((name) => (name.endsWith(".json") || name.endsWith(".jsonl")) && name !== "manifest.json")
        .sort()
        .flatMap((name) => readFile(join(source, name)))
    : readFile(source);
  return chronological(events);
}

function readFile(file: string): Envelope[] {
  const text = readFileSync(file, "utf8");
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[") || (trimmed.startsWith("{") && !looksLikeJsonLines(text))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new BacktestInputError(`${file}: invalid JSON: ${(error as Error).message}`);
    }
    return fromValue(parsed, file);
  }
  return text.split("\n").flatMap((line, index) => {
    if (!line.trim()) return [];
    try {
      return fromValue(JSON.parse(line), `${file}:${index + 1}`);
    } catch (error) {
      // A torn last line (the runtime was killed while appending) is skipped, as the archive does.
      if (error instanceof SyntaxError) return [];
      throw error;
    }
  });
}

/** More than one line, each a JSON object by itself. */
function looksLikeJsonLines(text: string): boolean {
  const lines = text.split("\n").filter((line) => line.trim());
  if (lines.length < 2) return false;
  try {
    JSON.parse(lines[0]!);
    return true;
  } catch {
    return false;
  }
}

function fromValue(value: unknown, where: string): Envelope[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => fromValue(item, `${where}[${i}]`));
  if (typeof value !== "object" || value === null) throw new BacktestInputError(`${where}: expected an event object`);
  const object = value as Record<string, any>;
  if (object.object === "list" && Array.isArray(object.data)) return object.data.map((event: unknown, i: number) => fromStripeEvent(event, `${where}.data[${i}]`));
  if (typeof object.event === "string" && typeof object.archivedAt === "string") return [JSON.parse(object.event) as Envelope];
  if (isBareStripeEvent(object)) return [fromStripeEvent(object, where)];
  if (typeof object["detail-type"] === "string" && typeof object.source === "string") return [object];
  throw new BacktestInputError(`${where}: neither an EventBridge envelope, a Stripe event, a list of them nor an archive line`);
}

/** A Stripe event as the partner event source delivers it. */
function fromStripeEvent(event: unknown, where: string): Envelope {
  if (!isBareStripeEvent(event)) throw new BacktestInputError(`${where}: not a Stripe event (no id or type)`);
  return partnerEnvelope(event, `backtest-${event.id}`);
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
