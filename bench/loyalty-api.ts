/**
 * Loyalty API redemption latency through the local runtime: SigV4-signed `POST
 * /loyalty/customers/{id}/redemptions` requests to the gateway, served by the real handler
 * (Powertools idempotency record, the balance-and-entry transaction, the record's completion).
 * Two runs: one at a time (the latency a single caller sees), and 16 callers at once on one
 * balance (contention on one item, which the local engine serialises as DynamoDB does). Besides
 * the latency, the CPU time per sequential redemption of the whole process (client, gateway, the
 * function's worker thread, the engines): the figure least moved by other load on the machine.
 *
 * `npm run bench -- loyalty-api`, or `npx tsx bench/loyalty-api.ts` (writes
 * `bench/results/loyalty-api.json`).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { loadFixture } from "../fixtures/index.ts";
import { LOYALTY_PATH, loyaltyApiRoute } from "../local/loyalty-api.ts";
import { Runtime } from "../local/runtime.ts";
import { signRequest } from "../local/sigv4.ts";
import { latencySummary } from "./stats.ts";
import { runStandalone } from "./standalone.ts";

const SEQUENTIAL = 200;
const CONCURRENT = 400;
const CALLERS = 16;
const WARM_UP = 20;

async function redeem(runtime: Runtime, agent: Agent, customerId: string, points: number): Promise<number> {
  const url = new URL(`${LOYALTY_PATH}/customers/${customerId}/redemptions`, runtime.gatewayUrl);
  const body = JSON.stringify({ points });
  const headers = await signRequest(
    { method: "POST", url, headers: { "content-type": "application/json", "idempotency-key": randomUUID() }, body },
    { region: runtime.region, accessKeyId: "local", secretAccessKey: "local" },
  );
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers, agent }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? resolve(res.statusCode) : reject(new Error(`redemption answered ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end(body);
  });
}

export async function run(): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), "paybus-bench-loyalty-api-"));
  const runtime = await Runtime.start({ dataDir, port: 0 });
  const agent = new Agent({ keepAlive: true, maxSockets: CALLERS });
  try {
    runtime.addRoute(loyaltyApiRoute(runtime));
    // One customer with far more points than the bench redeems ($100,000 premium = 200,000 points).
    const event = loadFixture("03");
    event.detail.data.object.amount = event.detail.data.object.amount_received = 10_000_000;
    event.detail.data.object.metadata = { ...event.detail.data.object.metadata, customer_id: "C-BenchApi" };
    runtime.sendEnvelopes([event]);
    await runtime.waitForQuiet(60_000);

    for (let i = 0; i < WARM_UP; i++) await redeem(runtime, agent, "C-BenchApi", 1);
    const sequential: number[] = [];
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < SEQUENTIAL; i++) {
      const started = performance.now();
      await redeem(runtime, agent, "C-BenchApi", 1);
      sequential.push(performance.now() - started);
    }
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMsPerRedemption = Math.round(((cpu.user + cpu.system) / 1000 / SEQUENTIAL) * 100) / 100;
    const concurrent: number[] = [];
    const started = performance.now();
    // Closed loop: each caller sends its next redemption when the last one is answered.
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        for (let i = 0; i < CONCURRENT / CALLERS; i++) {
          const t0 = performance.now();
          await redeem(runtime, agent, "C-BenchApi", 1);
          concurrent.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const figures = {
      sequentialMs: latencySummary(sequential),
      cpuMsPerRedemption,
      [`concurrent${CALLERS}Ms`]: latencySummary(concurrent),
      concurrentRedemptionsPerSecond: Math.round(CONCURRENT / seconds),
    };
    process.stdout.write(
      `redemption, one at a time: p50 ${figures.sequentialMs.p50} ms, p95 ${figures.sequentialMs.p95} ms, ${cpuMsPerRedemption} ms CPU each (n=${SEQUENTIAL})\n` +
        `redemption, ${CALLERS} callers on one balance: p50 ${latencySummary(concurrent).p50} ms, p95 ${latencySummary(concurrent).p95} ms, ${figures.concurrentRedemptionsPerSecond}/s (n=${CONCURRENT})\n`,
    );
    return figures;
  } finally {
    agent.destroy();
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await runStandalone(import.meta.url, "loyalty-api", run);
