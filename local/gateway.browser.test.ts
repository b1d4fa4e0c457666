/**
 * Same-origin admin, proved in a real browser: Debian's chromium (headless, playwright-core) loads
 * a page from another local origin (another port on 127.0.0.1) that tries what a malicious page
 * would — `fetch(…, {mode: "no-cors"})` text/plain POSTs to the admin API and the dashboard, an
 * HTML form POST to empty a DLQ, a form-encoded SQS `SendMessage` — and nothing changes. The same
 * calls from the runtime's own origin work. Foreign `Host` headers (DNS rebinding) are refused on
 * every route, the engines' own ports included. Without /usr/bin/chromium the browser part is skipped, loudly.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../fixtures/index.ts";
import { LOYALTY_SOURCE } from "../events/loyalty-events.ts";
import { listen } from "./aws-json.ts";
import { startDev, type Dev } from "../cli/dev.ts";

declare const document: any;

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`SKIPPED: the same-origin browser test needs Debian's chromium at ${CHROMIUM} (apt-get install -y chromium).`);

/** A purchase the loyalty consumer has not seen, as the page would forge it. */
function forgedPurchase(tag: string): Record<string, any> {
  const envelope = loadFixture("03");
  envelope.id = crypto.randomUUID();
  envelope.detail.id = `evt_forged_${tag}`;
  envelope.detail.data.object.id = `pi_forged_${tag}`;
  return envelope;
}

/** A raw HTTP request with whatever `Host` header we like (fetch would not allow it). */
function raw(base: string, path: string, host: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: init.method ?? "GET", headers: { host, ...init.headers } }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

