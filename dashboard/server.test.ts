/**
 * The dashboard's server on a real local runtime: the page and its script, the live stream (rows,
 * flow figures, engine state), event details, fixtures, rendered emails, and the admin action the
 * page adds (completing a task token).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureNames, fixtureText, loadFixture } from "../fixtures/index.ts";
import { PromotionStore } from "../functions/loyalty/promotions.ts";
import { adminRoute } from "../local/admin.ts";
import { localDynamoClient } from "../local/state.ts";
import { seedDemoCustomers } from "../local/demo.ts";
import type { Runtime } from "../local/runtime.ts";
import { startTestRuntime } from "../test/support/runtime.ts";
import type { DashboardState, EventDetail, EventRow, StreamMessages } from "./protocol.ts";
import { startDashboard, type Dashboard } from "./server.ts";

type Message = { [K in keyof StreamMessages]: { event: K; data: StreamMessages[K] } }[keyof StreamMessages];

/** Reads a Server-Sent Events response message by message. */
class StreamReader {
  private buffer = "";
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** The next message, or undefined when the stream ended. */
  async next(): Promise<Message | undefined> {
    for (;;) {
      const end = this.buffer.indexOf("\n\n");
      if (end !== -1) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) return { event, data: JSON.parse(data) } as Message;
        continue;
      }
      const { done, value } = await this.reader.read();
      if (done) return undefined;
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** Reads until a message satisfies `found`; fails if the stream ends first. */
  async until<T>(found: (message: Message) => T | undefined): Promise<T> {
    for (;;) {
      const message = await this.next();
      if (!message) throw new Error("the stream ended");
      const result = found(message);
      if (result !== undefined) return result;
    }
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

describe("the dashboard server", () => {
  let runtime: Runtime;
  let dashboard: Dashboard;
  let dataDir: string;
  let base: string;
  const rows = new Map<string, EventRow>();
  let state: DashboardState | undefined;
  let stream: StreamReader;
  let flow: StreamMessages["flow"] | undefined;

  /** Keeps the latest rows and state from the stream; resolves when `done` holds. */
  const follow = <T>(done: () => T | undefined) =>
    stream.until((message) => {
      if (message.event === "init") for (const row of message.data.rows) rows.set(row.id, row);
      if (message.event === "rows") for (const row of message.data) rows.set(row.id, row);
      if (message.event === "state") state = message.data;
      if (message.event === "flow") flow = message.data;
      if (message.event === "init") flow = message.data.flow;
      return done();
    });
  const rowOf = (stripeEventId: string) => [...rows.values()].find((row) => row.stripeEventId === stripeEventId && !row.replayName);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "paybus-dashboard-"));
    runtime = await startTestRuntime({ dataDir, port: 0, timeScale: 0.01, workflowTimeScale: 0.0001 });
    await seedDemoCustomers(runtime);
    runtime.addRoute(adminRoute(runtime));
    dashboard = startDashboard(runtime, { tickMs: 50, idleRefreshMs: 500 });
    runtime.addRoute(dashboard.route);
    base = runtime.gatewayUrl;
    const response = await fetch(`${base}/dashboard/api/stream`);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    stream = new StreamReader(response.body!);
  });

  afterAll(async () => {
    await stream?.cancel().catch(() => undefined);
    await dashboard?.close();
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves the page with a policy that allows nothing from elsewhere, and its bundled script", async () => {
    const page = await fetch(`${base}/`);
    const script = await fetch(`${base}/dashboard/app.js`);
    const style = await fetch(`${base}/dashboard/app.css`);

    expect(page.status).toBe(200);
    const policy = page.headers.get("content-security-policy")!;
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("connect-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/dashboard/app.js">');
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("text/javascript");
    const code = await script.text();
    // One self-contained module: no imports left for the browser to fetch.
    expect(code).toContain("new EventSource(\"/dashboard/api/stream\")");
    expect(code).not.toMatch(/^\s*import\s/m);
    expect(style.status).toBe(200);
  });

  it("streams each event with its customer, amount and destination until it is consumed, and the state it changed", async () => {
    const invoice = loadFixture("01");
    const purchase = loadFixture("03");

    const results = runtime.sendEnvelopes([invoice, purchase]);
    await follow(() => (rowOf(invoice.detail.id)?.status === "done" && rowOf(purchase.detail.id)?.status === "done" ? true : undefined));
    // Each send is recorded in the notifications table just after the provider took it; the
    // purchase's engagement email may be recorded first, so wait for the invoice's own.
    await follow(() => state?.customers.some((c) => c.customerId === "C-100877") && state.emails.find((e) => e.subject.includes("F8C76741-0032"))?.cause && state.pushes[0]?.cause ? true : undefined);

    expect(results.every((result) => "EventId" in result)).toBe(true);
    expect(rowOf(invoice.detail.id)).toMatchObject({
      type: "invoice.paid",
      customer: "cus_AbIItO38LiTlry",
      amountText: "$15.00",
      rules: ["RecurringPaymentNotifications"],
      destinations: [{ kind: "queue", target: "notifications", state: "consumed", attempts: 1 }],
    });
    expect(rowOf(purchase.detail.id)).toMatchObject({ appCustomer: "C-100877", amountText: "$20.00" });
    const customer = state!.customers.find((c) => c.customerId === "C-100877")!;
    expect(customer).toMatchObject({ points: 40, tier: "member" });
    expect(customer.ledger).toEqual([expect.objectContaining({ purchaseId: purchase.detail.data.object.id, points: 40, amountText: "$20.00", stripeEventId: purchase.detail.id })]);
    expect(state!.emails.find((e) => e.subject.includes("F8C76741-0032"))?.cause).toEqual({ stripeEventId: invoice.detail.id, eventType: "invoice.paid", via: "notification" });
    expect(state!.pushes[0]?.cause?.stripeEventId).toBe(invoice.detail.id);
    // The Flow view's edges into Email and Push count the sends, from the consumer that made them.
    const counted = () => {
      const e = flow?.edges;
      return e?.["consumer:notifications->effect:email"] && e["consumer:notifications->effect:push"] ? e : undefined;
    };
    const edges = counted() ?? (await follow(counted));
    expect(edges["consumer:notifications->effect:email"]).toMatchObject({ count: 1, failed: 0 });
    expect(edges["consumer:notifications->effect:push"]).toMatchObject({ count: 1, failed: 0 });
  });

  it("streams the loyalty programme: each change of a balance, the promotion windows, the Stripe rewards with codes masked", async () => {
    const tables = localDynamoClient(runtime);
    // A window to come: one running now would change the points of the purchases later tests send.
    await new PromotionStore(tables, runtime.tableNames.promotions).add({ name: "dashboard-week", start: "2098-01-01T00:00:00Z", end: "2098-01-08T00:00:00Z", multiplier: 2, combine: "exclusive" });
    tables.destroy();
    runtime.stripe.call("POST", "/v1/customers/cus_Dashboard1/balance_transactions", { amount: "-1000", currency: "usd", metadata: { paybus_customer_id: "C-100877", paybus_tier: "gold" } }, "dashboard-credit-1");
    runtime.stripe.call("POST", "/v1/coupons", { id: "dashboard-gold", percent_off: "10", duration: "once" }, "dashboard-coupon-1");
    runtime.stripe.call("POST", "/v1/promotion_codes", { coupon: "dashboard-gold", code: "GOLD-5EC2E7C0", customer: "cus_Dashboard1" }, "dashboard-code-1");

    await follow(() => (state?.promotions.length && state.stripeRewards.length === 2 ? true : undefined));

    const purchase = loadFixture("03").detail.data.object.id as string;
    expect(state!.customers.find((c) => c.customerId === "C-100877")!.entries).toEqual([expect.objectContaining({ kind: "earn", delta: 40, note: purchase })]);
    expect(state!.promotions).toEqual([expect.objectContaining({ name: "dashboard-week", state: "scheduled", multiplier: 2 })]);
    expect(state!.stripeRewards.map((reward) => [reward.kind, reward.customer, reward.amountText ?? reward.code])).toEqual(
      expect.arrayContaining([
        ["credit", "cus_Dashboard1", "$10.00"],
        ["promotion-code", "cus_Dashboard1", "GOLD-5*******"],
      ]),
    );
    expect(JSON.stringify(state)).not.toContain("5EC2E7C0");
  });

  it("details an event: its envelope, and a timeline from the bus to the effects it caused", async () => {
    const invoice = loadFixture("01");
    const id = rowOf(invoice.detail.id)!.id;

    const detail = (await (await fetch(`${base}/dashboard/api/events/${id}`)).json()) as EventDetail;

    expect(JSON.parse(detail.json!)).toMatchObject({ id, detail: { id: invoice.detail.id } });
    expect(detail.timeline.map((item) => item.title)).toEqual(["Accepted by the bus", "Delivered to paybus-notifications", "notifications consumer: succeeded (receive 1)"]);
    expect(detail.effects.map((item) => item.title).sort()).toEqual(["Email sent: Payment received for invoice F8C76741-0032", "Push sent: Payment received"]);
    expect(detail.deliveries).toBe(1);
    expect((await fetch(`${base}/dashboard/api/events/no-such-event`)).status).toBe(404);
  });

  it("shows events the bus refused, with the reason and what was sent", async () => {
    const refused = loadFixture("03");
    refused.source = "aws.not-stripe";

    const [result] = runtime.sendEnvelopes([refused]);
    const row = await follow(() => [...rows.values()].find((r) => r.status === "rejected"));
    const detail = (await (await fetch(`${base}/dashboard/api/events/${row.id}`)).json()) as EventDetail;

    expect(result).toMatchObject({ ErrorCode: "NotAuthorizedForSourceException" });
    expect(row).toMatchObject({ error: "NotAuthorizedForSourceException: Not authorized for the source.", amountText: "$20.00", source: "aws.not-stripe" });
    expect(JSON.parse(detail.json!)).toMatchObject({ source: "aws.not-stripe", detail: { id: refused.detail.id } });
  });

  it("fills in a replayed event from the archive", async () => {
    const purchase = loadFixture("03");

    const replay = runtime.replays.start({ stripeEventIds: [purchase.detail.id] });
    const row = await follow(() => [...rows.values()].find((r) => r.replayName === replay.replayName && r.amountText));

    expect(replay.events).toBe(1);
    expect(row).toMatchObject({ stripeEventId: purchase.detail.id, appCustomer: "C-100877", amountText: "$20.00" });
  });

  it("serves fixtures by name only, and a sent email as its own page under a strict policy", async () => {
    const list = (await (await fetch(`${base}/dashboard/api/fixtures`)).json()) as { fixtures: string[] };
    const text = await (await fetch(`${base}/dashboard/api/fixtures/${fixtureNames[0]}`)).text();
    const traversal = await fetch(`${base}/dashboard/api/fixtures/..%2F..%2Fpackage.json`);
    const email = state!.emails.find((e) => e.subject.includes("F8C76741-0032"))!;
    const page = await fetch(`${base}/dashboard/api/emails/${email.messageId}`);

    expect(list.fixtures).toEqual(fixtureNames);
    expect(text).toBe(fixtureText(fixtureNames[0]!));
    expect(traversal.status).toBe(404);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await page.text()).toContain("F8C76741-0032");
  });

  it("completes a waiting task token through the admin API and refuses a token that is not one", async () => {
    // $300 of premium items: the high-value path, which then waits for the follow-up's task token.
    const large = loadFixture("03");
    large.detail.id = "evt_dashboard_large_purchase";
    large.detail.data.object.id = "pi_dashboard_large_purchase";
    large.detail.data.object.amount = large.detail.data.object.amount_received = 30_000;
    runtime.sendEnvelopes([large]);
    const token = await follow(() => state?.tokens.find((t) => t.executionName === "purchase-pi_dashboard_large_purchase"));

    const json = { "content-type": "application/json" };
    const answer = await fetch(`${base}/_paybus/tasks/success`, { method: "POST", headers: json, body: JSON.stringify({ token: token.token, output: { email: { sent: false } } }) });
    const bad = await fetch(`${base}/_paybus/tasks/success`, { method: "POST", headers: json, body: JSON.stringify({ token: "not-a-token" }) });
    await fetch(`${base}/dashboard/api/refresh`, { method: "POST", headers: json, body: "{}" });
    const execution = await follow(() => state?.executions.find((e) => e.name === token.executionName && e.status === "SUCCEEDED"));

    expect(answer.status).toBe(200);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^InvalidToken: /);
    expect(execution.path).toEqual(["Route", "HighValueEngagement", "ScheduleFollowUp", "Engaged"]);
    expect(execution.stripeEventId).toBe("evt_dashboard_large_purchase");
    expect(execution.litEdges.length).toBe(3);
  });

  it("ends every live stream when closed, so that the runtime can stop", async () => {
    const second = new StreamReader((await fetch(`${base}/dashboard/api/stream`)).body!);
    await second.until((message) => (message.event === "init" ? true : undefined));

    await dashboard.close();
    const ended = await Promise.all([stream, second].map((reader) => reader.until(() => undefined).catch((error: Error) => error.message)));

    expect(ended).toEqual(["the stream ended", "the stream ended"]);
    expect((await fetch(`${base}/dashboard/api/stream`)).status).toBe(503);
  });
});
