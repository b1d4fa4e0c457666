/**
 * Restarting `npm start` on the same data directory: the demo's facts count once (no email, no push
 * sent again, as its message says) and the runtime answers on the same port as before.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { startDev } from "../cli/dev.ts";

const dataDir = mkdtempSync(join(tmpdir(), "paybus-demo-restart-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function demoRun(port: number) {
  let text = "";
  const dev = await startDev({ port, dataDir, demo: true, timeScale: 0.01, quiet: true, out: new Writable({ write: (c, _e, done) => ((text += String(c)), done()) }) });
  const result = {
    url: dev.runtime.gatewayUrl,
    emails: dev.runtime.journal.list("effect.email").length,
    pushes: dev.runtime.journal.list("effect.push").length,
    text,
  };
  await dev.stop();
  return result;
}

describe("restarting the demo", () => {
  it("sends nothing again, says so, and serves on the same port", async () => {
    const port = await freePort();

    const first = await demoRun(port);
    const second = await demoRun(port);

    expect(first.emails).toBeGreaterThan(0);
    expect(first.pushes).toBeGreaterThan(0);
    expect([second.emails, second.pushes]).toEqual([0, 0]);
    expect(second.text).toContain("demo: 0 email(s), 0 push(es)");
    expect(second.text).toContain("repeats change nothing");
    expect(second.url).toBe(first.url);
    expect(first.url).toBe(`http://127.0.0.1:${port}`);
  }, 180_000);
});
