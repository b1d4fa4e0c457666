/**
 * Issue 17, "where no profile exists yet, use the addresses Stripe already sends": through the
 * embedded runtime with the unmodified handlers and real SDK clients, a customer paybus has no
 * profile for is reached at the address on the payment (Checkout `customer_details.email`, charge
 * `receipt_email`, invoice `customer_email`), while a profile synced from `customer.*` events always
 * wins, replaces the stub, and `customer.deleted` erases it for good. Guests get no profile.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../fixtures/index.ts";
import { getProfile } from "../functions/common/profiles.ts";
import type { Runtime } from "../local/runtime.ts";
import { startTestRuntime } from "./support/runtime.ts";
import { localDynamoClient } from "../local/state.ts";

let runtime: Runtime;
let dataDir: string;
let base: number;

/**
 * A fixture as a new Stripe event: new event, object and PaymentIntent ids (so each case is its own
 * purchase), `created` at `base + offset`, the object's customer and fields replaced.
 */
function variant(fixture: string, suffix: string, offset: number, fields: Record<string, unknown>): Record<string, any> {
  const envelope = loadFixture(fixture);
  envelope.id = randomUUID();
  envelope.detail.id = `evt_cf${suffix}`;
  envelope.detail.created = base + offset;
  const object = envelope.detail.data.object;
  if (object.object !== "customer") object.id = `${object.id.split("_")[0]}_cf${suffix}`;
  if (typeof object.payment_intent === "string") object.payment_intent = `pi_cf${suffix}`;
  Object.assign(object, fields);
  return envelope;
}

async function send(...envelopes: Record<string, any>[]) {
  const results = runtime.sendEnvelopes(envelopes);
  expect(results.every((result) => "EventId" in result)).toBe(true);
  await runtime.waitForQuiet(60_000, 100);
}

/** The subjects of the emails sent to `address`. */
async function subjectsTo(address: string): Promise<string[]> {
  return (await runtime.ses.emails()).filter((email) => email.destination.to.includes(address)).map((email) => email.subject);
}

/** The stored item, bookkeeping included (getProfile returns only the profile fields). */
async function rawItem(customerId: string): Promise<Record<string, unknown> | undefined> {
  const client = localDynamoClient(runtime);
  try {
    return (await client.send(new GetCommand({ TableName: runtime.tableNames.profiles, Key: { pk: customerId }, ConsistentRead: true }))).Item;
  } finally {
    client.destroy();
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "paybus-contact-"));
  runtime = await startTestRuntime({ dataDir, port: 0, timeScale: 0.01, workflowTimeScale: 0.0001, prefix: "contact" });
  base = Math.floor(Date.now() / 1000) - 100;
});

