/**
 * The live terminal of `paybus dev`: after the banner, one line per significant thing — events
 * accepted and refused, a consumer's first failure of a record with its reason (when it happens),
 * the DLQ arrival, emails and pushes sent, workflows finished — with addresses redacted;
 * `--quiet` prints none of them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { loadFixture } from "../fixtures/index.ts";
import { seedDemoCustomers } from "./demo.ts";
import { startDev, type Dev } from "../cli/dev.ts";

function capture() {
  const chunks: string[] = [];
  return { out: new Writable({ write: (chunk, _e, done) => (chunks.push(String(chunk)), done()) }), text: () => chunks.join("") };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const dirs: string[] = [];
const devs: Dev[] = [];
afterAll(async () => {
  for (const dev of devs) await dev.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function dev(quiet: boolean) {
  const dataDir = mkdtempSync(join(tmpdir(), "paybus-live-"));
  dirs.push(dataDir);
  const { out, text } = capture();
  const started = await startDev({ port: 0, dataDir, timeScale: 0.01, workflowTimeScale: 0.0001, quiet, out });
  devs.push(started);
  await seedDemoCustomers(started.runtime);
  return { dev: started, text };
}

/** An invoice event whose detail-type contradicts its detail: poison for the notifications consumer. */
function poison(): Record<string, any> {
  const event = loadFixture("02");
  event.detail.type = "invoice.paid";
  return event;
}

describe("the live terminal of paybus dev", () => {
  it("prints one concise line per event, first failure, DLQ arrival, send and finished workflow, without addresses", async () => {
    const { dev: running, text } = await dev(false);
    const refused = { ...loadFixture("03"), source: "aws.not-stripe" };

    running.runtime.sendEnvelopes([loadFixture("01"), loadFixture("03"), poison(), refused]);
    await until(() => running.runtime.journal.list("queue.dlq").length === 1, "the poison event to reach the DLQ");
    await until(() => running.runtime.journal.list("workflow.finished").length >= 1, "the purchase's workflow to finish");
    await until(() => /^\d\d:\d\d:\d\d email /m.test(text()) && /^\d\d:\d\d:\d\d push /m.test(text()), "the sends");
    const lines = text().split("\n");
    const live = lines.filter((line) => /^\d\d:\d\d:\d\d /.test(line));
    const line = (pattern: RegExp) => live.find((l) => pattern.test(l));

    expect(line(/event {4}accepted {2}invoice\.paid evt_1RK2A95kb18UZlUmKogTQMTK → RecurringPaymentNotifications$/)).toBeDefined();
    expect(line(/event {4}rejected {2}payment_intent\.succeeded from aws\.not-stripe: NotAuthorizedForSourceException/)).toBeDefined();
    // The first failure, when it happens, with its reason; then the DLQ arrival with the same reason.
    const firstFailure = live.findIndex((l) => /consumer failed {4}notifications evt_\S+ \(receive 1\): .*does not match detail\.type "invoice\.paid".*; it will be retried$/.test(l));
    const dlq = live.findIndex((l) => /dlq {6}notifications evt_\S+ moved to the DLQ: .*does not match detail\.type/.test(l));
    expect(firstFailure).toBeGreaterThanOrEqual(0);
    expect(dlq).toBeGreaterThan(firstFailure);
    expect(line(/email {4}sent to j\*\*\*@example\.com: Payment received for invoice F8C76741-0032$/)).toBeDefined();
    expect(line(/push {5}sent to …\S+: Payment received$/)).toBeDefined();
    expect(line(/workflow purchase-pi_\S+ succeeded$/)).toBeDefined();
    // Concise and free of personal data.
    for (const l of live) expect(l.length).toBeLessThan(300);
    expect(text()).not.toMatch(/jenny\.rosen@|sam\.lee@|hana\.sato@/);
  }, 180_000);

  it("prints none of it with --quiet", async () => {
    const { dev: running, text } = await dev(true);

    running.runtime.sendEnvelopes([loadFixture("01")]);
    await until(() => running.runtime.journal.list("effect.email").length >= 1, "the email");

    expect(text()).toContain("paybus local runtime");
    expect(text()).not.toMatch(/^\d\d:\d\d:\d\d /m);
  }, 120_000);
});
