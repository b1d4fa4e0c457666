/**
 * The inputs of the reliability suite: Stripe events built from the fixtures as templates (new ids,
 * amounts, customers and times drawn from a seeded PRNG), delivered in waves with duplicates and
 * shuffled, plus deliberately bad inputs with the outcome each one must have.
 *
 * Nothing here knows what the consumers do with an event; `oracle.ts` derives that from the events.
 */
import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import type { QueueName } from "../../declarations/rules.ts";
import { fixtureNames, loadFixture } from "../../fixtures/index.ts";

/** An EventBridge envelope as a rule target receives it (the shape of the fixtures). */
export type Envelope = Record<string, any>;

/** Mulberry32 behind a small API: the same seed gives the same scenario on every machine. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight: `[[value, weight], …]`. */
  weighted<T>(choices: ReadonlyArray<readonly [T, number]>): T {
    const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [value, weight] of choices) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return choices[choices.length - 1]![0];
  }

  /** Shuffles in place (Fisher–Yates) and returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  /** A version-4-shaped UUID from the PRNG (envelope ids: cosmetic, EventBridge assigns its own). */
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(0, 15).toString(16)).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  }
}

/** A customer profile to seed (the `profiles` table) with this many push devices registered. */
export interface ProfileSpec {
  readonly customerId: string;
  readonly email?: string;
  readonly name?: string;
  readonly locale?: string;
  readonly devices: number;
}

/** What must become of a bad input. */
export type BadExpectation =
  /** PutEvents refuses the entry (per-entry error code). */
  | { readonly outcome: "rejected"; readonly code: string }
  /** PutEvents refuses the whole request (the SDK call fails with this error name). */
  | { readonly outcome: "request-refused"; readonly code: string }
  /** Accepted and archived, but no rule routes it. */
  | { readonly outcome: "unmatched" }
  /** Routed, refused by the consumer as poison, parked in the queue's DLQ with a reason containing `reason`. */
  | { readonly outcome: "dlq"; readonly queue: QueueName; readonly reason: string };

/**
 * A deliberately bad input. `partner`: put on the bus as the Stripe partner source; `api`: a
 * caller's PutEvents through the SDK; `queue`: a message put straight on a queue (a bus bug or a
 * manual send) that the consumer must survive.
 */
export type BadInput = { readonly label: string; readonly expect: BadExpectation; readonly stripeEventId?: string } & (
  | { readonly via: "partner"; readonly envelope: Envelope }
  | { readonly via: "api"; readonly entry: PutEventsRequestEntry }
  | { readonly via: "queue"; readonly queue: QueueName; readonly body: string }
);

