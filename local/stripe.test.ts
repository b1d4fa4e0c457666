import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LocalStripe, parseForm } from "./stripe.ts";

const dir = mkdtempSync(join(tmpdir(), "paybus-stripe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the local Stripe endpoints", () => {
  it("replay a saved answer for the same key and parameters, and refuse other parameters", () => {
    const stripe = new LocalStripe();
    const path = "/v1/customers/cus_A/balance_transactions";

    const [status, first, replayedFirst] = stripe.call("POST", path, { amount: "-500", currency: "usd" }, "k1");
    const [, again, replayed] = stripe.call("POST", path, { currency: "usd", amount: "-500" }, "k1");
    const [conflict, error] = stripe.call("POST", path, { amount: "-900", currency: "usd" }, "k1");

    expect([status, replayedFirst, replayed]).toEqual([200, false, true]);
    expect(again).toEqual(first);
    expect(conflict).toBe(400);
    expect(error).toMatchObject({ error: { type: "idempotency_error" } });
    expect(stripe.balanceTransactions("cus_A")).toHaveLength(1);
  });

  it("does not save an answer refused by validation (Stripe saves only once the endpoint ran)", () => {
    const stripe = new LocalStripe();
    const path = "/v1/customers/cus_B/balance_transactions";

    expect(stripe.call("POST", path, { amount: "-5" }, "k2")[0]).toBe(400);
    expect(stripe.call("POST", path, { amount: "-5", currency: "usd" }, "k2")[0]).toBe(200);
  });

  it("keeps objects, balances and idempotency keys across restarts of the runtime", () => {
    const file = join(dir, "objects.jsonl");
    const path = "/v1/customers/cus_C/balance_transactions";
    const before = new LocalStripe(file);
    const [, created] = before.call("POST", path, { amount: "-500", currency: "usd", metadata: { paybus_tier: "silver" } } as never, "k3");

    const after = new LocalStripe(file);

    expect(after.balanceOf("cus_C")).toBe(-500);
    expect(after.call("POST", path, { amount: "-500", currency: "usd", metadata: { paybus_tier: "silver" } } as never, "k3")).toEqual([200, created, true]);
    expect(after.balanceTransactions("cus_C")).toHaveLength(1);

    // A hard kill mid-write leaves a torn last line: that request never got its answer, the rest stands.
    appendFileSync(file, '{"kind":"object","object":{"id":"cbtxn_torn"');
    expect(new LocalStripe(file).balanceOf("cus_C")).toBe(-500);
  });

  it("keeps the first object created after a restart that found a torn last line", () => {
    const file = join(dir, "torn.jsonl");
    const path = "/v1/customers/cus_T/balance_transactions";
    new LocalStripe(file).call("POST", path, { amount: "-100", currency: "usd" } as never, "t1");
    appendFileSync(file, '{"kind":"object","object":{"id":"cbtxn_torn"');

    // The next process answers a request (its object and saved answer are acknowledged).
    const [, created] = new LocalStripe(file).call("POST", path, { amount: "-200", currency: "usd" } as never, "t2");

    const after = new LocalStripe(file);
    expect(after.balanceOf("cus_T")).toBe(-300);
    expect(after.call("POST", path, { amount: "-200", currency: "usd" } as never, "t2")).toEqual([200, created, true]);
  });

  it("reads Stripe's form encoding, metadata included", () => {
    expect(parseForm("amount=-500&currency=usd&metadata[paybus_tier]=gold&promotion[type]=coupon")).toEqual({
      amount: "-500",
      currency: "usd",
      metadata: { paybus_tier: "gold" },
      promotion: { type: "coupon" },
    });
  });
});
