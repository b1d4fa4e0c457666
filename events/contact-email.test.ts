/**
 * The addresses Stripe copies onto payment objects are checked at decode time (issue 17): an address
 * nobody could be written to reads as `null`, while the payment it rides on still decodes; a value
 * that is not a string at all is a broken contract (poison), like any other field of the wrong type.
 */
import { describe, expect, it } from "vitest";
import { loadFixture } from "../fixtures/index.ts";
import { decodeStripeMessage, EventContractError, MAX_EMAIL_LENGTH, type KnownEventType } from "./index.ts";

function decodedObject(fixture: string, type: KnownEventType, change: (object: Record<string, any>) => void): Record<string, any> {
  const envelope = loadFixture(fixture) as Record<string, any>;
  change(envelope.detail.data.object);
  const decoded = decodeStripeMessage(envelope, [type]);
  if (decoded.kind === "thin") throw new Error("expected a snapshot event");
  return decoded.object as Record<string, any>;
}

const atLimit = `${"a".repeat(MAX_EMAIL_LENGTH - "@example.com".length)}@example.com`;

describe("addresses on Stripe objects", () => {
  it.each([
    ["invoice customer_email", "01", "invoice.paid", (o: Record<string, any>, v: unknown) => (o.customer_email = v), (o: Record<string, any>) => o.customer_email],
    ["charge receipt_email", "04", "charge.succeeded", (o: Record<string, any>, v: unknown) => (o.receipt_email = v), (o: Record<string, any>) => o.receipt_email],
    ["charge billing_details.email", "04", "charge.succeeded", (o: Record<string, any>, v: unknown) => (o.billing_details.email = v), (o: Record<string, any>) => o.billing_details.email],
    ["PaymentIntent receipt_email", "03", "payment_intent.succeeded", (o: Record<string, any>, v: unknown) => (o.receipt_email = v), (o: Record<string, any>) => o.receipt_email],
    ["Checkout customer_details.email", "05", "checkout.session.completed", (o: Record<string, any>, v: unknown) => (o.customer_details.email = v), (o: Record<string, any>) => o.customer_details.email],
  ] as const)("%s: kept when deliverable, null when malformed or too long, poison when not a string", (_, fixture, type, set, get) => {
    expect(get(decodedObject(fixture, type, (o) => set(o, "jenny.rosen@example.com")))).toBe("jenny.rosen@example.com");
    expect(get(decodedObject(fixture, type, (o) => set(o, atLimit)))).toBe(atLimit);
    for (const bad of ["jenny@", "not an address", "a@b.c\r\nBcc: x@example.com", `x${atLimit}`, ""]) {
      expect(get(decodedObject(fixture, type, (o) => set(o, bad)))).toBeNull();
    }
    expect(get(decodedObject(fixture, type, (o) => set(o, null)))).toBeNull();
    expect(() => decodedObject(fixture, type, (o) => set(o, 42))).toThrow(EventContractError);
  });
});
