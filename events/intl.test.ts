import { describe, expect, it } from "vitest";
import { dateTimeFormat, numberFormat } from "./intl.ts";

describe("shared Intl formatters", () => {
  it("builds one formatter per locale and options, formatting as a fresh one does", () => {
    const options = { style: "currency", currency: "EUR", minimumFractionDigits: 2, maximumFractionDigits: 2 } as const;

    expect(numberFormat("fr-FR", { ...options })).toBe(numberFormat("fr-FR", options));
    expect(numberFormat("de-DE", options)).not.toBe(numberFormat("fr-FR", options));
    expect(numberFormat("fr-FR", { ...options, currency: "USD" })).not.toBe(numberFormat("fr-FR", options));
    expect(numberFormat("fr-FR", options).format(1234.5)).toBe(new Intl.NumberFormat("fr-FR", options).format(1234.5));
    expect(dateTimeFormat("ja-JP", { dateStyle: "long", timeZone: "UTC" })).toBe(dateTimeFormat("ja-JP", { dateStyle: "long", timeZone: "UTC" }));
    expect(dateTimeFormat("ja-JP", { dateStyle: "long", timeZone: "UTC" }).format(0)).toBe(
      new Intl.DateTimeFormat("ja-JP", { dateStyle: "long", timeZone: "UTC" }).format(0),
    );
  });

  it("refuses an invalid locale every time, as the constructor does", () => {
    expect(() => numberFormat("not a locale")).toThrow(RangeError);
    expect(() => numberFormat("not a locale")).toThrow(RangeError);
  });
});
