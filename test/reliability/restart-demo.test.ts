/**
 * The demo played twice on one data directory, with a clean restart in between (issue 14): what
 * the first run sent stays in the outbox, the second sends nothing again (the devices keep their
 * endpoints, so the per-endpoint dedupe holds) and says so, the runtime answers on the same port as
 * before, and the engagement workflows left waiting on their follow-up task token are still listed
 * after the restart and complete with the token issued before it. Both runs are `npm start`'s own
 * (`startDev` with the demo).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDev, type Dev } from "../../cli/dev.ts";

let dataDir: string;
let port: number;
let first: { url: string; emails: string[]; pushes: string[]; sentEmails: number; sentPushes: number; lastSeq: number; waiting: string[]; executions: number };
let dev: Dev;
/** What the second run printed. */
let printed = "";

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `npm start` on the data directory: the runtime, and the demo played, then the pipeline settled. */
async function demoRun(out: (text: string) => void): Promise<Dev> {
  // Workflow time at its real pace (the demo's default makes the 72-hour follow-ups due after
  // ~26 s): the follow-ups stay waiting on their tokens however long a loaded machine takes.
  const options = { port, dataDir, demo: true, timeScale: 0.01, workflowTimeScale: 1, quiet: true };
  const started = await startDev({ ...options, out: new Writable({ write: (chunk, _encoding, done) => (out(String(chunk)), done()) }) });
  // The demo stops waiting after 60 s on a slow machine (and says so); the test needs it finished.
  await started.runtime.waitForQuiet(90_000);
  return started;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "paybus-demo-restart-"));
  port = await freePort();
  const before = await demoRun(() => undefined);
  try {
    first = {
      url: before.runtime.gatewayUrl,
      emails: (await before.runtime.ses.emails()).map((email) => email.messageId),
      pushes: before.runtime.sns.outbox.map((push) => push.messageId),
      sentEmails: before.runtime.journal.list("effect.email").length,
      sentPushes: before.runtime.journal.list("effect.push").length,
      lastSeq: before.runtime.journal.lastSeq,
      waiting: before.runtime.sfn.pendingTaskTokens().map((pending) => pending.executionArn),
      executions: before.runtime.sfn.executions().length,
    };
  } finally {
    await before.stop();
  }
  dev = await demoRun((text) => (printed += text));
}, 240_000);

afterAll(async () => {
  await dev?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the demo restarted on the same data directory", () => {
  it("had something to lose: emails, pushes and workflows waiting on a task token", () => {
    expect(first.emails.length).toBeGreaterThan(0);
    expect(first.pushes.length).toBeGreaterThan(0);
    expect(first.sentEmails).toBeGreaterThan(0);
    expect(first.sentPushes).toBeGreaterThan(0);
    expect(first.waiting.length).toBeGreaterThan(0);
  });

  it("serves on the same port, and says the repeat sent nothing", () => {
    expect(first.url).toBe(`http://127.0.0.1:${port}`);
    expect(dev.runtime.gatewayUrl).toBe(first.url);
    expect(printed).toContain("demo: 0 email(s), 0 push(es)");
    expect(printed).toContain("repeats change nothing");
  });

  it("keeps the outbox and sends no email or push again", async () => {
    expect((await dev.runtime.ses.emails()).map((email) => email.messageId)).toEqual(first.emails);
    expect(dev.runtime.sns.outbox.map((push) => push.messageId)).toEqual(first.pushes);
    // The journal is kept too (the dashboard shows the first run's sends): nothing was added to it.
    expect(dev.runtime.journal.list("effect.email")).toHaveLength(first.sentEmails);
    expect(dev.runtime.journal.list("effect.push")).toHaveLength(first.sentPushes);
    expect(dev.runtime.journal.list("effect.email", first.lastSeq)).toEqual([]);
    expect(dev.runtime.journal.list("effect.push", first.lastSeq)).toEqual([]);
  });

  it("keeps every workflow execution, and the follow-up tokens issued before the restart complete them", async () => {
    expect(dev.runtime.sfn.executions()).toHaveLength(first.executions);
    expect(dev.runtime.sfn.pendingTaskTokens().map((pending) => pending.executionArn).sort()).toEqual([...first.waiting].sort());

    // The scheduled dispatcher, 73 hours on, sends the follow-ups with the tokens stored before the restart.
    await dev.runtime.runScheduled("FollowupDispatch", new Date(Date.now() + 73 * 3600 * 1000));
    await dev.runtime.waitForQuiet(60_000);

    for (const executionArn of first.waiting) {
      expect(dev.runtime.sfn.execution(executionArn).status).toBe("SUCCEEDED");
    }
  });
});
