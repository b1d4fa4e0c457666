/**
 * Points expiry (issue 18) through the local runtime: lots credited by the real consumer, a
 * redemption through the signed API, the `LoyaltyExpiry` scheduled function run as its schedule
 * runs it (with the schedule's `time`), concurrently, and again after the runtime restarted on the
 * same data directory: each lot expires exactly once, oldest first, and is warned about once.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOYALTY_SOURCE } from "../events/loyalty-events.ts";
import { loadFixture } from "../fixtures/index.ts";
import { seedDemoCustomers } from "../local/demo.ts";
import { LOYALTY_PATH, loyaltyApiRoute } from "../local/loyalty-api.ts";
import type { Runtime } from "../local/runtime.ts";
import { CONCURRENT_ENVIRONMENTS, startTestRuntime } from "./support/runtime.ts";
import { signRequest } from "../local/sigv4.ts";

const DAY = 86_400_000;
const CUSTOMER = "C-Expiry1";
const env = { PAYBUS_LOYALTY_CONFIG: JSON.stringify({ expiry: { afterDays: 10, warnDays: 2 } }) };

function purchase(cents: number): Record<string, any> {
  const event = loadFixture("03");
  const suffix = randomUUID().replaceAll("-", "").slice(0, 16);
  event.id = randomUUID();
  event.detail.id = `evt_exp${suffix}`;
  event.detail.data.object.id = `pi_exp${suffix}`;
  event.detail.data.object.amount = event.detail.data.object.amount_received = cents;
  event.detail.data.object.metadata = { ...event.detail.data.object.metadata, customer_id: CUSTOMER };
  return event;
}

async function call(runtime: Runtime, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const url = new URL(`${LOYALTY_PATH}${path}`, runtime.gatewayUrl);
  const text = body === undefined ? "" : JSON.stringify(body);
  const signed = await signRequest(
    { method, url, headers: { ...(text ? { "content-type": "application/json" } : {}), ...headers }, body: text },
    { region: runtime.region, accessKeyId: "local", secretAccessKey: "local" },
  );
  const response = await fetch(url, { method, headers: signed, ...(text ? { body: text } : {}) });
  return { status: response.status, body: (await response.json()) as any };
}

const points = async (runtime: Runtime) => (await call(runtime, "GET", `/customers/${CUSTOMER}`)).body.account.points as number;
const ledger = async (runtime: Runtime) => (await call(runtime, "GET", `/customers/${CUSTOMER}/ledger?limit=100`)).body.entries as any[];
/** The loyalty events of a type about the customer on the bus (its archive), each delivery counted. */
const busEvents = (runtime: Runtime, detailType: string) =>
  runtime.archive
    .read()
    .map((archived) => JSON.parse(archived.event))
    .filter((event) => event.source === LOYALTY_SOURCE && event["detail-type"] === detailType && event.detail.customerId === CUSTOMER);
const expiryWarnings = (runtime: Runtime) => runtime.journal.list("effect.email").filter((email) => /points expire on/.test(email.subject));
/** A scheduled run as of `at` (rounded up to the whole second a scheduled event's `time` carries). */
const expire = (runtime: Runtime, at: number) => runtime.runScheduled("LoyaltyExpiry", new Date(Math.ceil(at / 1000) * 1000)) as Promise<{ expiredLots: number; expiredPoints: number; warned: number }>;

