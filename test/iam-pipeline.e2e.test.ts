/**
 * Every shipped function passes under enforcement (issue 15): the whole pipeline — promotion windows
 * through the promotions API, demo events, the engagement workflow, a signed webhook, a customer with
 * devices and lifecycle notices then deleted, SES failing, the follow-up dispatch, the loyalty API and points expiry — runs with each
 * function's AWS calls signed with its own key and judged by the gateway's IAM against the plan. No
 * call may be denied, and every function must have been judged.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../fixtures/index.ts";
import { dynamo, dynamoClient, eventBridge, ses, sfn, sns } from "../functions/common/clients.ts";
import { SECRET, sign, stripeEvent, webhookBody } from "./support/webhook.ts";
import { demoEvents, seedDemoCustomers } from "../local/demo.ts";
import { DEVICES_PATH, devicesRoute } from "../local/devices.ts";
import { LOYALTY_PATH, loyaltyApiRoute } from "../local/loyalty-api.ts";
import { PROMOTIONS_PATH, promotionsRoute } from "../local/promotions.ts";
import { Runtime } from "../local/runtime.ts";
import { signRequest } from "../local/sigv4.ts";
import { WEBHOOK_PATH, webhookRoute } from "../local/webhook.ts";
import { signAsCallingFunction } from "./iam/as-function.ts";

const CUSTOMER = "cus_IamPipeline0001";
const TOKEN = `iamPipe1Tk01:APA91b${"Hx9_Qm2-ZkL4vN8pR1sT6wY0cB3dF5gJ7".repeat(4)}`;

/** A fixture as a new Stripe event (new ids) about `customer`. */
function customerEvent(fixture: string, suffix: string, customer: string): Record<string, any> {
  const event = loadFixture(fixture);
  event.id = randomUUID();
  event.detail.id = `evt_iamPipe${suffix}`;
  event.detail.created = Math.floor(Date.now() / 1000);
  const object = event.detail.data.object;
  if (object.object === "customer") object.id = customer;
  else {
    object.id = `${object.id.split("_")[0]}_iamPipe${suffix}`;
    object.customer = customer;
  }
  return event;
}

/** A purchase like fixture 03 with new ids, for a seeded customer. */
function newPurchase(suffix: string, customerId: string, amount: number): Record<string, any> {
  const event = loadFixture("03");
  event.id = randomUUID();
  event.detail.id = `evt_iamPipe${suffix}`;
  event.detail.data.object.id = `pi_iamPipe${suffix}`;
  event.detail.data.object.amount = event.detail.data.object.amount_received = amount;
  event.detail.data.object.metadata = { ...event.detail.data.object.metadata, customer_id: customerId };
  return event;
}

