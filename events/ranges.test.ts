/**
 * Values that pass one layer and fail the next are refused once, at decode time (issue 13, point 3):
 * every amount and time a consumer reads is range-checked by the event contract, and the refusal is
 * an `EventContractError` (poison) with a one-line reason naming the field.
 */
import { describe, expect, it } from "vitest";
import { loadFixture } from "../fixtures/index.ts";
import { classifyError } from "../functions/common/errors.ts";
import { EventContractError, decodeStripeMessage, MAX_MINOR_UNITS, MAX_UNIX_SECONDS, type KnownEventType } from "./index.ts";

function refusal(fixture: string, type: KnownEventType, change: (event: Record<string, any>) => void): EventContractError {
  const envelope = loadFixture(fixture) as Record<string, any>;
  change(envelope.detail);
  let caught: unknown;
  try {
    decodeStripeMessage(envelope, [type]);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(EventContractError);
  return caught as EventContractError;
}

describe("amounts are whole minor units between 0 and Stripe's twelve-digit cap", () => {
  it.each([
    ["a negative amount received", "03", "payment_intent.succeeded", "amount_received", -500],
    ["a negative amount captured", "12", "charge.succeeded", "amount_captured", -1],
    ["a negative checkout total", "05", "checkout.session.completed", "amount_total", -3000],
    ["a negative amount paid", "01", "invoice.paid", "amount_paid", -1500],
    ["a fractional amount", "03", "payment_intent.succeeded", "amount", 12.5],
    ["an amount beyond 2^53", "03", "payment_intent.succeeded", "amount_received", 2 ** 60],
    ["an amount over the cap", "01", "invoice.paid", "amount_due", MAX_MINOR_UNITS + 1],
  ] as const)("refuses %s as poison, naming the field", (_, fixture, type, field, value) => {
    const error = refusal(fixture, type, (event) => {
      event.data.object[field] = value;
    });

    expect(error.field).toBe(`detail.data.object.${field}`);
    expect(error.message).not.toContain("\n");
    expect(error.message).toMatch(new RegExp(`^detail\\.data\\.object\\.${field}: expected an? `));
    expect(classifyError(error)).toBe("poison");
  });

  it("accepts the extremes", () => {
    const envelope = loadFixture("01") as Record<string, any>;
    envelope.detail.data.object.amount_due = MAX_MINOR_UNITS;
    envelope.detail.data.object.amount_remaining = 0;

    expect(decodeStripeMessage(envelope, ["invoice.paid"])).toMatchObject({ object: { amount_due: MAX_MINOR_UNITS } });
  });
});

describe("times are whole seconds that every consumer can turn into a date", () => {
  it.each([
    ["a period start of 9e15 (Invalid time value downstream)", "01", "invoice.paid", "period_start", 9e15],
    ["a next attempt before 1970", "02", "invoice.payment_failed", "next_payment_attempt", -1],
    ["a creation time in milliseconds past year 9999", "03", "payment_intent.succeeded", "created", 1e13],
  ] as const)("refuses %s", (_, fixture, type, field, value) => {
    const error = refusal(fixture, type, (event) => {
      event.data.object[field] = value;
    });

    expect(error.field).toBe(`detail.data.object.${field}`);
    expect(error.message.split("\n")).toHaveLength(1);
  });

  it("refuses an event created outside the range, before looking at the object", () => {
    const error = refusal("03", "payment_intent.succeeded", (event) => {
      event.created = 9e15;
    });

    expect(error.field).toBe("detail.created");
  });

  it("accepts the last second of year 9999", () => {
    const envelope = loadFixture("01") as Record<string, any>;
    envelope.detail.data.object.period_end = MAX_UNIX_SECONDS;

    const decoded = decodeStripeMessage(envelope, ["invoice.paid"]);

    expect(decoded.kind === "snapshot" && new Date(decoded.object.period_end * 1000).toISOString()).toBe("9999-12-31T23:59:59.000Z");
  });
});

describe("a refusal is one line whatever the event holds (found by the fuzz suite)", () => {
  it("escapes a line break in the detail-type it quotes, and in the event id", () => {
    const envelope = loadFixture("01") as Record<string, any>;
    envelope["detail-type"] = "x\r\nBcc: a@b.c";
    envelope.detail.id = "evt_1\nforged log line";

    let caught: unknown;
    try {
      decodeStripeMessage(envelope, ["invoice.paid"]);
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(EventContractError);
    expect((caught as Error).message).toBe('detail-type "x\\r\\nBcc: a@b.c" does not match detail.type "invoice.paid" (evt_1\\u000aforged log line)');
  });

  it("quotes at most 100 characters of a value", () => {
    const envelope = loadFixture("01") as Record<string, any>;
    envelope["detail-type"] = "y".repeat(5000);

    expect(() => decodeStripeMessage(envelope, ["invoice.paid"])).toThrow(new RegExp(`^detail-type "${"y".repeat(100)}…" does not match`));
  });
});
