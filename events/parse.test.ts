import { describe, expect, it } from "vitest";
import { fixtureNames, loadFixture } from "../fixtures/index.ts";
import {
  EventContractError,
  UnknownEventTypeError,
  decodeStripeMessage,
  invoiceSubscription,
  isKnownEventType,
  parseEnvelope,
  parseStripeEvent,
  type KnownEventType,
} from "./index.ts";

const allKnown = [
  "invoice.paid",
  "invoice.payment_succeeded",
  "invoice.payment_failed",
  "payment_intent.succeeded",
  "charge.succeeded",
  "charge.refunded",
  "checkout.session.completed",
  "charge.dispute.created",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "customer.subscription.trial_will_end",
  "customer.created",
  "customer.updated",
  "customer.deleted",
  "invoice.payment_action_required",
  "invoice.upcoming",
] as const satisfies readonly KnownEventType[];

function expectContractError(fn: () => unknown, message: string | RegExp): EventContractError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(EventContractError);
  expect((caught as Error).message).toMatch(message);
  return caught as EventContractError;
}

describe("every fixture parses through all layers", () => {
  it.each(fixtureNames)("%s", (name) => {
    const fixture = loadFixture(name);

    const decoded = decodeStripeMessage(JSON.stringify(fixture), allKnown);

    expect(decoded.envelope.id).toBe(fixture.id);
    expect(decoded.event.id).toBe(fixture.detail.id);
    if (decoded.kind === "snapshot") {
      expect(isKnownEventType(decoded.type)).toBe(true);
      expect(decoded.object.id).toBe(fixture.detail.data.object.id);
    } else {
      expect(decoded.event.type).toBe("v2.core.event_destination.ping");
    }
  });
});

describe("malformed events are refused with the field and the event id", () => {
  it("rejects a body that is not JSON", () => {
    expectContractError(() => parseEnvelope("{not json"), /^body is not valid JSON/);
  });

  it("rejects an envelope without detail-type, naming the field", () => {
    const event = loadFixture("01");
    delete event["detail-type"];

    const error = expectContractError(() => parseEnvelope(event), /^detail-type: /);

    expect(error.field).toBe("detail-type");
    expect(error.eventId).toBe(event.id);
  });

  it("rejects a snapshot event without data.object", () => {
    const event = loadFixture("01");
    delete event.detail.data.object;

    const error = expectContractError(() => parseStripeEvent(parseEnvelope(event)), /^detail\.data\.object: /);

    expect(error.message).toContain(`(${event.detail.id})`);
  });

  it("rejects a detail-type that disagrees with detail.type", () => {
    const event = loadFixture("01");
    event.detail.type = "invoice.payment_failed";

    expectContractError(
      () => parseStripeEvent(parseEnvelope(event)),
      `detail-type "invoice.paid" does not match detail.type "invoice.payment_failed" (${event.detail.id})`,
    );
  });

  it("rejects an amount sent as a string", () => {
    const event = loadFixture("03");
    event.detail.data.object.amount = "20.00";

    const error = expectContractError(
      () => decodeStripeMessage(event, ["payment_intent.succeeded"]),
      /^detail\.data\.object\.amount: .*expected number/,
    );

    expect(error.field).toBe("detail.data.object.amount");
    expect(error.eventId).toBe(event.detail.id);
  });

  it("rejects a fractional amount", () => {
    const event = loadFixture("03");
    event.detail.data.object.amount = 20.5;

    expectContractError(() => decodeStripeMessage(event, ["payment_intent.succeeded"]), /detail\.data\.object\.amount/);
  });

  it("rejects an event type the consumer does not handle as UnknownEventTypeError", () => {
    const event = loadFixture("01");
    event["detail-type"] = event.detail.type = "invoice.voided";

    const error = expectContractError(
      () => decodeStripeMessage(event, ["invoice.paid", "invoice.payment_failed"]),
      `event type "invoice.voided" is not handled here (expected one of: invoice.paid, invoice.payment_failed) (${event.detail.id})`,
    );

    expect(error).toBeInstanceOf(UnknownEventTypeError);
  });

  it("rejects a known type that this consumer did not ask for", () => {
    const event = loadFixture("03");

    expectContractError(() => decodeStripeMessage(event, ["invoice.paid"]), /"payment_intent.succeeded" is not handled here/);
  });
});

describe("API layouts", () => {
  it("reads the subscription of an invoice in the current layout", () => {
    const decoded = decodeStripeMessage(loadFixture("01"), ["invoice.paid"]);
    if (decoded.kind !== "snapshot") throw new Error("expected a snapshot event");

    expect(invoiceSubscription(decoded.object)).toEqual({
      id: "sub_1CIA605kb18UZlUmsUSu8Mc0",
      metadata: { customer_id: "C-100231", product_category: "premium" },
    });
  });

  it("reads the subscription of an invoice in the pre-2025-03-31 layout", () => {
    const event = loadFixture("01");
    const object = event.detail.data.object;
    event.detail.api_version = "2024-06-20";
    object.subscription = "sub_old";
    object.subscription_details = { metadata: { customer_id: "C-1" } };
    delete object.parent;

    const decoded = decodeStripeMessage(event, ["invoice.paid"]);
    if (decoded.kind !== "snapshot") throw new Error("expected a snapshot event");

    expect(invoiceSubscription(decoded.object)).toEqual({ id: "sub_old", metadata: { customer_id: "C-1" } });
  });

  it("keeps the connected account of a Connect event", () => {
    const event = loadFixture("03");
    event.detail.account = "acct_123";

    const decoded = decodeStripeMessage(event, ["payment_intent.succeeded"]);

    expect(decoded.event).toMatchObject({ account: "acct_123" });
  });

  it("recognises a replayed event by its replay-name", () => {
    const event = loadFixture("03");
    event["replay-name"] = "paybus-replay-1";

    expect(parseEnvelope(event)["replay-name"]).toBe("paybus-replay-1");
  });
});
