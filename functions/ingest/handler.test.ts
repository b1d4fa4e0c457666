/**
 * The bridge's Lambda handler with the real EventBridge client, pointed by
 * `AWS_ENDPOINT_URL_EVENTBRIDGE` at a PutEvents endpoint written here (awsJson1.1) that records
 * what it is given and can be told to fail.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { WEBHOOK_SOURCE } from "../../declarations/rules.ts";
import { DEFAULT_MAX_ENTRY_BYTES, loadBridgeSettings } from "./config.ts";
import { WEBHOOK_PATH, toFunctionUrlEvent } from "../../local/function-url-event.ts";
import { createConfiguredHandler, createWebhookHandler, handler } from "./handler.ts";
import { SECRET_MAX_AGE_SECONDS } from "./secrets.ts";
import { NEXT_SECRET, SECRET, SIGNED_AT, sign, stripeEvent, testConfig, webhookBody } from "../../test/support/webhook.ts";

type Failure = { kind: "http"; status: number } | { kind: "entry"; errorCode: string };

interface RecordedEntry {
  readonly EventBusName?: string;
  readonly Time?: number;
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly Resources?: string[];
}

/** A PutEvents endpoint speaking awsJson1.1, as the SDK expects. */
class PutEventsEndpoint {
  readonly published: RecordedEntry[] = [];
  calls = 0;
  failure: Failure | undefined;
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      this.calls += 1;
      const reply = (status: number, body: unknown) =>
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(body));
      if (req.headers["x-amz-target"] !== "AWSEvents.PutEvents") {
        reply(400, { __type: "UnknownOperationException", message: `unexpected ${req.headers["x-amz-target"]}` });
        return;
      }
      const { Entries } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { Entries: RecordedEntry[] };
      if (this.failure?.kind === "http") {
        reply(this.failure.status, { __type: "InternalException", message: "the bus is unavailable" });
      } else if (this.failure?.kind === "entry") {
        const errorCode = this.failure.errorCode;
        reply(200, {
          FailedEntryCount: Entries.length,
          Entries: Entries.map(() => ({ ErrorCode: errorCode, ErrorMessage: "entry refused" })),
        });
      } else {
        this.published.push(...Entries);
        reply(200, { FailedEntryCount: 0, Entries: Entries.map(() => ({ EventId: randomUUID() })) });
      }
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  reset(): void {
    this.published.length = 0;
    this.calls = 0;
    this.failure = undefined;
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }
}

/** A Secrets Manager endpoint (awsJson1.1) holding one secret, counting reads, told to fail. */
class SecretsManagerEndpoint {
  static readonly ARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:paybus-webhook-AbCdEf";
  value = SECRET;
  reads = 0;
  failing = false;
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const reply = (status: number, body: unknown) =>
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(body));
      const { SecretId } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { SecretId: string };
      if (req.headers["x-amz-target"] !== "secretsmanager.GetSecretValue" || SecretId !== SecretsManagerEndpoint.ARN) {
        reply(400, { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." });
        return;
      }
      this.reads += 1;
      if (this.failing) reply(400, { __type: "AccessDeniedException", message: "not authorized to perform secretsmanager:GetSecretValue" });
      else reply(200, { ARN: SecretId, Name: "paybus-webhook", SecretString: this.value, VersionId: randomUUID() });
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }
}

const bus = new PutEventsEndpoint();
const secretStore = new SecretsManagerEndpoint();
const savedEnv = { ...process.env };

beforeAll(async () => {
  // Read by the shared EventBridge client when the handler first uses it.
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = await bus.start();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = await secretStore.start();
  process.env.AWS_REGION = "us-east-1";
  process.env.AWS_ACCESS_KEY_ID = "test";
  process.env.AWS_SECRET_ACCESS_KEY = "test";
});

afterEach(() => bus.reset());

afterAll(async () => {
  process.env = savedEnv;
  await bus.close();
  await secretStore.close();
});

const ARRIVAL_MS = (SIGNED_AT + 2) * 1000;

/** The event a function URL hands the Lambda for a POST of `body`. */
function functionUrlEvent(
  body: string,
  headers: Record<string, string>,
  options: { base64?: boolean; timeEpoch?: number } = {},
): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: WEBHOOK_PATH,
    rawQueryString: "",
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    requestContext: {
      accountId: "anonymous",
      apiId: "abcdefghij",
      domainName: "abcdefghij.lambda-url.us-east-1.on.aws",
      domainPrefix: "abcdefghij",
      http: { method: "POST", path: WEBHOOK_PATH, protocol: "HTTP/1.1", sourceIp: "3.18.12.63", userAgent: "Stripe/1.0" },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: "01/Aug/2026:10:01:42 +0000",
      timeEpoch: options.timeEpoch ?? ARRIVAL_MS,
    },
    body: options.base64 ? Buffer.from(body, "utf8").toString("base64") : body,
    isBase64Encoded: options.base64 ?? false,
  };
}

