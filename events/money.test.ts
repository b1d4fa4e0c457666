import { describe, expect, it } from "vitest";
import { InvalidAmountError, currencyExponent, formatMoney, fromDecimalString, toDecimalString, wholeUnits } from "./money.ts";

describe("currency exponents", () => {
  it.each([
    ["usd", 2],
    ["JPY", 0],
    ["krw", 0],
    ["kwd", 3],
    ["bhd", 3],
    ["isk", 2],
  ] as const)("%s has %i decimals", (currency, exponent) => {
    expect(currencyExponent(currency)).toBe(exponent);
  });
});

describe("minor units to decimals, exactly", () => {
  it.each([
    [{ amount: 2000, currency: "usd" }, "20.00", 20],
    [{ amount: 2099, currency: "usd" }, "20.99", 20],
    [{ amount: 5, currency: "usd" }, "0.05", 0],
    [{ amount: 4800, currency: "jpy" }, "4800", 4800],
    [{ amount: 12350, currency: "kwd" }, "12.350", 12],
    [{ amount: -1999, currency: "eur" }, "-19.99", -19],
    [{ amount: 9007199254740991, currency: "usd" }, "90071992547409.91", 90071992547409],
  ])("%o", (money, decimal, whole) => {
    expect(toDecimalString(money)).toBe(decimal);
    expect(wholeUnits(money)).toBe(whole);
  });

  it("parses decimal strings back to minor units", () => {
    expect(fromDecimalString("12.35", "kwd")).toBe(12350);
    expect(fromDecimalString("0.10", "usd")).toBe(10);
    expect(fromDecimalString("4800", "jpy")).toBe(4800);
    expect(fromDecimalString("-1.5", "usd")).toBe(-150);
  });

  it("refuses more decimals than the currency has, and non-integer amounts", () => {
    expect(() => fromDecimalString("1.005", "usd")).toThrow(InvalidAmountError);
    expect(() => fromDecimalString("10.5", "jpy")).toThrow(/JPY allows \(0\)/);
    expect(() => toDecimalString({ amount: 10.5, currency: "usd" })).toThrow(InvalidAmountError);
  });
});

describe("formatting for people", () => {
  it.each([
    [{ amount: 2000, currency: "usd" }, "en-US", "$20.00"],
    [{ amount: 4800, currency: "jpy" }, "ja-JP", "￥4,800"],
    [{ amount: 12350, currency: "kwd" }, "en-US", "KWD 12.350"],
    [{ amount: 25000, currency: "bhd" }, "en-US", "BHD 25.000"],
    [{ amount: 1999, currency: "eur" }, "de-DE", "19,99 €"],
  ])("%o in %s", (money, locale, expected) => {
    expect(formatMoney(money, locale).replace(/\u00a0/g, " ")).toBe(expected);
  });
});
