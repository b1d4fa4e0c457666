/**
 * Least privilege against the code (issue 13, point 4): the whole pipeline runs on the local runtime
 * — demo events, follow-ups, a webhook through Secrets Manager, customers synced and erased, devices
 * registered and removed through the signed device API, promotion windows through the signed
 * promotions API, lifecycle notices, SES failing — while
 * every SDK call is recorded per function; the plan's grants must be exactly what was used. A grant no function
 * exercised, or a call no grant allows, fails the test with its name.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SetEndpointAttributesCommand, SNSClient } from "@aws-sdk/client-sns";
import { PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../fixtures/index.ts";
import { localDynamoClient } from "../local/state.ts";
import { tables as tableDeclarations } from "../functions/common/tables.ts";
import { SECRET, sign, stripeEvent, webhookBody } from "./support/webhook.ts";
import { demoEvents, seedDemoCustomers } from "../local/demo.ts";
import { DEVICES_PATH, devicesRoute } from "../local/devices.ts";
import { PROMOTIONS_PATH, promotionsRoute } from "../local/promotions.ts";
import { LOYALTY_PATH, loyaltyApiRoute } from "../local/loyalty-api.ts";
import { accessKeyIdOf } from "../local/function-credentials.ts";
import type { Runtime } from "../local/runtime.ts";
import { startTestRuntime } from "./support/runtime.ts";
import { LOCAL_STRIPE_API_KEY } from "../local/stripe.ts";
import { signRequest } from "../local/sigv4.ts";
import { WEBHOOK_PATH, webhookRoute } from "../local/webhook.ts";
import { buildPlan, TABLE_ACTIONS, type InfraPlan } from "../stacks/plan.ts";
import { auditGrants, recordUses, type Use } from "./iam/audit.ts";
import { customStage } from "./support/stages.ts";
import { adminClient } from "../local/admin-client.ts";

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:paybus-webhook-AbCdEf";
const STRIPE_KEY_ARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:paybus-stripe-api-key-GhIjKl";

/**
 * Secrets Manager's GetSecretValue for the webhook secret and the Stripe API key (awsJson1.1), which
 * the runtime lacks; it reports each request as the gateway does (operation, input, the caller's access key).
 */
function secretStore(seen: (operation: string, input: Record<string, unknown>, accessKeyId: string | undefined) => void): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { SecretId?: string };
      seen(String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "", input, accessKeyIdOf(req.headers.authorization));
      const { SecretId } = input;
      const values: Record<string, string> = { [SECRET_ARN]: SECRET, [STRIPE_KEY_ARN]: LOCAL_STRIPE_API_KEY };
      const found = req.headers["x-amz-target"] === "secretsmanager.GetSecretValue" && SecretId !== undefined && SecretId in values;
      res.writeHead(found ? 200 : 400, { "content-type": "application/x-amz-json-1.1" });
      res.end(
        JSON.stringify(
          found
            ? { ARN: SecretId, Name: SecretId.split(":").pop(), SecretString: values[SecretId], VersionId: randomUUID() }
            : { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." },
        ),
      );
    });
  });
}

/** A purchase like fixture 03 with new ids, for `customerId` (whose profile has an email). */
function newPurchase(suffix: string, customerId: string, amount: number): Record<string, any> {
  const event = loadFixture("03");
  event.id = randomUUID();
  event.detail.id = `evt_iam${suffix}`;
  event.detail.data.object.id = `pi_iam${suffix}`;
  event.detail.data.object.amount = event.detail.data.object.amount_received = amount;
  event.detail.data.object.metadata = { ...event.detail.data.object.metadata, customer_id: customerId };
  return event;
}

/** A new paid invoice (fixture 01 with new ids). */
function newInvoice(suffix: string): Record<string, any> {
  const event = loadFixture("01");
  event.id = randomUUID();
  event.detail.id = `evt_iamInvoice${suffix}`;
  event.detail.data.object.id = `in_iam${suffix}`;
  return event;
}