describe("the gateway refuses other origins and foreign Host names", () => {
  let dev: Dev;
  let dataDir: string;
  let origin: string;
  let attacker: Server;
  let attackerOrigin: string;
  let attackerPage = "";

  // Events a client put on the bus; the loyalty consumer's own domain events (source paybus.loyalty)
  // follow an accepted purchase asynchronously and are not the client's.
  const accepted = () => dev.runtime.journal.list("bus.accepted").filter((entry) => entry.source !== LOYALTY_SOURCE).length;
  const dlq = async (): Promise<number> => {
    const answer = (await (await fetch(`${origin}/_paybus/dlq`)).json()) as { queues: Array<{ queue: string; messages: unknown[] }> };
    return answer.queues.find((q) => q.queue === "loyalty")!.messages.length;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "paybus-same-origin-"));
    dev = await startDev({ port: 0, dataDir, timeScale: 0.01, out: new Writable({ write: (_c, _e, done) => done() }) });
    origin = dev.runtime.gatewayUrl;
    // A message in the loyalty DLQ, for the page to try to empty.
    const handle = dev.runtime.sqs.queue("loyalty");
    await dev.runtime.sqs.client.send(new SendMessageCommand({ QueueUrl: handle.dlqUrl, MessageBody: JSON.stringify(loadFixture("03")) }));
    for (let i = 0; i < 100 && (await dlq()) !== 1; i++) await new Promise((r) => setTimeout(r, 100));
    attacker = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(attackerPage));
    attackerOrigin = await listen(attacker, "127.0.0.1", 0);
  });

  afterAll(async () => {
    if (attacker) await new Promise((resolve) => attacker.close(resolve));
    await dev?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses a foreign Host on the admin API, the dashboard, the webhook, the AWS APIs and the engines' own ports", async () => {
    const evil = "rebind.attacker.example";
    const sqsBody = new URLSearchParams({ Action: "ListQueues", Version: "2012-11-05" }).toString();
    const answers = await Promise.all([
      raw(origin, "/_paybus/journal", `${evil}:${new URL(origin).port}`),
      raw(origin, "/_paybus/replay", evil, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }),
      raw(origin, "/", evil),
      raw(origin, "/dashboard/api/stream", evil),
      raw(origin, "/stripe/webhook", evil, { method: "POST", body: "{}" }),
      raw(origin, "/", evil, { method: "POST", headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSEvents.ListRules" }, body: "{}" }),
      raw(origin, "/", evil, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: sqsBody }),
      raw(dev.runtime.endpoints.sns, "/", evil, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "Action=ListPlatformApplications" }),
      raw(dev.runtime.endpoints.stepFunctions, "/", evil, { method: "POST", headers: { "x-amz-target": "AWSStepFunctions.ListStateMachines" }, body: "{}" }),
      raw(dev.runtime.endpoints.dynamodb, "/", evil, { method: "POST", headers: { "x-amz-target": "DynamoDB_20120810.ListTables", "content-type": "application/x-amz-json-1.0" }, body: "{}" }),
      raw(dev.runtime.endpoints.ses, "/", evil, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "Action=SendEmail" }),
    ]);

    expect(answers.map((a) => a.status)).toEqual(Array(answers.length).fill(403));
    expect(answers[0]!.body).toMatch(/not a loopback name/);
    // AWS clients read it as AccessDenied, in their protocol.
    expect(JSON.parse(answers[5]!.body)).toMatchObject({ __type: "AccessDeniedException" });
    expect(answers[6]!.body).toContain("<Code>AccessDenied</Code>");
    // The same requests with loopback names are served.
    expect((await raw(origin, "/_paybus/journal", `localhost:${new URL(origin).port}`)).status).toBe(200);
    expect((await raw(origin, "/_paybus/journal", `[::1]:${new URL(origin).port}`)).status).toBe(200);
    expect((await raw(origin, "/_paybus/journal", "127.0.0.53")).status).toBe(200);
  });

  it("refuses state-changing admin calls that are not JSON, and those a browser marks cross-site", async () => {
    const body = JSON.stringify(forgedPurchase("plain"));
    const before = accepted();

    const textPlain = await fetch(`${origin}/_paybus/send`, { method: "POST", headers: { "content-type": "text/plain" }, body });
    const form = await fetch(`${origin}/_paybus/dlq/discard`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "queue=loyalty" });
    const sameSite = await fetch(`${origin}/_paybus/send`, { method: "POST", headers: { "content-type": "application/json", "sec-fetch-site": "same-site" }, body });
    const otherOrigin = await fetch(`${origin}/_paybus/send`, { method: "POST", headers: { "content-type": "application/json", origin: "http://127.0.0.1:1" }, body });
    const json = await fetch(`${origin}/_paybus/send`, { method: "POST", headers: { "content-type": "application/json" }, body });

    expect([textPlain.status, form.status, sameSite.status, otherOrigin.status]).toEqual([415, 415, 403, 403]);
    // Another site's script cannot read the admin API or hold a dashboard stream; a link to the dashboard still opens it.
    const crossSite = { "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors" };
    expect((await fetch(`${origin}/dashboard/api/stream`, { headers: crossSite })).status).toBe(403);
    expect((await fetch(`${origin}/_paybus/journal`, { headers: { ...crossSite, "sec-fetch-mode": "no-cors" } })).status).toBe(403);
    expect((await fetch(`${origin}/`, { headers: { ...crossSite, "sec-fetch-mode": "navigate" } })).status).toBe(200);
    expect(dev.dashboard.streams).toBe(0);
    expect(json.status).toBe(200);
    expect(accepted()).toBe(before + 1);
    expect(await dlq()).toBe(1);
  });

  describe.skipIf(!hasChromium)("in Chromium", () => {
    let browser: Browser;
    let page: Page;
    /** Status of every request the page sent to the runtime, in order. */
    const statuses: Array<{ url: string; method: string; status: number }> = [];

    beforeAll(async () => {
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
      page = await browser.newPage();
      page.on("response", (response) => {
        if (response.url().startsWith(origin)) statuses.push({ url: response.url().slice(origin.length), method: response.request().method(), status: response.status() });
      });
    });

    afterAll(async () => {
      await browser?.close();
    });

    it("a page on another local origin can neither send events, nor empty a DLQ, nor write to a queue", async () => {
      const before = accepted();
      const queueUrl = dev.runtime.sqs.queue("loyalty").url;
      const forged = JSON.stringify(forgedPurchase("browser"));
      attackerPage = `<!doctype html><title>attacker</title>
        <form id="discard" method="POST" action="${origin}/_paybus/dlq/discard" enctype="text/plain"><input name='{"queue":"loyalty","x":"' value='"}'></form>
        <script>
          const sent = [
            fetch(${JSON.stringify(`${origin}/_paybus/send`)}, { method: "POST", mode: "no-cors", body: ${JSON.stringify(forged)} }),
            fetch(${JSON.stringify(`${origin}/_paybus/replay`)}, { method: "POST", mode: "no-cors", body: "{}" }),
            fetch(${JSON.stringify(`${origin}/dashboard/api/refresh`)}, { method: "POST", mode: "no-cors", body: "{}" }),
            fetch(${JSON.stringify(`${origin}/`)}, { method: "POST", mode: "no-cors", headers: { "content-type": "application/x-www-form-urlencoded" },
              body: new URLSearchParams({ Action: "SendMessage", QueueUrl: ${JSON.stringify(queueUrl)}, MessageBody: ${JSON.stringify(forged)} }) }),
          ];
          sent.push(fetch(${JSON.stringify(`${origin}/_paybus/journal`)}, { mode: "no-cors" }));
          Promise.allSettled(sent).then(() => { document.title = "fetched"; });
        </script>`;

      await page.goto(`${attackerOrigin}/`);
      await page.waitForFunction(() => document.title === "fetched");
      const navigation = page.waitForResponse((response) => response.url() === `${origin}/_paybus/dlq/discard`);
      await page.evaluate(() => document.getElementById("discard").submit());
      await navigation;
      await page.waitForURL(`${origin}/_paybus/dlq/discard`);

      expect(statuses).toEqual(
        expect.arrayContaining([
          { url: "/_paybus/send", method: "POST", status: 403 },
          { url: "/_paybus/replay", method: "POST", status: 403 },
          { url: "/dashboard/api/refresh", method: "POST", status: 403 },
          { url: "/", method: "POST", status: 403 },
          { url: "/_paybus/dlq/discard", method: "POST", status: 403 },
          { url: "/_paybus/journal", method: "GET", status: 403 },
        ]),
      );

      expect(accepted()).toBe(before);
      expect(await dlq()).toBe(1);
      expect(dev.runtime.journal.list("consumer.attempt").some((a) => a.stripeEventId === "evt_forged_browser")).toBe(false);
    });

    it("the runtime's own page can still use the admin API", async () => {
      const before = accepted();
      const own = await browser.newPage();
      await own.goto(`${origin}/`);

      const status = await own.evaluate(async (body: string) => {
        const answer = await fetch("/_paybus/send", { method: "POST", headers: { "content-type": "application/json" }, body });
        return answer.status;
      }, JSON.stringify(forgedPurchase("same-origin")));

      expect(status).toBe(200);
      expect(accepted()).toBe(before + 1);
    });
  });
});
