/**
 * The webhook bridge served by the local runtime at /stripe/webhook, as `stripe listen` would feed
 * it: signed deliveries go on the bus under the bridge's source and reach the same consumers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOYALTY_SOURCE } from "../events/loyalty-events.ts";
import { WEBHOOK_SOURCE } from "../declarations/rules.ts";
import { PAYLOAD_TOO_LARGE } from "../local/function-url-event.ts";
import { SECRET, sign, stripeEvent, webhookBody } from "./support/webhook.ts";
import type { Runtime } from "../local/runtime.ts";
import { startTestRuntime } from "./support/runtime.ts";
import { loyaltySnapshot } from "../local/state.ts";
import { WEBHOOK_PATH, webhookRoute } from "../local/webhook.ts";

describe("the webhook bridge on the local runtime", () => {
  let runtime: Runtime;
  /** What the bridge put on the bus (not the loyalty consumer's own domain events, which follow a purchase asynchronously). */
  const published = () => runtime.journal.list("bus.accepted").filter((entry) => entry.source !== LOYALTY_SOURCE);
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "paybus-webhook-"));
    runtime = await startTestRuntime({ dataDir, port: 0, timeScale: 0.01, workflowTimeScale: 0.0001, env: { STRIPE_WEBHOOK_SECRETS: SECRET } });
    runtime.addRoute(webhookRoute(runtime));
  });

  afterAll(async () => {
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function deliver(body: string, signature: string): Promise<Response> {
    return fetch(`${runtime.gatewayUrl}${WEBHOOK_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": signature },
      body,
    });
  }

  it("puts a signed event on the bus as the partner source would, and the consumer credits it once however often it comes", async () => {
    const body = webhookBody(stripeEvent("05"));
    const now = Math.floor(Date.now() / 1000);

    const answers = [await deliver(body, sign(body, { timestamp: now })), await deliver(body, sign(body, { timestamp: now }))];
    await runtime.waitForQuiet(30_000);

    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    const accepted = published().filter((entry) => entry.source === WEBHOOK_SOURCE);
    expect(accepted.map((entry) => [entry.detailType, entry.matchedRules])).toEqual([
      ["checkout.session.completed", ["LoyaltyAccrual"]],
      ["checkout.session.completed", ["LoyaltyAccrual"]],
    ]);
    const { customers } = await loyaltySnapshot(runtime);
    expect(customers).toEqual([expect.objectContaining({ customerId: "C-101034", points: 60, purchases: 1 })]);
  });

  it("refuses a bad signature with 400 and publishes nothing", async () => {
    const before = published().length;
    const body = webhookBody(stripeEvent("03"));

    const answer = await deliver(body, sign(body, { secret: "whsec_wrong", timestamp: Math.floor(Date.now() / 1000) }));

    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain("bad_signature");
    expect(published()).toHaveLength(before);
  });

  it("answers 413 to a 17 MiB body, as the function URL does, without running the bridge", async () => {
    const before = published().length;
    const size = 17 * 1024 * 1024;
    const chunk = Buffer.alloc(256 * 1024, 0x61);

    // Written in chunks until the answer comes: the runtime may answer (and close) before the upload ends.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${runtime.gatewayUrl}${WEBHOOK_PATH}`, { method: "POST", headers: { "content-type": "application/json", "content-length": size } });
      let answered = false;
      req.on("response", (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (data: Buffer) => chunks.push(data));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      req.on("error", (error) => {
        if (!answered) reject(error);
      });
      let sent = 0;
      const write = () => {
        while (!answered && sent < size) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", write);
        }
        if (!answered) req.end();
      };
      write();
    });

    expect(answer).toEqual({ status: 413, body: PAYLOAD_TOO_LARGE.body });
    expect(published()).toHaveLength(before);
  });

  it("answers only POST", async () => {
    const answer = await fetch(`${runtime.gatewayUrl}${WEBHOOK_PATH}`);

    expect(answer.status).toBe(405);
  });
});