describe("the shipped functions under local IAM enforcement", () => {
  let runtime: Runtime;
  let unattributed: string[];

  beforeAll(async () => {
    runtime = await Runtime.start({
      dataDir: null,
      port: 0,
      timeScale: 0.01,
      workflowTimeScale: 0.0001,
      warn: () => {},
      // What the plan's environment gives the functions in AWS: the stage's sender, and the webhook
      // secret in the environment (Secrets Manager is not served by the gateway).
      env: { PAYBUS_EMAIL_FROM: "billing@example.com", STRIPE_WEBHOOK_SECRET: SECRET },
    });
    runtime.addRoute(webhookRoute(runtime));
    runtime.addRoute(devicesRoute(runtime));
    runtime.addRoute(promotionsRoute(runtime));
    runtime.addRoute(loyaltyApiRoute(runtime));
    await seedDemoCustomers(runtime);
    ({ unattributed } = signAsCallingFunction([dynamo(), dynamoClient(), ses(), sns(), sfn(), eventBridge()], runtime.gatewayUrl, runtime.functions.values()));

    // A promotion window added, listed and removed through the signed promotions API; the loyalty
    // consumer reads the set for the demo's purchases.
    const promotion = async (method: string, path: string, body?: unknown) => {
      const url = new URL(path, runtime.gatewayUrl);
      const text = body === undefined ? "" : JSON.stringify(body);
      const signed = await signRequest(
        { method, url, headers: text ? { "content-type": "application/json" } : {}, body: text },
        { region: runtime.region, accessKeyId: "local", secretAccessKey: "local" },
      );
      return (await fetch(url, { method, headers: signed, ...(text ? { body: text } : {}) })).status;
    };
    const window = { start: new Date(Date.now() - 60_000).toISOString(), end: new Date(Date.now() + 3_600_000).toISOString(), multiplier: 2, combine: "highest" };
    expect(await promotion("POST", PROMOTIONS_PATH, { name: "iam-pipeline", ...window })).toBe(201);
    expect(await promotion("GET", PROMOTIONS_PATH)).toBe(200);
    expect(await promotion("DELETE", `${PROMOTIONS_PATH}/iam-pipeline`)).toBe(200);

    runtime.sendEnvelopes(demoEvents());
    await runtime.waitForQuiet(120_000);
    const body = webhookBody(stripeEvent("05"));
    const webhook = await fetch(`${runtime.gatewayUrl}${WEBHOOK_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": sign(body, { timestamp: Math.floor(Date.now() / 1000) }) },
      body,
    });
    expect(webhook.status).toBe(200);

    runtime.sendEnvelopes([customerEvent("17", "Created", CUSTOMER)]);
    await runtime.waitForQuiet(60_000);
    const url = new URL(DEVICES_PATH, runtime.gatewayUrl);
    const registration = JSON.stringify({ customerId: CUSTOMER, platform: "GCM", token: TOKEN });
    const headers = await signRequest(
      { method: "POST", url, headers: { "content-type": "application/json", "Idempotency-Key": "iam-pipe-1" }, body: registration },
      { region: runtime.region, accessKeyId: "local", secretAccessKey: "local" },
    );
    expect((await fetch(url, { method: "POST", headers, body: registration })).status).toBe(200);
    runtime.sendEnvelopes([customerEvent("20", "ActionRequired", CUSTOMER), customerEvent("21", "TrialEnding", CUSTOMER)]);
    await runtime.waitForQuiet(60_000);
    runtime.sendEnvelopes([customerEvent("23", "Deleted", CUSTOMER)]);
    await runtime.waitForQuiet(60_000);

    // SES failing: the workflow records its failure.
    runtime.faults.ses.set({ decide: () => ({ code: "Throttling", message: "Maximum sending rate exceeded.", status: 400 }) });
    runtime.sendEnvelopes([newPurchase("SesDown", "C-100877", 70_000)]);
    await runtime.waitForQuiet(120_000);
    runtime.faults.ses.set(undefined);
    // The follow-ups, due 72 h later.
    await runtime.runScheduled("FollowupDispatch", new Date(Date.now() + 4 * 86_400_000));
    await runtime.waitForQuiet(60_000);
    // The loyalty API, signed: a balance, the ledger, a redemption, an adjustment.
    const loyalty = async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => {
      const url = new URL(`${LOYALTY_PATH}${path}`, runtime.gatewayUrl);
      const text = body === undefined ? "" : JSON.stringify(body);
      const signed = await signRequest(
        { method, url, headers: { ...(text ? { "content-type": "application/json" } : {}), ...extra }, body: text },
        { region: runtime.region, accessKeyId: "local", secretAccessKey: "local" },
      );
      return (await fetch(url, { method, headers: signed, ...(text ? { body: text } : {}) })).status;
    };
    expect(await loyalty("GET", "/customers/C-100877")).toBe(200);
    expect(await loyalty("GET", "/customers/C-100877/ledger?limit=2")).toBe(200);
    expect(await loyalty("POST", "/customers/C-100877/redemptions", { points: 10 }, { "Idempotency-Key": "iam-pipe-redeem" })).toBe(200);
    expect(await loyalty("POST", "/customers/C-100877/adjustments", { points: 25, reason: "iam test", actor: "iam@example.com" })).toBe(200);
    // Points expiry a year on: warnings, then the lots expire.
    const yearOn = Date.now() + 365 * 86_400_000;
    await runtime.runScheduled("LoyaltyExpiry", new Date(yearOn - 86_400_000));
    await runtime.runScheduled("LoyaltyExpiry", new Date(yearOn + 86_400_000));
    await runtime.waitForQuiet(60_000);
  }, 300_000);

  afterAll(async () => {
    await runtime?.stop();
  });

  it("denied none of their calls", () => {
    const denied = runtime.iam.decisions.filter((decision) => !decision.allowed);

    expect(denied).toEqual([]);
    expect(unattributed).toEqual([]);
  });

  it("judged every function's calls by that function's key", () => {
    const judged = new Set(runtime.iam.decisions.filter((decision) => decision.caller !== "admin").map((decision) => decision.caller));

    expect([...runtime.functions.keys()].filter((name) => !judged.has(name))).toEqual([]);
  });
});
