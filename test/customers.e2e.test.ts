/**
 * The "done when", end to end through the embedded runtime from an empty data directory:
 * a French customer synced from Stripe, a device registered through the signed HTTP device API,
 * then a payment that needs confirmation and a trial ending, with duplicates and an out-of-order
 * update. Real SDK clients, the unmodified handlers, the declared rules and queues.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetEndpointAttributesCommand, SetEndpointAttributesCommand, SNSClient } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../fixtures/index.ts";
import { getProfile } from "../functions/common/profiles.ts";
import { devicesRoute } from "../local/devices.ts";
import { devices } from "../cli/devices.ts";
import { buildReport } from "../local/report.ts";
import type { Runtime } from "../local/runtime.ts";
import { startTestRuntime } from "./support/runtime.ts";
import { signRequest } from "../local/sigv4.ts";
import { adminClient } from "../local/admin-client.ts";

const CUSTOMER = "cus_U3kq8ZrW1fLm0D";
const HOSTED_INVOICE = loadFixture("20").detail.data.object.hosted_invoice_url as string;
// An FCM registration token's shape: instance id, colon, a long URL-safe string.
const TOKEN = `fT3kq8ZrW1fL:APA91b${"Hx9_Qm2-ZkL4vN8pR1sT6wY0cB3dF5gJ7".repeat(4)}`;

let runtime: Runtime;
let dataDir: string;
let base: number;

/** A fixture as Stripe would send it now: `created` moved to `base + offset` seconds. */
function event(fixture: string, offset: number): Record<string, any> {
  const envelope = loadFixture(fixture);
  envelope.detail.created = base + offset;
  envelope.time = new Date((base + offset + 1) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  return envelope;
}

/** A redelivery: the same Stripe event in a new envelope. */
const redelivered = (envelope: Record<string, any>) => ({ ...structuredClone(envelope), id: crypto.randomUUID() });

async function deviceRequest(method: string, body: unknown, headers: Record<string, string> = {}, sign = true) {
  const url = new URL("/devices", runtime.gatewayUrl);
  const text = body === undefined ? "" : JSON.stringify(body);
  const base = { "content-type": "application/json", ...headers };
  const signed = sign
    ? await signRequest({ method, url, headers: base, body: text }, { region: runtime.region, accessKeyId: "local", secretAccessKey: "local" })
    : base;
  const response = await fetch(url, { method, headers: signed, ...(text ? { body: text } : {}) });
  return { status: response.status, body: (await response.json()) as any };
}

async function send(...envelopes: Record<string, any>[]) {
  const results = runtime.sendEnvelopes(envelopes);
  expect(results.every((result) => "EventId" in result)).toBe(true);
  await runtime.waitForQuiet(30_000, 100);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "paybus-customers-"));
  runtime = await startTestRuntime({ dataDir, port: 0, timeScale: 0.01, workflowTimeScale: 0.0001, prefix: "cust" });
  runtime.addRoute(devicesRoute(runtime));
  base = Math.floor(Date.now() / 1000) - 10;
});

