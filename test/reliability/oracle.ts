/**
 * The independent oracle: the final state the pipeline must reach, computed from the input events
 * alone with a small model of the documented rules (README, the notifications README, the loyalty
 * module docs). It imports none of the consumers' code — sharing their logic would make the check
 * circular — and restates what it needs: routing, the purchase identity, points per whole currency
 * unit with the premium and promotion multipliers, reversal by cumulative refund share, chargebacks
 * reversing everything, tiers by lifetime points, one notice per invoice fact and channel, stale
 * invoice states not told.
 *
 * Outcomes that documentedly depend on arrival order within a wave (which of two conflicting
 * events came first) cannot be predicted; the oracle refuses such inputs with
 * {@link AmbiguousScenarioError} rather than guess, so the scenarios stay deterministic.
 */
import type { Envelope, ProfileSpec } from "./scenario.ts";

/** The inputs ask for an outcome that depends on arrival order within a wave. */
export class AmbiguousScenarioError extends Error {
  override name = "AmbiguousScenarioError";
}

/** The loyalty configuration as `PAYBUS_LOYALTY_CONFIG` holds it (defaults as documented). */
export interface OracleLoyaltyConfig {
  readonly currencies?: Readonly<Record<string, { readonly points: number; readonly perUnits: number }>>;
  readonly premiumMultiplier?: number;
  readonly promotions?: ReadonlyArray<{ readonly name: string; readonly start: string; readonly end: string; readonly multiplier?: number }>;
}

export interface ExpectedBalance {
  readonly points: number;
  readonly lifetimePoints: number;
  readonly tier: string;
  readonly purchases: number;
}

export interface ExpectedPurchase {
  readonly status: "awarded" | "pending" | "skipped";
  readonly customerId?: string;
  readonly points?: number;
  readonly reversedPoints: number;
  readonly refundedAmount: number;
  readonly chargedBack: boolean;
}

/** One notice told: an email (when an address is known) and a push per registered device. */
export interface ExpectedNotice {
  readonly invoiceId: string;
  readonly number: string;
  /** `paid` or `failed#<attempt>`. */
  readonly key: string;
  readonly email: string | null;
  readonly pushes: number;
}

/** The engagement execution a credited purchase starts: named after the purchase, so that a repeat cannot start a second one. */
export function engagementExecutionOf(purchaseId: string): string {
  return `purchase-${purchaseId.replace(/[^A-Za-z0-9_-]/g, "_")}`.slice(0, 80);
}

export interface ExpectedState {
  readonly balances: ReadonlyMap<string, ExpectedBalance>;
  readonly purchases: ReadonlyMap<string, ExpectedPurchase>;
  readonly notices: readonly ExpectedNotice[];
  /** Engagement emails per address (one per credited purchase whose Stripe customer has an email). */
  readonly engagementEmails: ReadonlyMap<string, number>;
  /** Engagement executions: one per credited purchase. */
  readonly workflows: ReadonlySet<string>;
  /** Input events the oracle considered routed to a consumer, by queue. */
  readonly routed: { readonly notifications: number; readonly loyalty: number };
}

