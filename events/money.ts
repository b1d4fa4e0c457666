/**
 * Money as Stripe sends it: integer amounts in the currency's minor unit. Nothing here uses
 * floating point for an amount; decimal strings are built digit by digit.
 */

import { numberFormat } from "./intl.ts";

/** Currencies whose Stripe amounts have no minor unit (`amount: 4800` is ¥4,800). */
export const ZERO_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set([
  "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
]);

/** Currencies whose Stripe amounts have three decimals (`amount: 12350` is 12.350 KWD). */
export const THREE_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set(["bhd", "jod", "kwd", "omr", "tnd"]);

/** An integer amount in minor units together with its ISO currency code (lower case, as Stripe). */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

export class InvalidAmountError extends Error {
  override readonly name = "InvalidAmountError";
}

/** Number of decimal digits of the currency's minor unit as Stripe's API counts them. */
export function currencyExponent(currency: string): 0 | 2 | 3 {
  const code = currency.toLowerCase();
  if (ZERO_DECIMAL_CURRENCIES.has(code)) return 0;
  if (THREE_DECIMAL_CURRENCIES.has(code)) return 3;
  return 2;
}

function assertMinorUnits(amount: number): void {
  if (!Number.isSafeInteger(amount)) {
    throw new InvalidAmountError(`amount must be an integer number of minor units, got ${String(amount)}`);
  }
}

/** The amount as an exact decimal string in major units: `(12350, "kwd")` -> `"12.350"`. */
export function toDecimalString({ amount, currency }: Money): string {
  assertMinorUnits(amount);
  const exponent = currencyExponent(currency);
  const sign = amount < 0 ? "-" : "";
  const digits = Math.abs(amount).toString();
  if (exponent === 0) return sign + digits;
  const padded = digits.padStart(exponent + 1, "0");
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

/** Whole major units, rounded toward zero: `(2099, "usd")` -> `20`, `(4800, "jpy")` -> `4800`. */
export function wholeUnits({ amount, currency }: Money): number {
  assertMinorUnits(amount);
  const divisor = 10 ** currencyExponent(currency);
  return Math.trunc(amount / divisor);
}

/** Minor units from a decimal string in major units, exactly: `("12.35", "kwd")` -> `12350`. */
export function fromDecimalString(value: string, currency: string): number {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!match) throw new InvalidAmountError(`"${value}" is not a decimal amount`);
  const [, sign, whole, fraction = ""] = match;
  const exponent = currencyExponent(currency);
  if (fraction.replace(/0+$/, "").length > exponent) {
    throw new InvalidAmountError(`"${value}" has more decimals than ${currency.toUpperCase()} allows (${exponent})`);
  }
  const minor = Number(`${whole}${fraction.padEnd(exponent, "0").slice(0, exponent)}`);
  assertMinorUnits(minor);
  return sign === "-" ? -minor : minor;
}

/**
 * The amount formatted for people in a locale, e.g. `$20.00`, `￥4,800`, `KWD 12.350`.
 * Intl formats the exact decimal string, so no float rounding can creep in.
 */
export function formatMoney(money: Money, locale = "en-US"): string {
  const exponent = currencyExponent(money.currency);
  const format = numberFormat(locale, {
    style: "currency",
    currency: money.currency.toUpperCase(),
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  });
  // ES2023 Intl accepts a decimal string and formats it exactly; the type lags behind.
  return format.format(toDecimalString(money) as unknown as number);
}