afterAll(async () => {
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("customers you can reach, from an empty data directory", () => {
  it("sends the French email and push of each lifecycle notice exactly once, to the synced address and the registered device", async () => {
    // Arrange: the runtime started on a fresh, empty directory; the customer arrives from Stripe in French
    expect(await getProfile(CUSTOMER, runtime.profileTable)).toBeUndefined();
    await send(event("17", 0));
    expect(await getProfile(CUSTOMER, runtime.profileTable)).toMatchObject({ email: "camille.martin@example.fr", name: "Camille Martin", locale: "fr" });

    // Act 1: the app's backend registers the phone, retries the same request, then registers again under a new key
    const registration = { customerId: CUSTOMER, platform: "GCM", token: TOKEN };
    const first = await deviceRequest("POST", registration, { "Idempotency-Key": "reg-1" });
    const retried = await deviceRequest("POST", registration, { "Idempotency-Key": "reg-1" });
    const again = await deviceRequest("POST", registration, { "Idempotency-Key": "reg-2" });

    // Assert 1
    expect(first.status).toBe(200);
    const endpointArn: string = first.body.device.endpointArn;
    expect(endpointArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:endpoint\/GCM\//);
    expect(retried).toEqual(first);
    expect(again.body.device.endpointArn).toBe(endpointArn);
    expect(runtime.sns.hasEndpoint(endpointArn)).toBe(true);

    // Act 2: Stripe's later events, with a redelivered update and an older update arriving last
    const newerUpdate = event("19", 2);
    await send(newerUpdate);
    const actionRequired = event("20", 3);
    const trialEnding = event("21", 4);
    await send(actionRequired, trialEnding);
    await send(redelivered(newerUpdate), event("18", 1), redelivered(actionRequired), redelivered(trialEnding));

    // Assert 2: one French email and one push per notice, to the newer address and the device
    const emails = await runtime.ses.emails();
    expect(emails.map((email) => [email.destination.to, email.subject]).sort()).toEqual([
      [["camille.durand@example.fr"], "Veuillez confirmer votre paiement pour la facture 7C1D2E3F-0002"],
      [["camille.durand@example.fr"], expect.stringMatching(/^Votre période d'essai se termine le \d+ \S+ 2026$/)],
    ]);
    const confirm = emails.find((email) => email.subject.startsWith("Veuillez confirmer"))!;
    expect(confirm.body.text).toContain(`Confirmer le paiement\n${HOSTED_INVOICE}`);
    expect(confirm.body.text).toContain("Bonjour Camille Martin-Durand,");
    expect(confirm.body.html).toContain(`href="${HOSTED_INVOICE.replace(/&/g, "&amp;")}"`);
    const pushes = runtime.sns.outbox;
    expect(pushes.map((push) => push.targetArn)).toEqual([endpointArn, endpointArn]);
    const titles = pushes.map((push) => JSON.parse((push.message as { GCM: string }).GCM).fcmV1Message.message.notification.title).sort();
    expect(titles).toEqual(["Confirmez votre paiement", "Fin de votre période d'essai"]);
    const actionPush = pushes.map((push) => JSON.parse((push.message as { GCM: string }).GCM).fcmV1Message.message.data).find((data) => data.notice === "payment-action-required");
    expect(actionPush.url).toBe(HOSTED_INVOICE);

    // Assert 3: the older update did not overwrite the newer state; nothing went to a DLQ
    expect(await getProfile(CUSTOMER, runtime.profileTable)).toMatchObject({ email: "camille.durand@example.fr", name: "Camille Martin-Durand", locale: "fr", pushEndpoints: [endpointArn] });
    for (const queue of ["customers", "lifecycle"] as const) expect(runtime.sqs.dlqMessages(queue)).toEqual([]);

    // Assert 4: the run report shows the profile and the device
    const report = await buildReport(runtime, [], { customers: [], purchases: [] });
    expect(report.profiles).toEqual([{ customerId: CUSTOMER, email: "camille.durand@example.fr", name: "Camille Martin-Durand", locale: "fr", deleted: false, devices: 1 }]);
    expect(report.devices).toEqual([{ customerId: CUSTOMER, deviceId: first.body.device.deviceId, platform: "GCM", endpointArn, endpointExists: true }]);
  });

  it("refuses unsigned requests, unknown platforms, bad tokens and unknown customers with clear errors", async () => {
    const unsigned = await deviceRequest("POST", { customerId: CUSTOMER, platform: "GCM", token: TOKEN }, { "Idempotency-Key": "u-1" }, false);
    const platform = await deviceRequest("POST", { customerId: CUSTOMER, platform: "WNS", token: TOKEN }, { "Idempotency-Key": "p-1" });
    const token = await deviceRequest("POST", { customerId: CUSTOMER, platform: "APNS", token: "not-hex" }, { "Idempotency-Key": "t-1" });
    const customer = await deviceRequest("POST", { customerId: "cus_Nobody000000", platform: "GCM", token: TOKEN }, { "Idempotency-Key": "c-1" });
    const reused = await deviceRequest("POST", { customerId: CUSTOMER, platform: "GCM", token: `${TOKEN}x` }, { "Idempotency-Key": "reg-1" });
    const noKey = await deviceRequest("POST", { customerId: CUSTOMER, platform: "GCM", token: TOKEN });

    expect(unsigned.status).toBe(403);
    expect(platform).toEqual({ status: 400, body: { error: { code: "UnknownPlatform", message: 'unknown platform "WNS" (this deployment accepts: APNS, APNS_SANDBOX, GCM)' } } });
    expect(token.status).toBe(400);
    expect(token.body.error.code).toBe("InvalidToken");
    expect(customer.status).toBe(404);
    expect(customer.body.error.message).toMatch(/^unknown customer cus_Nobody000000/);
    expect(reused.status).toBe(422);
    expect(noKey.status).toBe(400);
  });

  it("lists and removes a device, and erases the profile and its endpoints when Stripe deletes the customer", async () => {
    const other = `${TOKEN.slice(0, -4)}Zz99`;
    const registered = await deviceRequest("POST", { customerId: CUSTOMER, platform: "GCM", token: other }, { "Idempotency-Key": "reg-3" });
    const url = new URL(`/devices?customerId=${CUSTOMER}`, runtime.gatewayUrl);
    const headers = await signRequest({ method: "GET", url, headers: {}, body: "" }, { region: runtime.region, accessKeyId: "local", secretAccessKey: "local" });
    const list = (await (await fetch(url, { headers })).json()) as { devices: Array<{ endpointArn: string }> };
    expect(list.devices).toHaveLength(2);

    // The platform reported the token invalid and SNS disabled the endpoint; the app registers it again.
    const sns = adminClient(SNSClient, runtime.endpoints.sns, runtime.region);
    const disabledArn: string = registered.body.device.endpointArn;
    await sns.send(new SetEndpointAttributesCommand({ EndpointArn: disabledArn, Attributes: { Enabled: "false" } }));
    const reRegistered = await deviceRequest("POST", { customerId: CUSTOMER, platform: "GCM", token: other }, { "Idempotency-Key": "reg-4" });
    const { Attributes } = await sns.send(new GetEndpointAttributesCommand({ EndpointArn: disabledArn }));
    sns.destroy();
    expect(reRegistered.body.device.endpointArn).toBe(disabledArn);
    expect(Attributes?.Enabled).toBe("true");

    const removed = await deviceRequest("DELETE", { customerId: CUSTOMER, token: other });
    expect(removed.status).toBe(200);
    expect(runtime.sns.hasEndpoint(registered.body.device.endpointArn)).toBe(false);
    const remaining = (await getProfile(CUSTOMER, runtime.profileTable))!.pushEndpoints;
    expect(remaining).toHaveLength(1);

    // Act: Stripe deletes the customer
    await send(event("23", 20));

    // Assert: no profile, no endpoint, no device can come back
    expect(await getProfile(CUSTOMER, runtime.profileTable)).toBeUndefined();
    expect(runtime.sns.hasEndpoint(remaining[0]!)).toBe(false);
    const late = await deviceRequest("POST", { customerId: CUSTOMER, platform: "GCM", token: TOKEN }, { "Idempotency-Key": "late-1" });
    expect(late.status).toBe(404);
    expect(late.body.error.message).toMatch(/was deleted in Stripe/);
    await send(redelivered(event("19", 2)));
    expect(await getProfile(CUSTOMER, runtime.profileTable)).toBeUndefined();
  });

  it("paybus devices add|list|remove drive the same API, signed", async () => {
    const created = event("17", 30);
    created.detail.id = "evt_cli00000000000000000001";
    created.detail.data.object.id = "cus_CliUser0000001";
    await send(created);
    const output: string[] = [];
    const out = { write: (text: string) => output.push(text) } as unknown as NodeJS.WritableStream;
    const apns = "a1".repeat(32);

    await devices(["add", "--url", runtime.gatewayUrl, "--customer", "cus_CliUser0000001", "--platform", "apns", "--token", apns], out);
    await devices(["list", "--url", runtime.gatewayUrl, "--customer", "cus_CliUser0000001"], out);
    await devices(["remove", "--url", runtime.gatewayUrl, "--customer", "cus_CliUser0000001", "--token", apns], out);
    const missing = devices(["remove", "--url", runtime.gatewayUrl, "--customer", "cus_CliUser0000001", "--token", apns], out);

    expect(output[0]).toMatch(/^registered APNS device [0-9a-f]{32} → arn:aws:sns:/);
    expect(output[1]).toBe("cus_CliUser0000001: 1 device(s)\n");
    expect(output.at(-1)).toMatch(/^removed device [0-9a-f]{32} \(endpoint deleted\)/);
    await expect(missing).rejects.toThrow("404: customer cus_CliUser0000001 has no device with this token");
    expect((await getProfile("cus_CliUser0000001", runtime.profileTable))?.pushEndpoints).toEqual([]);
  });

  it("does not ask to confirm a payment whose invoice was paid before the request arrived", async () => {
    const invoiceId = "in_1LatePaid00000000000001";
    const action = event("20", 40);
    action.detail.id = "evt_latepaid_action";
    Object.assign(action.detail.data.object, { id: invoiceId, customer_email: "late.payer@example.fr", number: "LATE-0001" });
    const paid = event("20", 50);
    paid["detail-type"] = paid.detail.type = "invoice.paid";
    paid.detail.id = "evt_latepaid_paid";
    Object.assign(paid.detail.data.object, { id: invoiceId, customer_email: "late.payer@example.fr", number: "LATE-0001", status: "paid", amount_paid: 2900, amount_remaining: 0 });

    await send(paid);
    await send(action);

    const subjects = (await runtime.ses.emails()).filter((email) => email.destination.to[0] === "late.payer@example.fr").map((email) => email.subject);
    expect(subjects).toEqual(["Payment received for invoice LATE-0001"]);
  });
});