/** A customer of the device scenario, created, given devices, told lifecycle notices, then deleted. */
const CUSTOMER = "cus_IamDevices00001";
// FCM registration tokens' shape: instance id, colon, a long URL-safe string.
const TOKEN = `iamDev1Tk0001:APA91b${"Hx9_Qm2-ZkL4vN8pR1sT6wY0cB3dF5gJ7".repeat(4)}`;
const OTHER_TOKEN = `iamDev2Tk0002:APA91b${"Qm2-ZkL4vN8pR1sT6wY0cB3dF5gJ7Hx9_".repeat(4)}`;

/** A fixture as a new Stripe event (new ids) about `customer`. */
function customerEvent(fixture: string, suffix: string, customer: string): Record<string, any> {
  const event = loadFixture(fixture);
  event.id = randomUUID();
  event.detail.id = `evt_iam${suffix}`;
  event.detail.created = Math.floor(Date.now() / 1000);
  const object = event.detail.data.object;
  if (object.object === "customer") object.id = customer;
  else {
    object.id = `${object.id.split("_")[0]}_iam${suffix}`;
    object.customer = customer;
  }
  return event;
}

/** A redelivery: the same Stripe event in a new envelope. */
const redelivered = (envelope: Record<string, any>) => ({ ...structuredClone(envelope), id: randomUUID() });

