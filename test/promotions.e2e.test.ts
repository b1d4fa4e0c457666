/**
 * Issue 18, "a promotion added through the API applies to the next purchase", end to end through
 * the embedded runtime: the signed promotions API (function URL semantics, SigV4), the CLI, the
 * loyalty consumer reading the `promotions` table through its (scaled) cache, real SDK clients.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { promotions } from "../cli/promotions.ts";
import { loadFixture } from "../fixtures/index.ts";
import { LoyaltyLedger } from "../functions/loyalty/ledger.ts";
import { DEFAULT_PROMOTIONS_CACHE_SECONDS } from "../functions/loyalty/promotions.ts";
import { PROMOTIONS_PATH, promotionsRoute } from "../local/promotions.ts";
import type { Runtime } from "../local/runtime.ts";
import { startTestRuntime } from "./support/runtime.ts";
import { signRequest } from "../local/sigv4.ts";
import { localDynamoClient } from "../local/state.ts";

const TIME_SCALE = 0.01;
/** Past the consumer's cache: 30 s scaled like every local duration, plus a margin. */
const CACHE_MS = DEFAULT_PROMOTIONS_CACHE_SECONDS * TIME_SCALE * 1000 + 200;

let runtime: Runtime;
let dataDir: string;
let ledger: LoyaltyLedger;
let sequence = 0;

async function request(method: string, path: string, body?: unknown, sign = true) {
  const url = new URL(path, runtime.gatewayUrl);
  const text = body === undefined ? "" : JSON.stringify(body);
  const headers: Record<string, string> = text ? { "content-type": "application/json" } : {};
  const signed = sign ? await signRequest({ method, url, headers, body: text }, { region: runtime.region, accessKeyId: "local", secretAccessKey: "local" }) : headers;
  const response = await fetch(url, { method, headers: signed, ...(text ? { body: text } : {}) });
  return { status: response.status, body: (await response.json()) as any };
}

/** A one-time purchase of `amount` cents (fixture 03, not premium) made now, for a new customer. */
async function purchase(amount: number): Promise<string> {
  const customer = `C-promo-${++sequence}`;
  const event = loadFixture("03");
  event.id = crypto.randomUUID();
  event.detail.id = `evt_promo${sequence}`;
  event.detail.created = Math.floor(Date.now() / 1000);
  const pi = event.detail.data.object;
  pi.id = `pi_promo${sequence}`;
  pi.amount = pi.amount_received = amount;
  pi.metadata = { customer_id: customer };
  expect(runtime.sendEnvelopes([event]).every((result) => "EventId" in result)).toBe(true);
  await runtime.waitForQuiet(60_000, 100);
  return customer;
}

const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "paybus-promotions-"));
  runtime = await startTestRuntime({ dataDir, port: 0, timeScale: TIME_SCALE, workflowTimeScale: 0.0001, prefix: "promo" });
  runtime.addRoute(promotionsRoute(runtime));
  ledger = new LoyaltyLedger(localDynamoClient(runtime), runtime.tableNames.loyalty);
}, 120_000);

afterAll(async () => {
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("promotions as data", () => {
  it("applies a promotion added through the API to the next purchase, and stops when it is removed", async () => {
    // Before: 25.00 USD earns 25 points, and the consumer has cached the empty promotion set.
    expect((await ledger.getBalance(await purchase(2500))).points).toBe(25);

    const flash = { name: "flash-sale", start: iso(-60_000), end: iso(3_600_000), multiplier: 4, description: "One-hour flash sale" };
    const added = await request("POST", PROMOTIONS_PATH, flash);
    expect(added).toEqual({ status: 201, body: { promotion: { ...flash, combine: "exclusive" } } });
    await new Promise((resolve) => setTimeout(resolve, CACHE_MS));

    const during = await purchase(2500);
    expect(await ledger.getBalance(during)).toMatchObject({ points: 100, lifetimePoints: 100 });
    expect(await ledger.getPurchase("pi_promo2")).toMatchObject({ basePoints: 25, promotion: { name: "flash-sale", multiplier: 4 }, points: 100 });

    expect((await request("DELETE", `${PROMOTIONS_PATH}/flash-sale`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, CACHE_MS));
    expect((await ledger.getBalance(await purchase(2500))).points).toBe(25);
  });

  it("refuses unsigned requests, invalid windows and overlaps without a shared combine rule", async () => {
    const week = { name: "week", start: iso(86_400_000), end: iso(8 * 86_400_000), multiplier: 2 };

    expect((await request("POST", PROMOTIONS_PATH, week, false)).status).toBe(403);
    expect(await request("POST", PROMOTIONS_PATH, { ...week, end: week.start })).toMatchObject({ status: 400, body: { error: { code: "InvalidPromotion", message: "end: end must be after start" } } });
    expect((await request("POST", PROMOTIONS_PATH, { ...week, multiplier: 50 })).status).toBe(400);
    expect((await request("POST", PROMOTIONS_PATH, week)).status).toBe(201);
    expect((await request("POST", PROMOTIONS_PATH, week)).status).toBe(200);
    expect(await request("POST", PROMOTIONS_PATH, { ...week, name: "weekend", multiplier: 3 })).toMatchObject({ status: 409, body: { error: { code: "PromotionOverlaps" } } });
    expect((await request("DELETE", `${PROMOTIONS_PATH}/nothing`)).status).toBe(404);
    expect((await request("GET", PROMOTIONS_PATH)).body.promotions.map((p: { name: string }) => p.name)).toEqual(["week"]);
  });

  it("adds, lists and removes through paybus promotions", async () => {
    let printed = "";
    const out = new Writable({ write: (chunk, _encoding, done) => ((printed += String(chunk)), done()) });
    const url = runtime.gatewayUrl;
    const start = iso(30 * 86_400_000);
    const end = iso(31 * 86_400_000);

    await promotions(["add", "--url", url, "--name", "cli-day", "--start", start, "--end", end, "--multiplier", "3", "--combine", "highest", "--currencies", "usd"], out);
    await promotions(["list", "--url", url], out);
    await promotions(["remove", "--url", url, "--name", "cli-day"], out);

    expect(printed).toContain(`added: cli-day  ×3  ${start} → ${end}  (highest)  if {"currencies":["usd"]}`);
    expect(printed).toMatch(/2 promotion\(s\)\n {2}week .*\n {2}cli-day /);
    expect(printed).toContain("removed: cli-day");
    await expect(promotions(["add", "--url", url, "--name", "x"], out)).rejects.toThrow(/needs --name, --start, --end/);
  });
});