describe("points expiry", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "paybus-expiry-"));
  let runtime: Runtime | undefined;

  const start = async (port = 0) => {
    // Two expiry runs at once must be able to overlap; the other functions keep one environment each.
    runtime = await startTestRuntime({ dataDir, port, timeScale: 0.01, workflowTimeScale: 0.0001, env, maxEnvironmentsByFunction: { LoyaltyExpiry: CONCURRENT_ENVIRONMENTS } });
    runtime.addRoute(loyaltyApiRoute(runtime));
    return runtime;
  };

  afterAll(async () => {
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("expires each lot once, oldest first, across concurrent runs and a restart, with one warning per lot", async () => {
    let rt = await start();
    await seedDemoCustomers(rt);
    // Lot A: 100 points; then lot B: 60 points (premium: 2 per USD).
    rt.sendEnvelopes([purchase(5_000)]);
    await rt.waitForQuiet(60_000);
    // Scheduled events carry whole seconds: lots two seconds apart expire in different runs.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    rt.sendEnvelopes([purchase(3_000)]);
    await rt.waitForQuiet(60_000);
    // Redeeming 30 takes them from the oldest lot: 70 of A remain, all 60 of B.
    expect((await call(rt, "POST", `/customers/${CUSTOMER}/redemptions`, { points: 30 }, { "idempotency-key": "exp-1" })).status).toBe(200);
    expect(await points(rt)).toBe(130);
    const lots = (await ledger(rt)).filter((entry) => entry.lot).sort((a, b) => a.at - b.at);
    expect(lots.map((lot) => lot.delta)).toEqual([100, 60]);
    const [a, b] = lots as [any, any];
    expect(a.expiresAt - a.at).toBe(10 * DAY);
    expect(b.expiresAt).toBeGreaterThan(a.expiresAt);

    // Inside the warning window (2 days before; fixture 03's customer has an email): one warning
    // per lot, naming what is left of it; a later run warns no more.
    expect(await expire(rt, a.expiresAt - DAY)).toMatchObject({ warned: 2, expiredLots: 0 });
    expect(await expire(rt, a.expiresAt - DAY + 60_000)).toMatchObject({ warned: 0, expiredLots: 0 });
    const day = (lot: any) => new Date(lot.expiresAt).toISOString().slice(0, 10);
    expect(expiryWarnings(rt).map((email) => email.subject).sort()).toEqual([`60 of your points expire on ${day(b)}`, `70 of your points expire on ${day(a)}`]);

    // A's time: two runs at once expire it once, taking only what is left of it.
    const runs = await Promise.all([expire(rt, a.expiresAt), expire(rt, a.expiresAt)]);
    expect(runs.reduce((total, run) => total + run.expiredLots, 0)).toBe(1);
    expect(runs.reduce((total, run) => total + run.expiredPoints, 0)).toBe(70);
    expect(await points(rt)).toBe(60);

    // Restart on the same data directory (and port): nothing expires twice.
    const port = Number(new URL(rt.gatewayUrl).port);
    await rt.stop();
    rt = await start(port);
    expect(await expire(rt, a.expiresAt + 1)).toMatchObject({ expiredLots: 0, expiredPoints: 0 });
    expect(await points(rt)).toBe(130 - 70);

    // B's time.
    expect(await expire(rt, b.expiresAt)).toMatchObject({ expiredLots: 1, expiredPoints: 60 });
    expect(await expire(rt, b.expiresAt + DAY)).toMatchObject({ expiredLots: 0, expiredPoints: 0 });
    expect(await points(rt)).toBe(0);

    const entries = await ledger(rt);
    const expiries = entries.filter((entry) => entry.kind === "expire");
    expect(expiries.map((entry) => entry.delta).sort()).toEqual([-60, -70]);
    expect(entries.filter((entry) => entry.lot).map((entry) => entry.expiredPoints).sort()).toEqual([60, 70]);
    expect(entries.reduce((total, entry) => total + entry.delta, 0)).toBe(0);
    // Tiers keep following lifetime points: expiry takes spendable points only.
    expect((await call(rt, "GET", `/customers/${CUSTOMER}`)).body.account).toMatchObject({ points: 0, lifetimePoints: 160 });

    // One PointsExpired per lot on the bus, across the concurrent runs, the restart and the re-runs;
    // one PointsRedeemed for the redemption.
    const expired = busEvents(rt, "PointsExpired").map((event) => event.detail);
    expect(expired.sort((x, y) => y.points - x.points)).toEqual([
      expect.objectContaining({ id: `PointsExpired:${CUSTOMER}:${a.entryId}`, lotId: a.entryId, points: 70, balanceAfter: 60 }),
      expect.objectContaining({ id: `PointsExpired:${CUSTOMER}:${b.entryId}`, lotId: b.entryId, points: 60, balanceAfter: 0 }),
    ]);
    expect(expired[1].occurredAt).toBe(new Date(Math.ceil(b.expiresAt / 1000) * 1000).toISOString());
    expect(busEvents(rt, "PointsRedeemed").map((event) => event.detail.points)).toEqual([30]);
  }, 240_000);
});