describe("every function's grants are exactly the calls it makes", () => {
  let runtime: Runtime;
  let dataDir: string;
  let store: Server;
  let recorded: { uses: Use[]; unattributed: string[]; record: (service: string, operation: string, input: Record<string, unknown>, accessKeyId: string | undefined) => void };
  const plan: InfraPlan = buildPlan(customStage);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "paybus-iam-"));
    store = secretStore((operation, input, accessKeyId) => recorded?.record("secretsmanager", operation, input, accessKeyId));
    await new Promise<void>((resolve) => store.listen(0, "127.0.0.1", resolve));
    runtime = await startTestRuntime({
      dataDir,
      port: 0,
      timeScale: 0.01,
      workflowTimeScale: 0.0001,
      env: {
        // As deployed: the bridge reads its signing secret from Secrets Manager, not the environment.
        PAYBUS_WEBHOOK_SECRET_ID: SECRET_ARN,
        // As deployed too: the tier rewards read the Stripe API key from Secrets Manager.
        PAYBUS_STRIPE_API_KEY_SECRET_ID: STRIPE_KEY_ARN,
        // Spending milestones on (they are opt-in), so their campaign emails are sent and, with SES down, released.
        PAYBUS_LOYALTY_CONFIG: JSON.stringify({ milestones: { currency: "usd", thresholds: [500, 1_000] } }),
        AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(store.address() as AddressInfo).port}`,
      },
    });
    runtime.addRoute(webhookRoute(runtime));
    runtime.addRoute(devicesRoute(runtime));
    runtime.addRoute(promotionsRoute(runtime));
    runtime.addRoute(loyaltyApiRoute(runtime));
    await seedDemoCustomers(runtime);
    // From here on, every AWS request the functions make, told apart by the access key they sign with.
    const tableEnv = Object.fromEntries(Object.entries(tableDeclarations).map(([name, table]) => [table.envVar, runtime.tableNames[name as keyof typeof tableDeclarations]]));
    // Which secret a GetSecretValue names decides the grant it needs.
    tableEnv.PAYBUS_STRIPE_API_KEY_SECRET_ID = STRIPE_KEY_ARN;
    recorded = recordUses(runtime.functions.values(), tableEnv);
    runtime.observeAwsRequests((request) => recorded.record(request.service, request.operation, request.input, request.accessKeyId));

    // A promotion window added, listed, and a second one removed through the signed promotions API;
    // the loyalty consumer reads the set for the demo's purchases.
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
    expect(await promotion("POST", PROMOTIONS_PATH, { name: "iam-window", ...window })).toBe(201);
    expect(await promotion("POST", PROMOTIONS_PATH, { name: "iam-other", ...window, multiplier: 3 })).toBe(201);
    expect(await promotion("DELETE", `${PROMOTIONS_PATH}/iam-other`)).toBe(200);
    expect(await promotion("GET", PROMOTIONS_PATH)).toBe(200);
    // Notices, loyalty, the engagement workflow on every path, and their duplicates.
    runtime.sendEnvelopes(demoEvents());
    await runtime.waitForQuiet(120_000);
    // A signed webhook: the secret from Secrets Manager, the event onto the bus.
    const body = webhookBody(stripeEvent("05"));
    const answer = await fetch(`${runtime.gatewayUrl}${WEBHOOK_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": sign(body, { timestamp: Math.floor(Date.now() / 1000) }) },
      body,
    });
    expect(answer.status).toBe(200);
    // A tier reward applied twice (a retried task): the second finds the first, Stripe is asked once.
    const offer = {
      executionName: "iam-offer",
      purchaseId: "pi_iamOffer",
      customerId: "C-iam",
      stripeCustomerId: "cus_IamOffer000001",
      previousTier: "member",
      newTier: "silver",
      occurredAt: new Date().toISOString(),
    };
    await runtime.invokeByArn(`${runtime.prefix}-EngagementOffer`, offer);
    await runtime.invokeByArn(`${runtime.prefix}-EngagementOffer`, offer);
    await runtime.waitForQuiet(60_000);
    expect(runtime.stripe.balanceTransactions("cus_IamOffer000001")).toHaveLength(1);

    // A customer from Stripe, their phone registered through the signed device API (retried, then
    // re-registered once SNS disabled the endpoint), a second device added and removed, and a
    // registration for an unknown customer (Powertools releases its idempotency record).
    const device = async (method: string, body: unknown, headers: Record<string, string> = {}) => {
      const url = new URL(DEVICES_PATH, runtime.gatewayUrl);
      const text = JSON.stringify(body);
      const signed = await signRequest(
        { method, url, headers: { "content-type": "application/json", ...headers }, body: text },
        { region: runtime.region, accessKeyId: "local", secretAccessKey: "local" },
      );
      const response = await fetch(url, { method, headers: signed, body: text });
      return { status: response.status, body: (await response.json()) as any };
    };
    runtime.sendEnvelopes([customerEvent("17", "Created", CUSTOMER)]);
    await runtime.waitForQuiet(60_000);
    // An engagement email task run again after it sent (a re-run): the second finds the send done.
    const email = { template: "confirmation", executionName: "iam-email", purchaseId: "pi_iamEmail", customerId: "C-iam", stripeCustomerId: CUSTOMER, pointsEarned: 10, amount: 1000, currency: "usd", newTier: null };
    expect(await runtime.invokeByArn(`${runtime.prefix}-EngagementEmail`, email)).toMatchObject({ sent: true });
    expect(await runtime.invokeByArn(`${runtime.prefix}-EngagementEmail`, email)).toEqual({ sent: false, reason: "already-sent" });
    const registration = { customerId: CUSTOMER, platform: "GCM", token: TOKEN };
    const registered = await device("POST", registration, { "Idempotency-Key": "iam-reg-1" });
    expect(registered.status).toBe(200);
    expect(await device("POST", registration, { "Idempotency-Key": "iam-reg-1" })).toEqual(registered);
    expect((await device("POST", { ...registration, customerId: "cus_IamNobody00001" }, { "Idempotency-Key": "iam-reg-x" })).status).toBe(404);
    const admin = adminClient(SNSClient, runtime.endpoints.sns, runtime.region);
    await admin.send(new SetEndpointAttributesCommand({ EndpointArn: registered.body.device.endpointArn, Attributes: { Enabled: "false" } }));
    admin.destroy();
    expect((await device("POST", registration, { "Idempotency-Key": "iam-reg-2" })).status).toBe(200);
    expect((await device("POST", { ...registration, token: OTHER_TOKEN }, { "Idempotency-Key": "iam-reg-3" })).status).toBe(200);
    expect((await device("DELETE", { customerId: CUSTOMER, token: OTHER_TOKEN })).status).toBe(200);
    // Lifecycle notices to that customer (email and push), each redelivered; then Stripe deletes
    // the customer, erasing the profile and the remaining device's endpoint.
    const lifecycle = [customerEvent("20", "ActionRequired", CUSTOMER), customerEvent("21", "TrialEnding", CUSTOMER)];
    runtime.sendEnvelopes(lifecycle);
    await runtime.waitForQuiet(60_000);
    runtime.sendEnvelopes(lifecycle.map(redelivered));
    await runtime.waitForQuiet(60_000);
    expect(runtime.sns.outbox.filter((push) => push.targetArn === registered.body.device.endpointArn)).toHaveLength(2);
    // That customer reaches Silver: the loyalty consumer publishes TierChanged, the VIP consumer
    // pushes to the device; the loyalty event delivered again finds the push done.
    const vipPurchase = newPurchase("Vip", "C-iamVip", 60_000);
    vipPurchase.detail.data.object.customer = CUSTOMER;
    runtime.sendEnvelopes([vipPurchase]);
    await runtime.waitForQuiet(60_000);
    const tierChanged = runtime.archive.read().map((archived) => JSON.parse(archived.event)).find((e) => e["detail-type"] === "TierChanged" && e.detail.customerId === "C-iamVip");
    expect(tierChanged).toBeDefined();
    runtime.sendEnvelopes([redelivered(tierChanged)]);
    await runtime.waitForQuiet(60_000);
    expect(runtime.sns.outbox.filter((push) => push.targetArn === registered.body.device.endpointArn)).toHaveLength(3);
    // An invoice with no address of its own: the notifications consumer reads the profile (with
    // one, the contact stub's refused write answers with the profile and nothing reads it).
    const unaddressed = customerEvent("01", "Unaddressed", CUSTOMER);
    unaddressed.detail.data.object.customer_email = null;
    runtime.sendEnvelopes([unaddressed]);
    await runtime.waitForQuiet(60_000);
    expect(runtime.sns.outbox.filter((push) => push.targetArn === registered.body.device.endpointArn)).toHaveLength(4);
    runtime.sendEnvelopes([customerEvent("23", "Deleted", CUSTOMER)]);
    await runtime.waitForQuiet(60_000);
    expect(runtime.sns.hasEndpoint(registered.body.device.endpointArn)).toBe(false);
    // SES failing: claimed sends are released, the workflow records its failure, due follow-ups stay due.
    const dueLater = new Date(Date.now() + 4 * 86_400_000);
    runtime.faults.ses.set({ decide: () => ({ code: "Throttling", message: "Maximum sending rate exceeded.", status: 400 }) });
    runtime.sendEnvelopes([newInvoice("SesDown"), newPurchase("SesDown", "C-100877", 70_000), customerEvent("20", "LifecycleSesDown", "cus_IamSesDown0001")]);
    await runtime.waitForQuiet(120_000);
    await runtime.runScheduled("FollowupDispatch", dueLater).catch(() => undefined);
    runtime.faults.ses.set(undefined);
    // The follow-up campaign, due 72 h later, once SES is back.
    const tables = localDynamoClient(runtime);
    const { Items: due = [] } = await tables.send(
      new QueryCommand({ TableName: runtime.tableNames.loyalty, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": "FOLLOWUP" } }),
    );
    expect(due.length).toBeGreaterThan(0);
    await runtime.runScheduled("FollowupDispatch", dueLater);
    // A dispatcher that died after sending, before removing the follow-up: the next run finds the send done.
    await tables.send(new PutCommand({ TableName: runtime.tableNames.loyalty, Item: due[0]! }));
    await runtime.runScheduled("FollowupDispatch", dueLater);

    // The loyalty API, signed: a balance, the ledger, a redemption (redelivered: the first answer;
    // its PointsRedeemed through the outbox), one the balance does not cover (Powertools releases
    // its record), an adjustment (redelivered) and one the balance does not cover. The expiry runs below drain the outbox and publish
    // PointsExpired through it.
    const loyalty = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const url = new URL(`${LOYALTY_PATH}${path}`, runtime.gatewayUrl);
      const text = body === undefined ? "" : JSON.stringify(body);
      const signed = await signRequest(
        { method, url, headers: { ...(text ? { "content-type": "application/json" } : {}), ...headers }, body: text },
        { region: runtime.region, accessKeyId: "local", secretAccessKey: "local" },
      );
      const response = await fetch(url, { method, headers: signed, ...(text ? { body: text } : {}) });
      return { status: response.status, body: (await response.json()) as any };
    };
    expect((await loyalty("GET", "/customers/C-100877")).status).toBe(200);
    expect((await loyalty("GET", "/customers/C-100877/ledger?limit=2")).body.entries).toHaveLength(2);
    const redeemed = await loyalty("POST", "/customers/C-100877/redemptions", { points: 10 }, { "Idempotency-Key": "iam-redeem-1" });
    expect(redeemed.status).toBe(200);
    expect(await loyalty("POST", "/customers/C-100877/redemptions", { points: 10 }, { "Idempotency-Key": "iam-redeem-1" })).toEqual(redeemed);
    expect((await loyalty("POST", "/customers/C-100877/redemptions", { points: 1_000_000_000 }, { "Idempotency-Key": "iam-redeem-2" })).status).toBe(409);
    const adjusted = await loyalty("POST", "/customers/C-100877/adjustments", { points: 25, reason: "iam test", actor: "iam@example.com" }, { "Idempotency-Key": "iam-adjust-1" });
    expect(adjusted.status).toBe(200);
    expect(await loyalty("POST", "/customers/C-100877/adjustments", { points: 25, reason: "iam test", actor: "iam@example.com" }, { "Idempotency-Key": "iam-adjust-1" })).toEqual(adjusted);
    expect((await loyalty("POST", "/customers/C-100877/adjustments", { points: -1_000_000_000, reason: "iam test", actor: "iam@example.com" }, { "Idempotency-Key": "iam-adjust-2" })).status).toBe(409);
    // Points expiry a year on: warnings inside the lead time, one of them found sent by a run after
    // a crash (the index not marked yet), then the lots expire.
    const yearOn = Date.now() + 365 * 86_400_000;
    expect(await runtime.runScheduled("LoyaltyExpiry", new Date(yearOn - 86_400_000))).toMatchObject({ warned: expect.any(Number) });
    const { Items: index = [] } = await tables.send(
      new QueryCommand({ TableName: runtime.tableNames.loyalty, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": "LOTEXPIRY" } }),
    );
    const warned = index.find((item) => item.warning === "sent");
    expect(warned).toBeDefined();
    await tables.send(new UpdateCommand({ TableName: runtime.tableNames.loyalty, Key: { pk: warned!.pk, sk: warned!.sk }, UpdateExpression: "REMOVE warnedAt" }));
    await runtime.runScheduled("LoyaltyExpiry", new Date(yearOn - 86_400_000 + 60_000));
    expect(await runtime.runScheduled("LoyaltyExpiry", new Date(yearOn + 86_400_000))).toMatchObject({ expiredLots: expect.any(Number) });
    tables.destroy();
  }, 300_000);

  afterAll(async () => {
    await runtime?.stop();
    await new Promise<void>((resolve) => store?.close(() => resolve()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("exercised every function, each call made by one function's code", () => {
    const exercised = new Set(recorded.uses.map((use) => use.fn));

    // A function linked to nothing (a consumer fresh from `paybus new consumer`) has no grant to
    // exercise; a call it made anyway would fail the grant audit below as used but not granted.
    const linked = plan.functions.filter((fn) => fn.links.length > 0);
    expect(linked.map((fn) => fn.handler.split("/")[1]).filter((folder) => !exercised.has(folder!))).toEqual([]);
    expect(recorded.unattributed).toEqual([]);
  });

  it("passes local IAM enforcement: no call denied, every function judged by its own access key", () => {
    const denied = runtime.iam.decisions.filter((decision) => !decision.allowed);
    const judged = new Set(runtime.iam.decisions.filter((decision) => decision.caller !== "admin").map((decision) => decision.caller));
    // Every function granted anything (one with no access, fresh from `paybus new consumer`, calls nothing).
    const granted = runtime.plan.functions.filter((fn) => fn.links.length > 0).map((fn) => runtime.functionFor(fn.logicalName).name);

    expect(denied).toEqual([]);
    expect(granted.filter((name) => !judged.has(name))).toEqual([]);
  });

  it("judges a callback on the state machine of its open task token's execution (on the action alone for a token no longer open)", () => {
    const callbacks = runtime.iam.decisions.filter((decision) => decision.action.startsWith("states:SendTask") && decision.caller !== "admin");
    const onOpenTokens = callbacks.filter((decision) => decision.resource !== "?");

    expect(onOpenTokens.length).toBeGreaterThan(0);
    expect([...new Set(onOpenTokens.map((decision) => decision.resource))]).toEqual([expect.stringMatching(/^arn:aws:states:[^:]+:\d{12}:stateMachine:[\w-]+-engagement$/)]);
  });

  it("grants no action, resource or partition key the functions did not use, and every one they did", () => {
    expect(auditGrants(plan, recorded.uses)).toEqual([]);
  });

  it("fails when a grant exceeds what its function uses (the grants paybus had before)", () => {
    // Every table action on every linked table, shared, without LeadingKeys; SES raw email too.
    const broad: InfraPlan = {
      ...plan,
      grants: plan.grants.map((grant) => ({
        ...grant,
        statements: grant.statements.map((statement) =>
          grant.ref.kind === "table"
            ? { actions: [...TABLE_ACTIONS], resources: statement.resources }
            : grant.ref.kind === "emailIdentity"
              ? { ...statement, actions: ["ses:SendEmail", "ses:SendRawEmail"] }
              : grant.ref.kind === "deviceEndpoints"
                ? { ...statement, actions: [...new Set([...statement.actions, "sns:GetEndpointAttributes", "sns:SetEndpointAttributes", "sns:DeleteEndpoint"])] }
                : statement,
        ),
      })),
    };

    const problems = auditGrants(broad, recorded.uses);

    expect(problems).toEqual(
      expect.arrayContaining([
        "NotificationsConsumer: dynamodb:PutItem on table:profiles is granted but never used",
        "EngagementEmail: dynamodb:DeleteItem on table:profiles is granted but never used",
        "FollowupDispatch: dynamodb:Query on table:profiles is granted but never used",
        "NotificationsConsumer: ses:SendRawEmail on emailIdentity is granted but never used",
        "EngagementCrm: dynamodb:PutItem on table:loyalty is granted but never used",
        "CustomersConsumer: dynamodb:PutItem on table:profiles is granted but never used",
        "CustomersConsumer: sns:SetEndpointAttributes on deviceEndpoints is granted but never used",
        "LifecycleConsumer: dynamodb:UpdateItem on table:profiles is granted but never used",
        "DeviceApi: dynamodb:GetItem on table:idempotency is granted but never used",
        "DeviceApi: dynamodb:Query on table:profiles is granted but never used",
      ]),
    );
  });

  it("fails when a function uses what it was not granted", () => {
    const stray: Use = { fn: "engagement-crm", action: "dynamodb:DeleteItem", resource: "table:loyalty", partitionKey: "PURCHASE#pi_1" };

    expect(auditGrants(plan, [...recorded.uses, stray])).toEqual([
      'EngagementCrm: dynamodb:DeleteItem on table:loyalty is used but not granted',
    ]);
    const outsideKeys: Use = { ...stray, action: "dynamodb:UpdateItem" };
    expect(auditGrants(plan, [...recorded.uses, outsideKeys])).toEqual([
      'EngagementCrm: dynamodb:UpdateItem on table:loyalty on partition key "PURCHASE#pi_1" is outside the granted LeadingKeys',
    ]);
    // The lifecycle consumer may read the invoice notices' state but not write it; the device API
    // may write only Stripe customers' profiles and its own idempotency records.
    const lifecycleWrite: Use = { fn: "lifecycle", action: "dynamodb:PutItem", resource: "table:notifications", partitionKey: "invoice#in_1" };
    const deviceWrite: Use = { fn: "devices", action: "dynamodb:UpdateItem", resource: "table:profiles", partitionKey: "C-100877" };
    const foreignRecord: Use = { fn: "devices", action: "dynamodb:DeleteItem", resource: "table:idempotency", partitionKey: "other-function#abc" };
    expect(auditGrants(plan, [...recorded.uses, lifecycleWrite, deviceWrite, foreignRecord])).toEqual([
      'LifecycleConsumer: dynamodb:PutItem on table:notifications on partition key "invoice#in_1" is outside the granted LeadingKeys',
      'DeviceApi: dynamodb:UpdateItem on table:profiles on partition key "C-100877" is outside the granted LeadingKeys',
      'DeviceApi: dynamodb:DeleteItem on table:idempotency on partition key "other-function#abc" is outside the granted LeadingKeys',
    ]);
  });
});
