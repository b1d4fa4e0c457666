import { describe, expect, it } from "vitest";
import { customerOf, CustomerOrder } from "./order.ts";
import type { Envelope } from "./input.ts";

/** A Stripe event envelope of `customer` (or of none), with detail id `id`. */
function event(id: string, customer?: string, object: Record<string, unknown> = { object: "invoice", customer: customer ?? null }): Envelope {
  return { id: `bus-${id}`, "detail-type": "invoice.paid", detail: { id, data: { object } } };
}

const ids = (events: Envelope[]) => events.map((e) => e.detail.id as string);

describe("customerOf", () => {
  it("names the customer of a customer event, of an object's customer id or expanded customer, and none otherwise", () => {
    expect(customerOf(event("e1", undefined, { object: "customer", id: "cus_A" }))).toBe("cus_A");
    expect(customerOf(event("e2", "cus_B"))).toBe("cus_B");
    expect(customerOf(event("e3", undefined, { object: "invoice", customer: { id: "cus_C", object: "customer" } }))).toBe("cus_C");
    expect(customerOf(event("e4", undefined, { object: "dispute", charge: "ch_1" }))).toBeUndefined();
    expect(customerOf({ "detail-type": "PointsAwarded", detail: { id: "PointsAwarded:pi_1", customerId: "C-1" } })).toBeUndefined();
  });
});

describe("CustomerOrder", () => {
  it("holds a customer's next event until the previous one is settled, and lets other customers' events pass", () => {
    const order = new CustomerOrder([event("a1", "cus_A"), event("a2", "cus_A"), event("b1", "cus_B"), event("n1"), event("a3", "cus_A")]);

    const first = order.take(10);
    order.note({ kind: "accepted", stripeEventId: "a1", eventId: "bus-a1", owed: 2 });
    order.note({ kind: "settled", stripeEventId: "a1", eventId: "bus-a1" });
    const whileHalfSettled = order.take(10);
    // A workflow start names the event by the bus's id only.
    order.note({ kind: "settled", eventId: "bus-a1" });
    const afterA1 = order.take(10);
    order.note({ kind: "accepted", stripeEventId: "a2", eventId: "bus-a2", owed: 1 });
    order.note({ kind: "settled", stripeEventId: "a2" });
    const afterA2 = order.take(10);

    expect(ids(first)).toEqual(["a1", "b1", "n1"]);
    expect(whileHalfSettled).toEqual([]);
    expect(ids(afterA1)).toEqual(["a2"]);
    expect(ids(afterA2)).toEqual(["a3"]);
    expect(order.done).toBe(true);
  });

  it("frees a customer at once when the bus refuses the event or no rule matches it", () => {
    const order = new CustomerOrder([event("a1", "cus_A"), event("a2", "cus_A"), event("a3", "cus_A")]);

    order.take(10);
    order.refused(event("a1", "cus_A"));
    const afterRefusal = order.take(10);
    order.note({ kind: "accepted", stripeEventId: "a2", eventId: "bus-a2", owed: 0 });
    const afterNoMatch = order.take(10);

    expect(ids(afterRefusal)).toEqual(["a2"]);
    expect(ids(afterNoMatch)).toEqual(["a3"]);
  });

  it("hands out no more than the room it is given, oldest first, held events before new ones", () => {
    const order = new CustomerOrder([event("a1", "cus_A"), event("a2", "cus_A"), event("b1", "cus_B"), event("c1", "cus_C"), event("d1", "cus_D")]);

    const first = order.take(2);
    order.note({ kind: "accepted", stripeEventId: "a1", eventId: "bus-a1", owed: 0 });
    const second = order.take(2);

    expect(ids(first)).toEqual(["a1", "b1"]);
    expect(ids(second)).toEqual(["a2", "c1"]);
  });

  it("lets a customer's next event go after 30 s without news of the previous one, so that a run always ends", () => {
    let now = 0;
    const order = new CustomerOrder([event("a1", "cus_A"), event("a2", "cus_A")], () => now);

    order.take(10);
    now = 29_000;
    const before = order.take(10);
    now = 30_001;
    const after = order.take(10);

    expect(before).toEqual([]);
    expect(ids(after)).toEqual(["a2"]);
  });
});