/** A signed delivery of `event`, as Stripe sends it. */
function delivery(event: unknown, options: { secret?: string; base64?: boolean } = {}): APIGatewayProxyEventV2 {
  const body = webhookBody(event);
  return functionUrlEvent(body, { "stripe-signature": sign(body, options) }, options);
}

function answer(result: APIGatewayProxyStructuredResultV2): { status?: number; body: any } {
  return { status: result.statusCode, body: JSON.parse(result.body ?? "null") };
}

/** Every JSON line the handler writes (logs and EMF metrics) while `act` runs. */
async function captureOutput(act: () => Promise<unknown>): Promise<Record<string, any>[]> {
  const written: string[] = [];
  const capture = (stream: NodeJS.WriteStream) =>
    vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  const spies = [capture(process.stdout), capture(process.stderr)];
  try {
    await act();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return written
    .flatMap((text) => text.split("\n"))
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, any>);
}

describe("a verified webhook is put on the bus before Stripe gets its 2xx", () => {
  const bridge = createWebhookHandler(testConfig());

  it.each([
    ["a text body", false],
    ["a base64-encoded body", true],
  ])("publishes the Stripe event unchanged from %s", async (_, base64) => {
    const event = stripeEvent("01");

    const result = answer(await bridge(delivery(event, { base64 })));

    expect(result).toEqual({
      status: 200,
      body: { received: true, id: event.id, eventBridgeId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
    expect(bus.published).toEqual([
      {
        EventBusName: "paybus-test",
        Time: ARRIVAL_MS / 1000,
        Source: WEBHOOK_SOURCE,
        DetailType: "invoice.paid",
        Detail: JSON.stringify(event),
      },
    ]);
  });

  it("publishes a duplicate delivery again, with the same detail.id for consumers to dedupe on", async () => {
    const event = stripeEvent("03");
    const sameDelivery = delivery(event);

    const first = answer(await bridge(sameDelivery));
    const second = answer(await bridge(sameDelivery));

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.body.eventBridgeId).not.toBe(second.body.eventBridgeId);
    expect(bus.published.map((entry) => JSON.parse(entry.Detail!).id)).toEqual([event.id, event.id]);
  });

  it("accepts either secret while one is rotated", async () => {
    const rotating = createWebhookHandler(testConfig({ webhookSecrets: [SECRET, NEXT_SECRET] }));
    const oldSigned = stripeEvent("03");
    const newSigned = stripeEvent("04");

    const results = [
      answer(await rotating(delivery(oldSigned, { secret: SECRET }))),
      answer(await rotating(delivery(newSigned, { secret: NEXT_SECRET }))),
    ];

    expect(results.map((result) => result.status)).toEqual([200, 200]);
    expect(bus.published.map((entry) => entry.DetailType)).toEqual(["payment_intent.succeeded", "charge.succeeded"]);
  });

  it("publishes thin events when configured to", async () => {
    const thinBridge = createWebhookHandler(testConfig({ forwardThinEvents: true }));

    const result = answer(await thinBridge(delivery(stripeEvent("16"))));

    expect(result.status).toBe(200);
    expect(bus.published.map((entry) => entry.DetailType)).toEqual(["v2.core.event_destination.ping"]);
  });
});

describe("refused webhooks get a 4xx and publish nothing", () => {
  const bridge = createWebhookHandler(testConfig());

  it("answers 400 to a wrong secret", async () => {
    const result = answer(await bridge(delivery(stripeEvent("03"), { secret: "whsec_not_ours" })));

    expect(result.status).toBe(400);
    expect(result.body.error.reason).toBe("bad_signature");
    expect(bus.calls).toBe(0);
  });

  it("answers 400 to a stale signature", async () => {
    const body = webhookBody(stripeEvent("03"));
    const stale = functionUrlEvent(body, { "stripe-signature": sign(body) }, { timeEpoch: (SIGNED_AT + 301) * 1000 });

    const result = answer(await bridge(stale));

    expect(result).toEqual({ status: 400, body: { error: { reason: "stale_timestamp", message: expect.any(String) } } });
    expect(bus.calls).toBe(0);
  });

  it("answers 400 to a tampered body", async () => {
    const event = stripeEvent("03");
    const signature = sign(webhookBody(event));
    event.data.object.metadata.customer_id = "C-attacker";

    const result = answer(await bridge(functionUrlEvent(webhookBody(event), { "stripe-signature": signature })));

    expect(result.status).toBe(400);
    expect(result.body.error.reason).toBe("bad_signature");
    expect(bus.calls).toBe(0);
  });

  it("answers 400 to a live event in a test-mode deployment", async () => {
    const result = answer(await bridge(delivery({ ...stripeEvent("03"), livemode: true })));

    expect(result.status).toBe(400);
    expect(result.body.error.message).toContain("PAYBUS_EXPECTED_LIVEMODE");
    expect(bus.calls).toBe(0);
  });

  it("answers 413 to an event over the default 256 KiB limit, logs an error and emits OversizedWebhookEvents", async () => {
    const event = stripeEvent("03");
    event.data.object.description = "x".repeat(DEFAULT_MAX_ENTRY_BYTES);
    let result: ReturnType<typeof answer> | undefined;

    const output = await captureOutput(async () => {
      result = answer(await bridge(delivery(event)));
    });

    expect(result?.status).toBe(413);
    expect(result?.body.error.reason).toBe("oversized");
    expect(bus.calls).toBe(0);
    const logged = output.find((line) => line.level === "ERROR" && line.reason === "oversized");
    expect(logged).toMatchObject({ eventId: event.id, eventType: "payment_intent.succeeded", entryBytes: expect.any(Number) });
    expect(logged?.entryBytes).toBeGreaterThan(DEFAULT_MAX_ENTRY_BYTES);
    const metric = output.find((line) => line._aws?.CloudWatchMetrics);
    expect(metric?.OversizedWebhookEvents).toBe(1);
    expect(metric?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: "paybus",
      Metrics: [{ Name: "OversizedWebhookEvents", Unit: "Count" }],
    });
  });
});

describe("a bus failure gets a 5xx so Stripe retries", () => {
  const bridge = createWebhookHandler(testConfig());

  it("answers 502 when PutEvents fails", async () => {
    bus.failure = { kind: "http", status: 500 };

    const result = answer(await bridge(delivery(stripeEvent("03"))));

    expect(result.status).toBe(502);
    expect(result.body.error).toEqual({ reason: "publish_failed", message: expect.stringContaining("InternalException") });
    expect(bus.calls).toBeGreaterThan(0);
    expect(bus.published).toEqual([]);
  });

  it("answers 502 when PutEvents reports a failed entry", async () => {
    bus.failure = { kind: "entry", errorCode: "ThrottlingException" };

    const result = answer(await bridge(delivery(stripeEvent("03"))));

    expect(result.status).toBe(502);
    expect(result.body.error.message).toContain("(ThrottlingException: entry refused)");
    expect(bus.calls).toBe(1);
  });
});

describe("the environment-configured handler", () => {
  it("answers 500 naming the missing variable, then works once the environment is set", async () => {
    delete process.env.STRIPE_WEBHOOK_SECRETS;
    process.env.PAYBUS_EVENT_BUS_NAME = "paybus-env";

    const misconfigured = answer(await handler(delivery(stripeEvent("03"))));
    process.env.STRIPE_WEBHOOK_SECRETS = `${NEXT_SECRET},${SECRET}`;
    const configured = answer(await handler(delivery(stripeEvent("03"))));

    expect(misconfigured.status).toBe(500);
    expect(misconfigured.body.error).toEqual({
      reason: "misconfigured",
      message: expect.stringContaining("STRIPE_WEBHOOK_SECRETS is not set"),
    });
    expect(configured.status).toBe(200);
    expect(bus.published.map((entry) => entry.EventBusName)).toEqual(["paybus-env"]);
  });
});

describe("served by node http as the local runtime will (stripe listen --forward-to)", () => {
  const bridge = createWebhookHandler(testConfig());
  const seen: APIGatewayProxyEventV2[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (new URL(req.url ?? "/", "http://localhost").pathname !== WEBHOOK_PATH) {
      res.writeHead(404).end();
      return;
    }
    const event = toFunctionUrlEvent(req, Buffer.concat(chunks));
    seen.push(event);
    const result = await bridge(event);
    res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>).end(result.body);
  });
  let url = "";

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${WEBHOOK_PATH}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("turns the request into a function URL event that the bridge publishes", async () => {
    const event = stripeEvent("05");
    const body = webhookBody(event);
    // The adapter stamps the real arrival time, so the signature must be fresh.
    const signature = sign(body, { timestamp: Math.floor(Date.now() / 1000) });

    const response = await fetch(`${url}?attempt=1&attempt=2`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", "Stripe-Signature": signature, cookie: "a=1; b=2" },
      body,
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ received: true, id: event.id });
    expect(bus.published.map((entry) => entry.Detail)).toEqual([JSON.stringify(event)]);
    const [received] = seen;
    expect(received).toMatchObject({
      version: "2.0",
      rawPath: WEBHOOK_PATH,
      rawQueryString: "attempt=1&attempt=2",
      queryStringParameters: { attempt: "1,2" },
      cookies: ["a=1", "b=2"],
      isBase64Encoded: true,
      requestContext: { http: { method: "POST", path: WEBHOOK_PATH } },
    });
    expect(received?.headers["stripe-signature"]).toBe(signature);
    expect(received?.headers).not.toHaveProperty("cookie");
    expect(Buffer.from(received?.body ?? "", "base64").toString("utf8")).toBe(body);
  });
});

