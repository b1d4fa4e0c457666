/**
 * The dashboard's live streams cannot exhaust the runtime: a cap on concurrent streams, readers that
 * stop reading are dropped once their buffer backs up (the others keep streaming), and a malformed
 * percent-escape in a dashboard URL is the caller's mistake (400), not a server error.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../fixtures/index.ts";
import type { Runtime } from "../local/runtime.ts";
import { startTestRuntime } from "../test/support/runtime.ts";
import { startDashboard, type Dashboard } from "./server.ts";

/** A new invoice (its own ids) that the notifications consumer has not seen. */
function invoice(n: number): Record<string, any> {
  const envelope = loadFixture("01");
  envelope.id = crypto.randomUUID();
  envelope.detail.id = `evt_streams_${n}`;
  Object.assign(envelope.detail.data.object, { id: `in_streams_${n}`, number: `STREAMS-${n}` });
  return envelope;
}

/** A stream client that reads its messages as they come; counts the bytes it got. */
async function reader(url: string) {
  const answer = await fetch(url);
  const body = answer.body!.getReader();
  let bytes = 0;
  let ended = false;
  const done = (async () => {
    for (;;) {
      const { done: finished, value } = await body.read().catch(() => ({ done: true, value: undefined }));
      if (finished) break;
      bytes += value!.length;
    }
    ended = true;
  })();
  return { status: answer.status, bytes: () => bytes, ended: () => ended, cancel: () => body.cancel().catch(() => undefined).then(() => done) };
}

/** A client that sends the request and then never reads a byte. */
function stalled(base: string): Promise<Socket> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(`GET /dashboard/api/stream HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.on("error", () => undefined);
    socket.once("error", reject);
  });
}

const until = async (condition: () => boolean, what: string, act: () => void = () => undefined, limit = 600) => {
  for (let i = 0; i < limit; i++) {
    if (condition()) return;
    act();
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe("the dashboard's live streams", () => {
  let runtime: Runtime;
  let dashboard: Dashboard;
  let dataDir: string;
  let base: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "paybus-streams-"));
    runtime = await startTestRuntime({ dataDir, port: 0, timeScale: 0.01, workflowTimeScale: 0.0001 });
    dashboard = startDashboard(runtime, { tickMs: 20, idleRefreshMs: 200, maxStreams: 3, maxBufferedBytes: 1024 * 1024, slowReaderMs: 60_000 });
    runtime.addRoute(dashboard.route);
    base = runtime.gatewayUrl;
  });

  afterAll(async () => {
    await dashboard?.close();
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers a malformed percent-escape with 400 and a reason", async () => {
    const event = await fetch(`${base}/dashboard/api/events/%E0%A4%A`);
    const fixture = await fetch(`${base}/dashboard/api/fixtures/%ZZ`);
    const email = await fetch(`${base}/dashboard/api/emails/%C0%80`);

    expect([event.status, fixture.status, email.status]).toEqual([400, 400, 400]);
    expect(((await event.json()) as { error: string }).error).toMatch(/malformed percent-encoding/);
    // The runtime keeps serving.
    expect((await fetch(`${base}/dashboard/api/fixtures`)).status).toBe(200);
  });

  it("refuses streams beyond the cap, and serves a new one once a stream ends", async () => {
    const open = [await reader(`${base}/dashboard/api/stream`), await reader(`${base}/dashboard/api/stream`), await reader(`${base}/dashboard/api/stream`)];
    const refused = await fetch(`${base}/dashboard/api/stream`);

    expect(open.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("10");
    expect(await refused.text()).toMatch(/too many live dashboard streams \(3\)/);

    await open[0]!.cancel();
    await until(() => dashboard.streams === 2, "the cancelled stream to end");
    const again = await reader(`${base}/dashboard/api/stream`);
    expect(again.status).toBe(200);
    await Promise.all([again, ...open.slice(1)].map((r) => r.cancel()));
    await until(() => dashboard.streams === 0, "every stream to end");
  });

  it("drops a reader that stops reading once its buffer backs up, and keeps streaming to the others", { timeout: 120_000 }, async () => {
    const reading = await reader(`${base}/dashboard/api/stream`);
    const stuck = await stalled(base);
    await until(() => dashboard.streams === 2, "both streams to open");

    // Traffic for both, more than the kernel's socket buffers hold (~5 MB on loopback here): events
    // the bus refuses (each one is a row on the stream) cost nothing downstream. Each row carries a
    // 40 kB customer id, so that ~120 events fill the buffers: rows of ~400 bytes took 13,000, whose
    // way through the bus, the journal and the dashboard cost ~3 s of CPU more than their bytes.
    // ~400 kB per send (twice what 500 small rows made), well within what the reading client
    // drains between two sends.
    let n = 0;
    const refused = () => {
      const envelope = invoice(n++);
      envelope.detail.data.object.customer = `cus_${String(n).padStart(40_000, "0")}`;
      return { ...envelope, source: "aws.not-stripe" };
    };
    // Within 100 sends (~40 MB, eight times what the buffers hold): long before `slowReaderMs` (60 s)
    // would drop the stalled reader for staying backed up, which is not the rule under test.
    await until(
      () => dashboard.streams === 1,
      "the stalled reader to be dropped",
      () => void runtime.sendEnvelopes(Array.from({ length: 10 }, refused)),
      100,
    );
    const before = reading.bytes();
    runtime.sendEnvelopes([invoice(n++)]);
    await until(() => reading.bytes() > before, "the reading client to get more messages");

    expect(dashboard.streams).toBe(1);
    expect(reading.ended()).toBe(false);
    stuck.destroy();
    await reading.cancel();
  });
});