const NOTIFICATION_TYPES = new Set(["invoice.paid", "invoice.payment_failed"]);
const LOYALTY_TYPES = new Set(["payment_intent.succeeded", "charge.succeeded", "checkout.session.completed", "charge.refunded", "charge.dispute.created"]);
const ZERO_DECIMAL = new Set(["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]);
const THREE_DECIMAL = new Set(["bhd", "jod", "kwd", "omr", "tnd"]);
const TIERS: ReadonlyArray<readonly [string, number]> = [["platinum", 15_000], ["gold", 5_000], ["silver", 1_000]];
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** The documented default programme: one point per whole US dollar. */
const DEFAULT_CURRENCIES: NonNullable<OracleLoyaltyConfig["currencies"]> = { usd: { points: 1, perUnits: 1 } };

/** Trusted sources: the Stripe partner event source and the webhook bridge. */
function trusted(source: unknown): boolean {
  return typeof source === "string" && (source.startsWith("aws.partner/stripe.com/") || source === "paybus.stripe");
}

function minorUnitExponent(currency: string): number {
  return ZERO_DECIMAL.has(currency) ? 0 : THREE_DECIMAL.has(currency) ? 3 : 2;
}

function tierOf(lifetimePoints: number): string {
  return TIERS.find(([, threshold]) => lifetimePoints >= threshold)?.[0] ?? "member";
}

/** What one accrual event says about its purchase, or why it is not credited. */
type PurchaseClaim =
  | { kind: "credit"; purchaseId: string; customerId: string; stripeCustomerId: string | null; points: number }
  | { kind: "recorded-skip"; purchaseId: string }
  | { kind: "ignored" };

interface PurchaseModel {
  credit?: Extract<PurchaseClaim, { kind: "credit" }>;
  recordedSkip: boolean;
  refunded: number;
  basis: number;
  chargedBack: boolean;
  reversed: boolean;
}

/**
 * The address a payment event carries for its Stripe customer, in the order paybus reads them
 * (functions/customers/contact.ts): the loyalty consumer stores it as the profile of a customer
 * who has none (a contact stub), before it starts the purchase's engagement workflow.
 */
function eventAddress(object: Record<string, any>): string | undefined {
  const candidates =
    object.object === "charge"
      ? [object.receipt_email, object.billing_details?.email]
      : object.object === "payment_intent"
        ? [object.receipt_email]
        : object.object === "checkout.session"
          ? [object.customer_details?.email]
          : [];
  return candidates.find((email): email is string => typeof email === "string" && email.length <= 254 && EMAIL.test(email));
}

class LoyaltyModel {
  private readonly purchases = new Map<string, PurchaseModel>();
  /** Addresses seen on the loyalty events of each Stripe customer (for those without a profile). */
  private readonly addresses = new Map<string, Set<string>>();

  constructor(private readonly config: OracleLoyaltyConfig) {}

  private purchase(id: string): PurchaseModel {
    let model = this.purchases.get(id);
    if (!model) this.purchases.set(id, (model = { recordedSkip: false, refunded: 0, basis: 0, chargedBack: false, reversed: false }));
    return model;
  }

  apply(type: string, detail: Record<string, any>): void {
    const object = detail.data.object as Record<string, any>;
    const address = typeof object.customer === "string" && object.customer.startsWith("cus_") ? eventAddress(object) : undefined;
    if (address) this.addresses.set(object.customer, (this.addresses.get(object.customer) ?? new Set()).add(address));
    if (type === "charge.refunded") return this.refund(object);
    if (type === "charge.dispute.created") return this.dispute(object);
    const claim = this.claim(type, object, detail.created as number);
    if (claim.kind === "ignored") return;
    const model = this.purchase(claim.purchaseId);
    if (claim.kind === "recorded-skip") {
      // Recorded for an operator unless the purchase is known; a creditable event still credits it.
      model.recordedSkip = true;
      return;
    }
    if (model.credit && (model.credit.points !== claim.points || model.credit.customerId !== claim.customerId)) {
      throw new AmbiguousScenarioError(`events of purchase ${claim.purchaseId} disagree: the first to arrive would decide`);
    }
    model.credit = claim;
  }

  private claim(type: string, object: Record<string, any>, created: number): PurchaseClaim {
    let purchaseId: string;
    let amount: number;
    let currency: string;
    if (type === "payment_intent.succeeded") {
      if (object.status !== "succeeded" || object.invoice) return { kind: "ignored" };
      [purchaseId, amount, currency] = [object.id, object.amount_received, object.currency];
    } else if (type === "charge.succeeded") {
      if (!object.paid || object.status !== "succeeded" || object.amount_captured <= 0 || object.invoice) return { kind: "ignored" };
      [purchaseId, amount, currency] = [object.payment_intent ?? object.id, object.amount_captured, object.currency];
    } else {
      if (object.mode !== "payment" || object.payment_status !== "paid") return { kind: "ignored" };
      if (!object.payment_intent || object.amount_total === null || object.currency === null) return { kind: "ignored" };
      [purchaseId, amount, currency] = [object.payment_intent, object.amount_total, object.currency];
    }
    const metadata = (object.metadata ?? {}) as Record<string, string>;
    const customerId = metadata.customer_id || object.customer;
    const rate = (this.config.currencies ?? DEFAULT_CURRENCIES)[currency];
    if (!customerId || !rate) return { kind: "recorded-skip", purchaseId };
    const base = amount <= 0 ? 0n : (BigInt(amount) * BigInt(rate.points)) / (BigInt(rate.perUnits) * 10n ** BigInt(minorUnitExponent(currency)));
    const premium = metadata.product_category === "premium" ? BigInt(this.config.premiumMultiplier ?? 2) : 1n;
    const at = created * 1000;
    const promotion = (this.config.promotions ?? [])
      .filter((window) => Date.parse(window.start) <= at && at < Date.parse(window.end))
      .reduce((best, window) => Math.max(best, window.multiplier ?? 3), 1);
    return { kind: "credit", purchaseId, customerId, stripeCustomerId: object.customer ?? null, points: Number(base * premium * BigInt(promotion)) };
  }

  private refund(charge: Record<string, any>): void {
    const model = this.purchase(charge.payment_intent ?? charge.id);
    model.reversed = true;
    // amount_refunded is cumulative: the largest seen is the state, whatever the arrival order.
    if (charge.amount_refunded > model.refunded) [model.refunded, model.basis] = [charge.amount_refunded, charge.amount_captured];
  }

  private dispute(dispute: Record<string, any>): void {
    // An inquiry (warning_*) withdraws no funds and reverses nothing.
    if (String(dispute.status).startsWith("warning_")) return;
    const model = this.purchase(dispute.payment_intent ?? dispute.charge);
    model.reversed = true;
    model.chargedBack = true;
  }

  private stubAddress(stripeCustomerId: string): string | undefined {
    const seen = [...(this.addresses.get(stripeCustomerId) ?? [])];
    if (seen.length > 1) throw new AmbiguousScenarioError(`customer ${stripeCustomerId} has no profile and several addresses: the first to arrive would be kept`);
    return seen[0];
  }

  result(profiles: ReadonlyMap<string, ProfileSpec>) {
    const balances = new Map<string, { points: number; lifetimePoints: number; tier: string; purchases: number }>();
    const purchases = new Map<string, ExpectedPurchase>();
    const engagementEmails = new Map<string, number>();
    const workflows = new Set<string>();
    for (const [purchaseId, model] of this.purchases) {
      const state = { refundedAmount: model.refunded, chargedBack: model.chargedBack };
      if (!model.credit) {
        if (model.recordedSkip && model.reversed) {
          throw new AmbiguousScenarioError(`purchase ${purchaseId} is skipped and reversed: its status depends on which arrives first`);
        }
        purchases.set(purchaseId, { status: model.recordedSkip ? "skipped" : "pending", reversedPoints: 0, ...state });
        continue;
      }
      const { points, customerId, stripeCustomerId } = model.credit;
      const share = model.basis > 0 && model.refunded > 0 ? Number((BigInt(points) * BigInt(model.refunded)) / BigInt(model.basis)) : 0;
      const reversedPoints = model.chargedBack ? points : Math.min(points, share);
      purchases.set(purchaseId, { status: "awarded", customerId, points, reversedPoints, ...state });
      const balance = balances.get(customerId) ?? { points: 0, lifetimePoints: 0, tier: "member", purchases: 0 };
      balance.points += points - reversedPoints;
      balance.lifetimePoints += points;
      balance.purchases += 1;
      balance.tier = tierOf(balance.lifetimePoints);
      balances.set(customerId, balance);
      workflows.add(engagementExecutionOf(purchaseId));
      // The profile's address; without a profile, the one the payment events carried (the stub,
      // written by the accruing event itself before the workflow starts: the scenarios put an
      // address on every event of a purchase with a Stripe customer).
      const email = stripeCustomerId ? (profiles.has(stripeCustomerId) ? profiles.get(stripeCustomerId)!.email : this.stubAddress(stripeCustomerId)) : undefined;
      if (email) engagementEmails.set(email, (engagementEmails.get(email) ?? 0) + 1);
    }
    return { balances, purchases, engagementEmails, workflows };
  }
}

/** A notice an invoice event asks for, with its place in the invoice's progress. */
interface NoticeClaim {
  invoiceId: string;
  number: string;
  key: string;
  version: number;
  amount: number;
  email: string | null;
  customer: string | null;
}

function noticeOf(type: string, detail: Record<string, any>): NoticeClaim {
  const invoice = detail.data.object as Record<string, any>;
  const paid = type === "invoice.paid";
  // Within one second a later attempt outranks an earlier one, and the payment outranks them all.
  const rank = paid ? 999 : Math.min(invoice.attempt_count, 998);
  return {
    invoiceId: invoice.id,
    number: invoice.number ?? invoice.id,
    key: paid ? "paid" : `failed#${invoice.attempt_count}`,
    version: detail.created * 1000 + rank,
    amount: paid ? (invoice.amount_paid > 0 ? invoice.amount_paid : invoice.amount_due) : invoice.amount_remaining,
    email: typeof invoice.customer_email === "string" && EMAIL.test(invoice.customer_email) ? invoice.customer_email : null,
    customer: invoice.customer ?? null,
  };
}

class NotificationModel {
  /** Highest invoice-state version recorded so far, per invoice. */
  private readonly latest = new Map<string, number>();
  /** Notice keys already decided (told or skipped), per invoice: later copies change nothing. */
  private readonly decided = new Set<string>();
  readonly told: ExpectedNotice[] = [];

  constructor(private readonly profiles: ReadonlyMap<string, ProfileSpec>) {}

  /** One wave: the pipeline settles before the next, so earlier waves are decided in order. */
  wave(claims: readonly NoticeClaim[]): void {
    const fresh = new Map<string, NoticeClaim>();
    for (const claim of claims) {
      const id = `${claim.invoiceId} ${claim.key}`;
      if (this.decided.has(id)) continue;
      const other = fresh.get(claim.invoiceId);
      if (other && other.version !== claim.version) {
        throw new AmbiguousScenarioError(`invoice ${claim.invoiceId}: ${other.key} and ${claim.key} are both new in one wave; which is told depends on arrival order`);
      }
      fresh.set(claim.invoiceId, claim);
    }
    for (const claim of fresh.values()) {
      this.decided.add(`${claim.invoiceId} ${claim.key}`);
      const latest = this.latest.get(claim.invoiceId) ?? -Infinity;
      if (claim.version < latest) continue; // stale: superseded by a later state, never told
      this.latest.set(claim.invoiceId, claim.version);
      if (claim.amount <= 0) continue; // nothing charged / nothing left to pay
      const profile = claim.customer ? this.profiles.get(claim.customer) : undefined;
      const email = claim.email ?? (profile?.email && EMAIL.test(profile.email) ? profile.email : null);
      const pushes = profile?.devices ?? 0;
      if (!email && pushes === 0) continue; // nobody to tell
      this.told.push({ invoiceId: claim.invoiceId, number: claim.number, key: claim.key, email, pushes });
    }
  }
}

/**
 * The final state for good input events delivered wave by wave (duplicates included). Bad inputs
 * are not part of it: each carries its own expected outcome.
 */
export function expectedState(
  waves: ReadonlyArray<readonly Envelope[]>,
  config: OracleLoyaltyConfig,
  profileList: readonly ProfileSpec[],
): ExpectedState {
  const profiles = new Map(profileList.map((profile) => [profile.customerId, profile]));
  const loyalty = new LoyaltyModel(config);
  const notifications = new NotificationModel(profiles);
  const routed = { notifications: 0, loyalty: 0 };
  for (const wave of waves) {
    const claims: NoticeClaim[] = [];
    for (const envelope of wave) {
      const type = envelope["detail-type"] as string;
      const detail = envelope.detail as Record<string, any>;
      if (!trusted(envelope.source) || detail?.object !== "event" || detail.type !== type) continue;
      if (NOTIFICATION_TYPES.has(type)) {
        routed.notifications++;
        claims.push(noticeOf(type, detail));
      } else if (LOYALTY_TYPES.has(type)) {
        routed.loyalty++;
        loyalty.apply(type, detail);
      }
    }
    notifications.wave(claims);
  }
  return { ...loyalty.result(profiles), notices: notifications.told, routed };
}
