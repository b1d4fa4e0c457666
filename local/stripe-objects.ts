/**
 * The local Stripe's API objects (balance transactions, coupons, promotion codes) as Stripe answers
 * them, its error shape, and the form parameters it reads: what each endpoint builds and refuses,
 * without the account state (`stripe.ts`).
 */
import { randomBytes } from "node:crypto";

/** A Stripe API error as the API answers it. */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: "invalid_request_error" | "idempotency_error" | "api_error",
    message: string,
    readonly param?: string,
    readonly code?: string,
  ) {
    super(message);
  }
  body() {
    return { error: { type: this.type, message: this.message, ...(this.code ? { code: this.code } : {}), ...(this.param ? { param: this.param } : {}) } };
  }
}

/** A customer balance transaction, as Stripe answers it. */
export interface BalanceTransaction {
  readonly id: string;
  readonly object: "customer_balance_transaction";
  readonly amount: number;
  readonly created: number;
  readonly credit_note: null;
  readonly currency: string;
  readonly customer: string;
  readonly description: string | null;
  readonly ending_balance: number;
  readonly invoice: null;
  readonly livemode: false;
  readonly metadata: Record<string, string>;
  readonly type: "adjustment";
}

/** A coupon, as Stripe answers it. */
export interface Coupon {
  readonly id: string;
  readonly object: "coupon";
  readonly amount_off: number | null;
  readonly currency: string | null;
  readonly percent_off: number | null;
  readonly duration: string;
  readonly created: number;
  readonly livemode: false;
  readonly max_redemptions: number | null;
  readonly metadata: Record<string, string>;
  readonly name: string | null;
  readonly redeem_by: number | null;
  readonly times_redeemed: 0;
  readonly valid: true;
}

/** A promotion code, as Stripe answers it. */
export interface PromotionCode {
  readonly id: string;
  readonly object: "promotion_code";
  readonly active: true;
  readonly code: string;
  /** API versions from 2025-09-30 (the SDK's): the coupon sits under `promotion`. */
  readonly promotion: { readonly type: "coupon"; readonly coupon: string };
  readonly created: number;
  readonly customer: string | null;
  readonly expires_at: number | null;
  readonly livemode: false;
  readonly max_redemptions: number | null;
  readonly metadata: Record<string, string>;
  readonly times_redeemed: 0;
}