/** One run's inputs. */
export interface Scenario {
  readonly name: string;
  /** `PAYBUS_LOYALTY_CONFIG` for the run. */
  readonly loyaltyConfig: Readonly<Record<string, unknown>>;
  readonly profiles: readonly ProfileSpec[];
  /**
   * Good events in send order, wave by wave (copies included); the pipeline settles between waves.
   * Within a wave the order is arbitrary, so no outcome may depend on it (the oracle checks).
   */
  readonly waves: ReadonlyArray<readonly Envelope[]>;
  /** Sent during the first wave, interleaved with the good events. */
  readonly bad: readonly BadInput[];
  /**
   * Lets invocations of one function overlap (the runtime's default of up to three execution
   * environments each, `harness.ts`'s `runtimeOptions`); otherwise each function has one
   * environment and a consumer runs one batch at a time (its records still side by side). Only the
   * load run needs it: the other scenarios' claims do not depend on batches of one queue running
   * at once, and each environment is a cold start (~0.4 s of CPU) per function per runtime.
   */
  readonly overlappingInvocations?: boolean;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

/** The currencies the suite's loyalty programme rates; BHD is left out on purpose (a recorded skip). */
const RELIABILITY_CURRENCIES = {
  usd: { points: 1, perUnits: 1 },
  jpy: { points: 1, perUnits: 100 },
  kwd: { points: 3, perUnits: 1 },
} as const;

/** The loyalty configuration for a run whose purchases start at `start` (Unix seconds). */
function loyaltyConfigFor(promotion: { start: number; end: number }): Record<string, unknown> {
  return {
    currencies: RELIABILITY_CURRENCIES,
    premiumMultiplier: 2,
    promotions: [
      { name: "triple-points", start: isoSeconds(promotion.start), end: isoSeconds(promotion.end), multiplier: 3 },
    ],
  };
}

function isoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A fresh copy of a fixture with new delivery details: envelope id, `time` a second after `created`. */
function fromTemplate(name: string, random: Random, eventId: string, created: number): Envelope {
  const envelope = loadFixture(name);
  envelope.id = random.uuid();
  envelope.time = isoSeconds(created + 1);
  envelope.detail.id = eventId;
  envelope.detail.created = created;
  return envelope;
}

/** A purchase: one PaymentIntent, its charge and maybe a Checkout session. */
interface Purchase {
  readonly paymentIntent: string;
  readonly charge: string;
  readonly session: string;
  readonly loyaltyCustomer: string | null;
  readonly stripeCustomer: string | null;
  /** The buyer's address, on every event of the purchase (receipt, billing details, Checkout). */
  readonly email: string | null;
  readonly amount: number;
  readonly currency: string;
  readonly premium: boolean;
  readonly created: number;
}

function purchaseMetadata(p: Purchase): Record<string, string> {
  return {
    ...(p.loyaltyCustomer ? { customer_id: p.loyaltyCustomer } : {}),
    product_category: p.premium ? "premium" : "standard",
    order_id: `ORD-${p.paymentIntent.slice(3)}`,
  };
}

function paymentIntentSucceeded(p: Purchase, random: Random, eventId: string): Envelope {
  const envelope = fromTemplate("03", random, eventId, p.created);
  Object.assign(envelope.detail.data.object, {
    id: p.paymentIntent,
    amount: p.amount,
    amount_received: p.amount,
    currency: p.currency,
    customer: p.stripeCustomer,
    receipt_email: p.email,
    metadata: purchaseMetadata(p),
    latest_charge: p.charge,
    created: p.created,
  });
  return envelope;
}

function chargeObject(p: Purchase, refunded: number) {
  return {
    id: p.charge,
    payment_intent: p.paymentIntent,
    amount: p.amount,
    amount_captured: p.amount,
    amount_refunded: refunded,
    refunded: refunded === p.amount,
    currency: p.currency,
    customer: p.stripeCustomer,
    receipt_email: p.email,
    billing_details: { email: p.email, name: null },
    metadata: purchaseMetadata(p),
    created: p.created,
  };
}

function chargeSucceeded(p: Purchase, random: Random, eventId: string): Envelope {
  const envelope = fromTemplate("04", random, eventId, p.created);
  Object.assign(envelope.detail.data.object, chargeObject(p, 0));
  return envelope;
}

function checkoutCompleted(p: Purchase, random: Random, eventId: string): Envelope {
  const envelope = fromTemplate("05", random, eventId, p.created + 1);
  Object.assign(envelope.detail.data.object, {
    id: `cs_test_${p.session}`,
    payment_intent: p.paymentIntent,
    amount_subtotal: p.amount,
    amount_total: p.amount,
    currency: p.currency,
    customer: p.stripeCustomer,
    customer_details: { email: p.email, name: null },
    metadata: purchaseMetadata(p),
    created: p.created,
  });
  return envelope;
}

/** `charge.refunded` with the cumulative `amount_refunded` after this refund. */
function chargeRefunded(p: Purchase, random: Random, eventId: string, created: number, refunded: number, previously: number): Envelope {
  const envelope = fromTemplate("06", random, eventId, created);
  Object.assign(envelope.detail.data.object, chargeObject(p, refunded));
  envelope.detail.data.previous_attributes = { amount_refunded: previously, refunded: false };
  return envelope;
}

function disputeCreated(p: Purchase, random: Random, eventId: string, created: number, status: string): Envelope {
  const envelope = fromTemplate("07", random, eventId, created);
  Object.assign(envelope.detail.data.object, {
    id: `du_${p.charge.slice(3)}`,
    amount: p.amount,
    currency: p.currency,
    charge: p.charge,
    payment_intent: p.paymentIntent,
    status,
    reason: status.startsWith("warning_") ? "general" : "fraudulent",
    created,
  });
  return envelope;
}

/** A subscription invoice and the customer it bills. */
interface Invoice {
  readonly id: string;
  readonly number: string;
  readonly customer: string;
  readonly customerEmail: string | null;
  readonly amount: number;
  readonly currency: string;
}

type InvoiceNotice = { readonly kind: "paid" } | { readonly kind: "failed"; readonly attempt: number; readonly last: boolean };

function invoiceEvent(inv: Invoice, notice: InvoiceNotice, random: Random, eventId: string, created: number): Envelope {
  const envelope = fromTemplate(notice.kind === "paid" ? "01" : "02", random, eventId, created);
  const object = envelope.detail.data.object;
  Object.assign(object, {
    id: inv.id,
    number: inv.number,
    customer: inv.customer,
    customer_email: inv.customerEmail,
    customer_name: null,
    currency: inv.currency,
    amount_due: inv.amount,
    // The suite writes in English so that emails can be matched to invoices by their subject.
    metadata: { locale: "en-US" },
  });
  if (notice.kind === "paid") {
    Object.assign(object, { amount_paid: inv.amount, amount_remaining: 0, status: "paid", next_payment_attempt: null });
  } else {
    Object.assign(object, {
      amount_paid: 0,
      amount_remaining: inv.amount,
      attempt_count: notice.attempt,
      status: "open",
      next_payment_attempt: notice.last ? null : created + 3 * DAY,
    });
  }
  return envelope;
}

/** Options of {@link syntheticScenario}. */
export interface SyntheticOptions {
  readonly seed: number;
  /** Good events to deliver, copies included (the generator stops at the first fact past it). */
  readonly events: number;
  /** Waves (at least 3: an invoice can take three notices); the pipeline settles between them. */
  readonly waves?: number;
  /** Keeps ids apart when several scenarios share one runtime. */
  readonly namespace?: string;
  /** Share of events delivered more than once (each extra copy under a new envelope id). */
  readonly duplicateRate?: number;
  /** Bad inputs to mix in (cycling through every kind). */
  readonly badInputs?: number;
}

/** Every Stripe event is created at or after this (Unix seconds): 2026-09-01T00:00:00Z. */
const SYNTHETIC_START = Date.parse("2026-09-01T00:00:00Z") / 1000;
/** The span over which purchases and invoices are spread, and the promotion window inside it. */
const SPAN = 6 * HOUR;
const SYNTHETIC_PROMOTION = { start: SYNTHETIC_START + 2 * HOUR, end: SYNTHETIC_START + 4 * HOUR };

/**
 * Purchases (with refunds, partial or full, chargebacks and inquiries, refunds of purchases never
 * seen), subscription invoices (paid, failing then paid, retries, failures arriving after the
 * payment, zero-amount) over many customers of whom a few are hot, in any of several currencies.
 */
export function syntheticScenario(options: SyntheticOptions): Scenario {
  const random = new Random(options.seed);
  const waveCount = Math.max(3, options.waves ?? 3);
  const ns = options.namespace ?? "r";
  const duplicateRate = options.duplicateRate ?? 0.3;
  const waves: Envelope[][] = Array.from({ length: waveCount }, () => []);
  let eventSeq = 0;
  let emitted = 0;
  const nextEventId = () => `evt_${ns}${(++eventSeq).toString(36).padStart(7, "0")}`;
  /** Delivers an event in `wave`, plus copies in the same or later waves. */
  const deliver = (envelope: Envelope, wave: number) => {
    const copies = random.chance(duplicateRate) ? (random.chance(0.3) ? 3 : 2) : 1;
    for (let copy = 0; copy < copies; copy++) {
      const target = copy === 0 ? wave : random.int(wave, waveCount - 1);
      waves[target]!.push(copy === 0 ? envelope : { ...structuredClone(envelope), id: random.uuid() });
      emitted++;
    }
  };

  const loyaltyCustomers = Math.max(10, Math.round(options.events / 25));
  const hot = Math.min(3, loyaltyCustomers);
  const payers = Math.max(5, Math.round(options.events / 40));
  const profiles: ProfileSpec[] = [];
  for (let k = 0; k < loyaltyCustomers; k++) {
    // Half the buyers have a profile with an email: their purchases get an engagement email.
    if (random.chance(0.5)) profiles.push({ customerId: `cus_${ns}b${k}`, email: `buyer-${ns}${k}@example.com`, locale: "en-US", devices: 0 });
  }
  const payerProfiles = new Map<number, ProfileSpec>();
  for (let k = 0; k < payers; k++) {
    if (random.chance(0.2)) continue;
    const profile = { customerId: `cus_${ns}p${k}`, email: `payer-${ns}${k}@example.com`, locale: "en-US", devices: random.weighted([[0, 3], [1, 5], [2, 2]] as const) };
    payerProfiles.set(k, profile);
    profiles.push(profile);
  }

  const expectedFacts = Math.max(1, options.events / 2.2);
  let facts = 0;
  while (emitted < options.events) {
    const created = SYNTHETIC_START + Math.floor((facts++ * SPAN) / expectedFacts);
    if (random.chance(0.72)) addPurchase(created);
    else addInvoice(created);
  }

  function addPurchase(created: number): void {
    const n = (++eventSeq).toString(36).padStart(7, "0");
    const k = random.chance(0.3) ? random.int(0, hot - 1) : random.int(0, loyaltyCustomers - 1);
    const who = random.weighted([["metadata", 94], ["stripe-only", 5], ["nobody", 1]] as const);
    const currency = random.weighted([["usd", 80], ["jpy", 8], ["kwd", 6], ["bhd", 6]] as const);
    const big = random.chance(0.05);
    const amount =
      currency === "usd"
        ? big ? random.int(50_000, 300_000) : random.int(99, 20_000)
        : currency === "jpy"
          ? random.int(100, big ? 400_000 : 30_000)
          : random.int(100, big ? 30_000 : 6_000) * 10;
    const p: Purchase = {
      paymentIntent: `pi_${ns}${n}`,
      charge: `ch_${ns}${n}`,
      session: `${ns}${n}`,
      loyaltyCustomer: who === "metadata" ? `C-${ns}-${k}` : null,
      stripeCustomer: who === "nobody" ? null : `cus_${ns}b${k}`,
      email: who === "nobody" ? null : `buyer-${ns}${k}@example.com`,
      amount,
      currency,
      premium: random.chance(0.3),
      created,
    };
    const wave = () => random.int(0, waveCount - 1);
    const kinds = random.weighted([[["pi", "charge"], 50], [["pi", "charge", "checkout"], 25], [["pi"], 10], [["charge"], 10], [["checkout"], 5]] as const);
    // A refund of a purchase never seen: it must wait on a placeholder and change no balance.
    const orphan = random.chance(0.02);
    if (!orphan) {
      for (const kind of kinds) {
        const build = kind === "pi" ? paymentIntentSucceeded : kind === "charge" ? chargeSucceeded : checkoutCompleted;
        deliver(build(p, random, nextEventId()), wave());
      }
    }
    // Reversals of skipped purchases would leave a status that depends on arrival order; skip them.
    const credited = p.currency !== "bhd" && who !== "nobody";
    if (!credited) return;
    if (orphan || random.chance(0.2)) {
      const steps = random.chance(0.4) ? 2 : 1;
      let refunded = 0;
      for (let step = 1; step <= steps; step++) {
        const full = step === steps && random.chance(0.4);
        const next = full ? p.amount : Math.min(p.amount, refunded + random.int(1, Math.max(1, Math.floor(p.amount / 2))));
        deliver(chargeRefunded(p, random, nextEventId(), created + step * HOUR, next, refunded), wave());
        refunded = next;
      }
    }
    if (!orphan && random.chance(0.05)) {
      const status = random.chance(0.75) ? "needs_response" : "warning_needs_response";
      deliver(disputeCreated(p, random, nextEventId(), created + 2 * DAY, status), wave());
    }
  }

  function addInvoice(created: number): void {
    const n = ++eventSeq;
    const k = random.int(0, payers - 1);
    const profile = payerProfiles.get(k);
    const drawn = random.weighted([["same", 60], ["none", 37], ["malformed", 3]] as const);
    // A payer without a profile gets a contact stub from their first invoice with an address
    // (functions/customers/contact.ts); an invoice without one would then be told or not depending
    // on arrival order, so their invoices always carry it.
    const emailOnInvoice = profile ? drawn : "same";
    const inv: Invoice = {
      id: `in_${ns}${n.toString(36).padStart(7, "0")}`,
      number: `RL${ns.toUpperCase()}-${n.toString().padStart(7, "0")}`,
      customer: `cus_${ns}p${k}`,
      customerEmail: emailOnInvoice === "same" ? (profile?.email ?? `payer-${ns}${k}@example.com`) : emailOnInvoice === "malformed" ? "not-an-address" : null,
      amount: random.int(500, 9_900),
      currency: random.chance(0.9) ? "usd" : "jpy",
    };
    const shape = random.weighted([["paid", 45], ["fail-then-paid", 20], ["retries", 10], ["stale-failure", 10], ["fail-only", 10], ["zero", 5]] as const);
    const notices: Array<{ notice: InvoiceNotice; created: number; wave: number; invoice?: Invoice }> = [];
    const first = random.int(0, waveCount - 2);
    switch (shape) {
      case "paid":
        notices.push({ notice: { kind: "paid" }, created, wave: random.int(0, waveCount - 1) });
        break;
      case "zero":
        notices.push({ notice: { kind: "paid" }, created, wave: random.int(0, waveCount - 1), invoice: { ...inv, amount: 0 } });
        break;
      case "fail-only":
        notices.push({ notice: { kind: "failed", attempt: random.int(1, 4), last: random.chance(0.3) }, created, wave: random.int(0, waveCount - 1) });
        break;
      case "fail-then-paid":
        notices.push({ notice: { kind: "failed", attempt: 1, last: false }, created, wave: first });
        notices.push({ notice: { kind: "paid" }, created: created + DAY, wave: random.int(first + 1, waveCount - 1) });
        break;
      case "retries": {
        const lastPaid = random.chance(0.5);
        notices.push({ notice: { kind: "failed", attempt: 1, last: false }, created, wave: 0 });
        notices.push({ notice: { kind: "failed", attempt: 2, last: false }, created: created + 3 * DAY, wave: 1 });
        notices.push({ notice: lastPaid ? { kind: "paid" } : { kind: "failed", attempt: 3, last: true }, created: created + 6 * DAY, wave: 2 });
        break;
      }
      case "stale-failure": {
        // The payment is recorded first; the failure, created before it (or in the same second),
        // arrives in a later wave and must not be told.
        const sameSecond = random.chance(0.3);
        notices.push({ notice: { kind: "paid" }, created: created + (sameSecond ? 0 : DAY), wave: first });
        notices.push({ notice: { kind: "failed", attempt: 1, last: false }, created, wave: random.int(first + 1, waveCount - 1) });
        break;
      }
    }
    for (const { notice, created: at, wave, invoice } of notices) deliver(invoiceEvent(invoice ?? inv, notice, random, nextEventId(), at), wave);
  }

  for (const wave of waves) random.shuffle(wave);
  return {
    name: `synthetic-${options.seed}`,
    loyaltyConfig: loyaltyConfigFor(SYNTHETIC_PROMOTION),
    profiles,
    waves,
    bad: badInputs(options.badInputs ?? 0, random, ns),
  };
}

/** What is going on when the crash scenario kills the process. */
export type CrashMoment =
  /** Loyalty events arrive and are consumed; the invoice waves have settled. */
  | "loyalty"
  /** Everything at once, notices included: a kill may land between an email leaving and its record. */
  | "everything";

/**
 * The process-crash scenario: a synthetic scenario killed in its last wave. For `loyalty`, invoice
 * events keep their waves and the loyalty events (order-free) all come last; for `everything`, the
 * waves are as generated.
 */
export function crashScenario(seed: number, events: number, moment: CrashMoment): Scenario {
  const base = syntheticScenario({ seed, events, namespace: "k" });
  if (moment === "everything") return { ...base, name: "process crash with notices in flight" };
  const invoice = (envelope: Envelope) => String(envelope["detail-type"]).startsWith("invoice.");
  const loyalty = new Random(seed).shuffle(base.waves.flatMap((wave) => wave.filter((envelope) => !invoice(envelope))));
  return { ...base, name: "process crash", waves: [...base.waves.map((wave) => wave.filter(invoice)), loyalty] };
}

/** The fixture customers' profiles: invoice customers with devices, and the buyer of 03/04. */
export const FIXTURE_PROFILES: readonly ProfileSpec[] = [
  { customerId: "cus_AbIItO38LiTlry", email: "jenny.rosen@example.com", name: "Jenny Rosen", locale: "en-US", devices: 1 },
  { customerId: "cus_rr45S67CzesPOY", email: "sam.lee@example.com", name: "Sam Lee", locale: "en-GB", devices: 2 },
  { customerId: "cus_61BSXNh6V2pQ3q", email: "hana.sato@example.jp", name: "Hana Sato", locale: "ja-JP", devices: 1 },
  { customerId: "cus_Qul9Qa3lJkatBi", email: "alex.martin@example.com", name: "Alex Martin", locale: "fr-FR", devices: 0 },
];

/** The loyalty configuration of fixture scenarios: a promotion covers Checkout fixture 05. */
export const FIXTURE_LOYALTY_CONFIG = loyaltyConfigFor({
  start: Date.parse("2026-08-04T00:00:00Z") / 1000,
  end: Date.parse("2026-08-05T00:00:00Z") / 1000,
});

/**
 * Every fixture, each delivered `copies` times (new envelope ids), shuffled with `seed`; with `ns`,
 * under ids carrying it ({@link renamedFixture}), so that several runs can share a runtime.
 */
export function fixtureScenario(copies: number, seed: number, ns?: string): Scenario {
  const random = new Random(seed);
  // The oracle models invoice notices and loyalty: fixtures 01–16. The customer-lifecycle fixtures
  // (17 and later) are covered end to end by test/customers.e2e.test.ts.
  const events = fixtureNames.filter((name) => name < "17").flatMap((name) =>
    Array.from({ length: copies }, () => {
      const envelope = ns === undefined ? loadFixture(name) : renamedFixture(name, ns);
      envelope.id = random.uuid();
      return envelope;
    }),
  );
  return {
    name: `fixtures×${copies}`,
    loyaltyConfig: FIXTURE_LOYALTY_CONFIG,
    profiles: FIXTURE_PROFILES,
    waves: [copies === 1 ? events : random.shuffle(events)],
    bad: [],
  };
}

/**
 * A fixture under new ids (Stripe object and event ids, invoice number and loyalty customer id
 * suffixed with `ns`), so that several copies of a fixture scenario can share one runtime.
 */
function renamedFixture(name: string, ns: string): Envelope {
  const text = JSON.stringify(loadFixture(name)).replace(/"((?:(?:evt|pi|ch|cs_test|du|in)_[A-Za-z0-9]+)|C-\d+)"/g, `"$1${ns}"`);
  const envelope = JSON.parse(text) as Envelope;
  const object = envelope.detail.data?.object;
  if (object?.number) object.number = `${object.number}-${ns}`;
  return envelope;
}

/**
 * The fixture facts delivered out of order, each with a documented outcome:
 * - loyalty: the full refund (06) and the chargeback (07) arrive before the purchase (03/04) they
 *   reverse, and a partial refund of Checkout 05 before the Checkout itself;
 * - notifications: a failure of invoice 01, created before its payment, arrives after the payment
 *   was recorded (never told), while invoice 02's failure is told before the payment that settles
 *   it (both told).
 * Within each wave the order is shuffled with `seed`; ids carry `ns`.
 */
export function reorderedFixtures(seed: number, ns: string): Scenario {
  const random = new Random(seed);
  const f = (name: string) => renamedFixture(name, ns);
  const [invoice01, invoice02, checkout05] = [f("01"), f("02"), f("05")];

  const staleFailure01 = f("02");
  staleFailure01.detail.id = `evt_stalefailure01${ns}`;
  staleFailure01.detail.created = invoice01.detail.created - DAY;
  staleFailure01.detail.data.object = {
    ...structuredClone(invoice01.detail.data.object),
    status: "open",
    amount_paid: 0,
    amount_remaining: invoice01.detail.data.object.amount_due,
    attempt_count: 1,
    next_payment_attempt: null,
  };

  const paid02 = f("01");
  paid02.detail.id = `evt_paid02${ns}`;
  paid02.detail.created = invoice02.detail.created + DAY;
  paid02.detail.data.object = {
    ...structuredClone(invoice02.detail.data.object),
    status: "paid",
    amount_paid: invoice02.detail.data.object.amount_due,
    amount_remaining: 0,
    next_payment_attempt: null,
  };

  const session = checkout05.detail.data.object;
  const partialRefund05 = f("06");
  partialRefund05.detail.id = `evt_partialrefund05${ns}`;
  Object.assign(partialRefund05.detail.data.object, {
    id: `ch_checkout05${ns}`,
    payment_intent: session.payment_intent,
    customer: session.customer,
    amount: session.amount_total,
    amount_captured: session.amount_total,
    amount_refunded: session.amount_total / 3,
    refunded: false,
    metadata: session.metadata,
    // The same buyer's address as on the session (the template's is another customer's).
    receipt_email: session.customer_details.email,
    billing_details: { ...partialRefund05.detail.data.object.billing_details, email: session.customer_details.email },
  });

  const first = [f("06"), f("07"), partialRefund05, invoice01, invoice02, f("08"), f("09")];
  const second = [f("03"), f("04"), checkout05, staleFailure01, paid02, ...["10", "11", "12", "13", "14", "15", "16"].map(f)];
  return {
    name: `reordered-${seed}`,
    loyaltyConfig: FIXTURE_LOYALTY_CONFIG,
    profiles: FIXTURE_PROFILES,
    waves: [random.shuffle(first), random.shuffle(second)],
    bad: [],
  };
}

/** Every kind of bad input, `count` in all, cycling through the kinds. */
export function badInputs(count: number, random: Random, ns: string): BadInput[] {
  const kinds: Array<(i: number) => BadInput> = [
    (i) => ({ label: "malformed JSON detail", via: "api", entry: { Source: "paybus.stripe", DetailType: "invoice.paid", Detail: `{"id": "evt_${ns}bad${i}", ` }, expect: { outcome: "rejected", code: "MalformedDetail" } }),
    (i) => ({ label: "detail is an array", via: "api", entry: { Source: "paybus.stripe", DetailType: "invoice.paid", Detail: `[${i}]` }, expect: { outcome: "rejected", code: "MalformedDetail" } }),
    () => ({ label: "missing detail-type", via: "api", entry: { Source: "paybus.stripe", Detail: "{}" }, expect: { outcome: "rejected", code: "InvalidArgument" } }),
    (i) => {
      const envelope = invalidCopy("03", random, `evt_${ns}forged${i}`);
      return { label: "forged aws. source", via: "api", entry: { Source: "aws.partner/stripe.com/ed_forged", DetailType: envelope["detail-type"], Detail: JSON.stringify(envelope.detail) }, expect: { outcome: "rejected", code: "NotAuthorizedForSourceException" } };
    },
    (i) => {
      const envelope = invalidCopy("01", random, `evt_${ns}untrusted${i}`);
      return { label: "untrusted source", via: "api", entry: { Source: "payments.example", DetailType: envelope["detail-type"], Detail: JSON.stringify(envelope.detail) }, expect: { outcome: "unmatched" }, stripeEventId: envelope.detail.id };
    },
    (i) => {
      const envelope = invalidCopy("01", random, `evt_${ns}wrongtype${i}`);
      envelope.detail.data.object.amount_paid = "1500";
      return { label: "wrong type (amount as a string)", via: "partner", envelope, expect: { outcome: "dlq", queue: "notifications", reason: "amount_paid: Invalid input: expected number, received string" }, stripeEventId: envelope.detail.id };
    },
    (i) => {
      const envelope = invalidCopy("04", random, `evt_${ns}mismatch${i}`);
      envelope["detail-type"] = "payment_intent.succeeded";
      return { label: "detail-type mismatch", via: "partner", envelope, expect: { outcome: "dlq", queue: "loyalty", reason: 'detail-type "payment_intent.succeeded" does not match detail.type "charge.succeeded"' }, stripeEventId: envelope.detail.id };
    },
    (i) => {
      const envelope = invalidCopy("03", random, `evt_${ns}unknown${i}`);
      envelope["detail-type"] = envelope.detail.type = "payment_intent.teleported";
      return { label: "unknown event type", via: "partner", envelope, expect: { outcome: "unmatched" }, stripeEventId: envelope.detail.id };
    },
    (i) => ({ label: "oversized entry", via: "api", entry: { Source: "paybus.stripe", DetailType: "invoice.paid", Detail: JSON.stringify({ id: `evt_${ns}huge${i}`, pad: "x".repeat(1024 * 1024) }) }, expect: { outcome: "request-refused", code: "ValidationException" } }),
    () => ({ label: "malformed JSON on the queue", via: "queue", queue: "loyalty", body: "{not json", expect: { outcome: "dlq", queue: "loyalty", reason: "body is not valid JSON" } }),
    (i) => {
      const envelope = invalidCopy("16", random, `evt_${ns}thin${i}`);
      return { label: "thin event", via: "partner", envelope, expect: { outcome: "unmatched" }, stripeEventId: envelope.detail.id };
    },
    (i) => {
      const envelope = invalidCopy("04", random, `evt_${ns}nocurrency${i}`);
      delete envelope.detail.data.object.currency;
      return { label: "missing required field", via: "partner", envelope, expect: { outcome: "dlq", queue: "loyalty", reason: "detail.data.object.currency" }, stripeEventId: envelope.detail.id };
    },
  ];
  return Array.from({ length: count }, (_, i) => kinds[i % kinds.length]!(i));
}

/** A fixture under a new Stripe event id, for bad inputs (kept apart from every good fact). */
function invalidCopy(name: string, random: Random, eventId: string): Envelope {
  const envelope = loadFixture(name);
  envelope.id = random.uuid();
  envelope.detail.id = eventId;
  return envelope;
}