afterAll(async () => {
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the addresses Stripe already sends, for customers without a profile", () => {
  it("emails a Checkout customer with no profile at customer_details.email, and a later customer.updated replaces the stub", async () => {
    const customer = "cus_CfCheckout00001";
    expect(await getProfile(customer, runtime.profileTable)).toBeUndefined();

    await send(variant("05", "Checkout1", 10, { customer, customer_details: { email: "first.buyer@example.com", name: "First Buyer" } }));

    expect(await getProfile(customer, runtime.profileTable)).toEqual({ customerId: customer, email: "first.buyer@example.com", pushEndpoints: [] });
    expect(await rawItem(customer)).toMatchObject({ contactSource: "checkout.customer_details.email", contactEventId: "evt_cfCheckout1" });
    const engagement = await subjectsTo("first.buyer@example.com");
    expect(engagement.length).toBeGreaterThan(0);

    // Stripe's customer.updated is older than the payment: the stub has no version, so it still applies.
    const updated = variant("18", "CheckoutSync", 0, { id: customer, email: "buyer@example.org", name: "First Buyer", preferred_locales: [] });
    await send(updated);

    expect(await getProfile(customer, runtime.profileTable)).toEqual({ customerId: customer, email: "buyer@example.org", name: "First Buyer", pushEndpoints: [] });
    const item = await rawItem(customer);
    expect(item).not.toHaveProperty("contactSource");
    expect(item).not.toHaveProperty("contactEventId");
    // A later payment with the old address changes nothing: the synced profile wins.
    await send(variant("04", "CheckoutAgain", 20, { customer, receipt_email: "first.buyer@example.com", billing_details: { email: "first.buyer@example.com" } }));
    expect((await getProfile(customer, runtime.profileTable))?.email).toBe("buyer@example.org");
    expect(await subjectsTo("first.buyer@example.com")).toEqual(engagement);
    expect((await subjectsTo("buyer@example.org")).length).toBeGreaterThan(0);
  });

  it("never writes over a profile synced from customer.* events: its address gets the emails", async () => {
    const customer = "cus_U3kq8ZrW1fLm0D";
    await send(variant("17", "SyncedFirst", 0, {}));
    expect((await getProfile(customer, runtime.profileTable))?.email).toBe("camille.martin@example.fr");

    await send(variant("04", "SyncedCharge", 30, { customer, receipt_email: "someone.else@example.com", billing_details: { email: "someone.else@example.com" } }));

    expect(await getProfile(customer, runtime.profileTable)).toMatchObject({ email: "camille.martin@example.fr", name: "Camille Martin", locale: "fr" });
    expect(await rawItem(customer)).not.toHaveProperty("contactSource");
    expect(await subjectsTo("someone.else@example.com")).toEqual([]);
    expect((await subjectsTo("camille.martin@example.fr")).length).toBeGreaterThan(0);
  });

  it("customer.deleted erases a stub, and later payments do not bring it back", async () => {
    const customer = "cus_CfDeleted000001";
    await send(variant("04", "Deleted1", 10, { customer, receipt_email: "gone@example.com" }));
    expect((await getProfile(customer, runtime.profileTable))?.email).toBe("gone@example.com");
    const before = (await subjectsTo("gone@example.com")).length;

    await send(variant("23", "DeletedSync", 20, { id: customer }));
    await send(variant("04", "Deleted2", 30, { customer, receipt_email: "gone@example.com" }));

    expect(await getProfile(customer, runtime.profileTable)).toBeUndefined();
    const item = await rawItem(customer);
    expect(item).toMatchObject({ deleted: true });
    expect(item).not.toHaveProperty("email");
    expect(item).not.toHaveProperty("contactSource");
    expect(await subjectsTo("gone@example.com")).toHaveLength(before);
  });

  it("an invoice's customer_email lets the subscription's later notices (trial ending) reach a customer without a profile", async () => {
    const customer = "cus_CfInvoice000001";
    await send(variant("01", "Invoice1", 10, { customer, customer_email: "subscriber@example.com" }));
    expect((await getProfile(customer, runtime.profileTable))?.email).toBe("subscriber@example.com");
    expect(await rawItem(customer)).toMatchObject({ contactSource: "invoice.customer_email" });

    await send(variant("21", "Trial1", 20, { customer }));

    const subjects = await subjectsTo("subscriber@example.com");
    expect(subjects.some((subject) => /trial/i.test(subject) || /essai/i.test(subject))).toBe(true);
  });

  it("writes no profile for a guest checkout, nor for a malformed address; the payments still count", async () => {
    const guest = variant("05", "Guest1", 10, { customer: null, customer_details: { email: "guest@example.com" }, metadata: { customer_id: "C-guest-1" } });
    const malformed = variant("04", "Malformed1", 10, { customer: "cus_CfMalformed0001", receipt_email: "not an address", billing_details: { email: `${"x".repeat(250)}@example.com` } });

    await send(guest, malformed);

    expect(await rawItem("cus_CfMalformed0001")).toBeUndefined();
    expect(await subjectsTo("guest@example.com")).toEqual([]);
    for (const queue of ["loyalty", "notifications", "customers"] as const) expect(runtime.sqs.dlqMessages(queue)).toEqual([]);
  });
});