describe("signing secrets read from Secrets Manager at runtime (issue 13, point 5)", () => {
  const settings = () =>
    loadBridgeSettings({ PAYBUS_WEBHOOK_SECRET_ID: SecretsManagerEndpoint.ARN, PAYBUS_EVENT_BUS_NAME: "paybus-test" });

  afterEach(() => {
    vi.useRealTimers();
    secretStore.value = SECRET;
    secretStore.reads = 0;
    secretStore.failing = false;
  });

  it("verifies with the stored secret, read once for many deliveries", async () => {
    const bridge = createConfiguredHandler(settings());

    const results = [answer(await bridge(delivery(stripeEvent("03")))), answer(await bridge(delivery(stripeEvent("04"))))];

    expect(results.map((result) => result.status)).toEqual([200, 200]);
    expect(secretStore.reads).toBe(1);
    expect(bus.published.map((entry) => entry.DetailType)).toEqual(["payment_intent.succeeded", "charge.succeeded"]);
  });

  it(`picks up a rotated value (new,old) once the cached one is ${SECRET_MAX_AGE_SECONDS} s old`, async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const bridge = createConfiguredHandler(settings());
    await bridge(delivery(stripeEvent("03")));
    secretStore.value = `${NEXT_SECRET},${SECRET}`;

    const beforeExpiry = answer(await bridge(delivery(stripeEvent("03"), { secret: NEXT_SECRET })));
    vi.setSystemTime(Date.now() + (SECRET_MAX_AGE_SECONDS + 1) * 1000);
    const afterExpiry = [
      answer(await bridge(delivery(stripeEvent("03"), { secret: NEXT_SECRET }))),
      answer(await bridge(delivery(stripeEvent("04"), { secret: SECRET }))),
    ];

    expect(beforeExpiry.body.error.reason).toBe("bad_signature");
    expect(afterExpiry.map((result) => result.status)).toEqual([200, 200]);
    expect(secretStore.reads).toBe(2);
  });

  it("answers 503 (Stripe retries) while the secret cannot be read, and recovers", async () => {
    const bridge = createConfiguredHandler(settings());
    secretStore.failing = true;

    const failed = answer(await bridge(delivery(stripeEvent("03"))));
    secretStore.failing = false;
    const recovered = answer(await bridge(delivery(stripeEvent("03"))));

    expect(failed).toEqual({
      status: 503,
      body: { error: { reason: "secret_unavailable", message: "the webhook secret could not be read: AccessDeniedException; retry later" } },
    });
    expect(recovered.status).toBe(200);
  });

  it("answers 500 for a stored value that is not a list of signing secrets, never repeating it", async () => {
    secretStore.value = "sk_live_51Hsupersecretvalue";
    let result: ReturnType<typeof answer> | undefined;

    const output = await captureOutput(async () => {
      result = answer(await createConfiguredHandler(settings())(delivery(stripeEvent("03"))));
    });

    expect(result?.status).toBe(500);
    expect(result?.body.error.message).toContain("must be a signing secret starting with whsec_");
    expect(JSON.stringify([result, output])).not.toContain("supersecret");
  });

  it("keeps STRIPE_WEBHOOK_SECRET (singular) working for local use, and refuses both sources at once", () => {
    expect(loadBridgeSettings({ STRIPE_WEBHOOK_SECRET: SECRET, PAYBUS_EVENT_BUS_NAME: "b" }).secretSource).toEqual({
      kind: "environment",
      secrets: [SECRET],
    });
    expect(() =>
      loadBridgeSettings({ STRIPE_WEBHOOK_SECRETS: SECRET, PAYBUS_WEBHOOK_SECRET_ID: SecretsManagerEndpoint.ARN, PAYBUS_EVENT_BUS_NAME: "b" }),
    ).toThrow("set PAYBUS_WEBHOOK_SECRET_ID or STRIPE_WEBHOOK_SECRETS, not both");
  });
});
