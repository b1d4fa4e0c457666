/**
 * Fuzz: arbitrary bodies and `Stripe-Signature` headers against the webhook bridge's Lambda handler
 * (issue 13). Without the secret nothing is ever accepted and nothing is ever a 5xx; with it, any
 * signed body is published only when it is a Stripe event, and is otherwise refused with a 4xx.
 * The handler publishes through the real EventBridge client to a PutEvents endpoint that counts.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { WEBHOOK_PATH } from "../../local/function-url-event.ts";
import { createWebhookHandler } from "../../functions/ingest/handler.ts";
import { SECRET, SIGNED_AT, sign, testConfig, webhookBody } from "../support/webhook.ts";
import { fuzzParameters, fuzzTimeout } from "./budget.ts";
import { mutatedEnvelope } from "./mutate.ts";

// Before the handler module builds its logger: thousands of refusals need not be printed.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
});

let published = 0;
const bus: Server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const { Entries } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { Entries: unknown[] };
    published += Entries.length;
    res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
    res.end(JSON.stringify({ FailedEntryCount: 0, Entries: Entries.map(() => ({ EventId: randomUUID() })) }));
  });
});
const savedEnv = { ...process.env };

beforeAll(async () => {
  await new Promise<void>((resolve) => bus.listen(0, "127.0.0.1", resolve));
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = `http://127.0.0.1:${(bus.address() as AddressInfo).port}`;
  process.env.AWS_REGION = "us-east-1";
  process.env.AWS_ACCESS_KEY_ID = "test";
  process.env.AWS_SECRET_ACCESS_KEY = "test";
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
});

afterAll(async () => {
  process.env = savedEnv;
  await new Promise<void>((resolve) => bus.close(() => resolve()));
});

/** The function URL event for a POST of `body` with `signature`. */
function request(body: Buffer, signature: string | undefined, base64: boolean): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: WEBHOOK_PATH,
    rawQueryString: "",
    headers: { "content-type": "application/json", ...(signature === undefined ? {} : { "stripe-signature": signature }) },
    requestContext: {
      accountId: "anonymous",
      apiId: "fuzz",
      domainName: "fuzz.lambda-url.us-east-1.on.aws",
      domainPrefix: "fuzz",
      http: { method: "POST", path: WEBHOOK_PATH, protocol: "HTTP/1.1", sourceIp: "203.0.113.9", userAgent: "fuzz" },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: "01/Aug/2026:10:01:42 +0000",
      timeEpoch: (SIGNED_AT + 2) * 1000,
    },
    body: base64 ? body.toString("base64") : body.toString("utf8"),
    isBase64Encoded: base64,
  };
}

const hex = fc.stringMatching(/^[0-9a-f]{0,70}$/);
/** One element of a header: well-formed or not, near the real shape. */
const element = fc.oneof(
  fc.constant("v1="),
  fc.constant("v1"),
  fc.constant("t="),
  fc.constant(""),
  fc.constant("="),
  fc.constant(`t=${SIGNED_AT}`),
  fc.integer().map((t) => `t=${t}`),
  fc.string().map((t) => `t=${t}`),
  hex.map((signature) => `v1=${signature}`),
  fc.string().map((signature) => `v1=${signature}`),
  hex.map((signature) => `v0=${signature}`),
  fc.string(),
);
const signatureHeader: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.string(),
  fc.array(element, { maxLength: 6 }).map((parts) => parts.join(",")),
);
const body: fc.Arbitrary<Buffer> = fc.oneof(
  fc.string().map((text) => Buffer.from(text, "utf8")),
  fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
  fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? "", "utf8")),
  // A mutation may have removed `detail` itself: then the body is `null`.
  mutatedEnvelope.map((envelope) => Buffer.from(webhookBody(envelope.detail ?? null), "utf8")),
);

describe("the webhook handler under arbitrary requests", () => {
  const bridge = createWebhookHandler(testConfig({ forwardThinEvents: true }));

  it(
    "never accepts an unsigned body and never answers a 5xx",
    async () => {
      await fc.assert(
        fc.asyncProperty(body, signatureHeader, fc.boolean(), async (raw, signature, base64) => {
          const before = published;

          const result = await bridge(request(raw, signature, base64));

          expect([400, 413]).toContain(result.statusCode);
          expect(JSON.parse(result.body ?? "")).toEqual({ error: { reason: expect.any(String), message: expect.any(String) } });
          expect(published).toBe(before);
        }),
        fuzzParameters(300),
      );
    },
    fuzzTimeout(300, 5),
  );

  it(
    "answers a body signed with the secret with 200 only when it is a Stripe event, never a 5xx",
    async () => {
      await fc.assert(
        fc.asyncProperty(body, fc.boolean(), async (raw, base64) => {
          const text = new TextDecoder("utf-8").decode(raw);
          const before = published;

          const result = await bridge(request(raw, sign(text, { secret: SECRET }), base64));

          expect([200, 400, 413]).toContain(result.statusCode);
          const answer = JSON.parse(result.body ?? "");
          if (result.statusCode === 200) {
            expect(answer).toEqual({ received: true, id: expect.stringMatching(/^evt_/), eventBridgeId: expect.any(String) });
            expect(published).toBe(before + 1);
            expect(["event", "v2.core.event"]).toContain(JSON.parse(text).object);
          } else {
            expect(published).toBe(before);
          }
        }),
        fuzzParameters(200),
      );
    },
    fuzzTimeout(200, 10),
  );
});