/** Anything the local Stripe creates. */
export type StripeObject = BalanceTransaction | Coupon | PromotionCode;

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}`;
const now = () => Math.floor(Date.now() / 1000);

/** Stripe's form encoding (`metadata[key]=v`, `a[0]=x`) back into an object, one level deep as paybus uses it. */
export function parseForm(body: string): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const nested = /^([^[]+)\[([^\]]*)\]$/.exec(name);
    if (nested) {
      const bag = (result[nested[1]!] ??= {}) as Record<string, string>;
      bag[nested[2]!] = value;
    } else result[name] = value;
  }
  return result;
}

/** An integer parameter (form values are text), or Stripe's missing/invalid parameter error. */
export function integer(params: Record<string, unknown>, name: string, required: boolean): number | undefined {
  const raw = params[name];
  if (raw === undefined) {
    if (required) throw new StripeApiError(400, "invalid_request_error", `Missing required param: ${name}.`, name, "parameter_missing");
    return undefined;
  }
  if (typeof raw !== "string" || !/^-?\d+$/.test(raw)) {
    throw new StripeApiError(400, "invalid_request_error", `Invalid integer: ${String(raw)}`, name, "parameter_invalid_integer");
  }
  return Number(raw);
}

function currencyOf(params: Record<string, unknown>, required: boolean): string | undefined {
  const raw = params.currency;
  if (raw === undefined) {
    if (required) throw new StripeApiError(400, "invalid_request_error", "Missing required param: currency.", "currency", "parameter_missing");
    return undefined;
  }
  if (typeof raw !== "string" || !/^[a-zA-Z]{3}$/.test(raw)) {
    throw new StripeApiError(400, "invalid_request_error", `Invalid currency: ${String(raw)}.`, "currency");
  }
  return raw.toLowerCase();
}

const metadataOf = (params: Record<string, unknown>) => (params.metadata ?? {}) as Record<string, string>;

/** A balance transaction of `customer`, whose balance is `balance` before it. */
export function newBalanceTransaction(customer: string, params: Record<string, unknown>, balance: number): BalanceTransaction {
  if (!customer.startsWith("cus_")) throw new StripeApiError(404, "invalid_request_error", `No such customer: '${customer}'`, "id", "resource_missing");
  const amount = integer(params, "amount", true)!;
  const currency = currencyOf(params, true)!;
  const ending = balance + amount;
  const object: BalanceTransaction = {
    id: id("cbtxn"),
    object: "customer_balance_transaction",
    amount,
    created: now(),
    credit_note: null,
    currency,
    customer,
    description: typeof params.description === "string" ? params.description : null,
    ending_balance: ending,
    invoice: null,
    livemode: false,
    metadata: metadataOf(params),
    type: "adjustment",
  };
  return object;
}

/** A coupon from its parameters (whether its id is taken is for the caller to say). */
export function newCoupon(params: Record<string, unknown>): Coupon {
  const percent = params.percent_off === undefined ? undefined : Number(params.percent_off);
  const amountOff = integer(params, "amount_off", false);
  if ((percent === undefined) === (amountOff === undefined)) {
    throw new StripeApiError(400, "invalid_request_error", "You must pass exactly one of amount_off or percent_off.", "percent_off");
  }
  if (percent !== undefined && !(percent > 0 && percent <= 100)) {
    throw new StripeApiError(400, "invalid_request_error", "Invalid percent_off: must be greater than 0 and at most 100.", "percent_off");
  }
  const currency = currencyOf(params, amountOff !== undefined) ?? null;
  const object: Coupon = {
    id: typeof params.id === "string" ? params.id : id("coupon").slice(0, 15),
    object: "coupon",
    amount_off: amountOff ?? null,
    currency,
    percent_off: percent ?? null,
    duration: typeof params.duration === "string" ? params.duration : "once",
    created: now(),
    livemode: false,
    max_redemptions: integer(params, "max_redemptions", false) ?? null,
    metadata: metadataOf(params),
    name: typeof params.name === "string" ? params.name : null,
    redeem_by: integer(params, "redeem_by", false) ?? null,
    times_redeemed: 0,
    valid: true,
  };
  return object;
}

/** A promotion code of a coupon among `objects`, with a code none of `codes` has (case-insensitively). */
export function newPromotionCode(params: Record<string, unknown>, objects: ReadonlyMap<string, StripeObject>, codes: readonly PromotionCode[]): PromotionCode {
  // API 2025-09-30 moved `coupon` under `promotion: { type: "coupon", coupon }`; accept both.
  const promotion = params.promotion as Record<string, string> | undefined;
  const couponId = typeof params.coupon === "string" ? params.coupon : promotion?.coupon;
  if (couponId === undefined) throw new StripeApiError(400, "invalid_request_error", "Missing required param: promotion[coupon].", "promotion[coupon]", "parameter_missing");
  const coupon = objects.get(couponId);
  if (coupon?.object !== "coupon") throw new StripeApiError(400, "invalid_request_error", `No such coupon: '${couponId}'`, "coupon", "resource_missing");
  const code = typeof params.code === "string" ? params.code : randomBytes(6).toString("hex").toUpperCase();
  if (codes.some((p) => p.code.toLowerCase() === code.toLowerCase())) {
    throw new StripeApiError(400, "invalid_request_error", "An active promotion code with `code` already exists.", "code", "resource_already_exists");
  }
  const object: PromotionCode = {
    id: id("promo"),
    object: "promotion_code",
    active: true,
    code,
    promotion: { type: "coupon", coupon: coupon.id },
    created: now(),
    customer: typeof params.customer === "string" ? params.customer : null,
    expires_at: integer(params, "expires_at", false) ?? null,
    livemode: false,
    max_redemptions: integer(params, "max_redemptions", false) ?? null,
    metadata: metadataOf(params),
    times_redeemed: 0,
  };
  return object;
}
