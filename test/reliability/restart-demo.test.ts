/**
 * The demo played twice on one data directory, with a clean restart in between (issue 14): what
 * the first run sent stays in the outbox, the second sends nothing again (the devices keep their
 * endpoints, so the per-endpoint dedupe holds), and the engagement workflows left waiting on their
 * follow-up task token are still listed after the restart and complete with the token issued
 * before it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoEvents, seedDemoCustomers } from "../../local/demo.ts";
import { Runtime } from "../../local/runtime.ts";

// Workflow time at 1/1000: the follow-up task times out after 345 s, long after this test is done.
const OPTIONS = { port: 0, timeScale: 0.01, workflowTimeScale: 0.001 } as const;

let dataDir: string;
let first: { emails: string[]; pushes: string[]; waiting: string[]; executions: number; endpoints: string[] };
let runtime: Runtime;

async function playDemo(target: Runtime): Promise<void> {
  await seedDemoCustomers(target);
  target.sendEnvelopes(demoEvents());
  await target.waitForQuiet(90_000);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "paybus-demo-restart-"));
  const before = await Runtime.start({ dataDir, ...OPTIONS });
  try {
    await playDemo(before);
    first = {
      emails: (await before.ses.emails()).map((email) => email.messageId),
      pushes: before.sns.outbox.map((push) => push.messageId),
      waiting: before.sfn.pendingTaskTokens().map((pending) => pending.executionArn),
      executions: before.sfn.executions().length,
      endpoints: before.sns.outbox.map((push) => push.targetArn),
    };
  } finally {
    await before.stop();
  }
  runtime = await Runtime.start({ dataDir, ...OPTIONS });
  await playDemo(runtime);
}, 240_000);

afterAll(async () => {
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the demo restarted on the same data directory", () => {
  it("had something to lose: emails, pushes and workflows waiting on a task token", () => {
    expect(first.emails.length).toBeGreaterThan(0);
    expect(first.pushes.length).toBeGreaterThan(0);
    expect(first.waiting.length).toBeGreaterThan(0);
  });

  it("keeps the outbox and sends no email or push again", async () => {
    expect((await runtime.ses.emails()).map((email) => email.messageId)).toEqual(first.emails);
    expect(runtime.sns.outbox.map((push) => push.messageId)).toEqual(first.pushes);
    expect(runtime.journal.list("effect.email")).toEqual([]);
    expect(runtime.journal.list("effect.push")).toEqual([]);
  });

  it("keeps every workflow execution, and the follow-up tokens issued before the restart complete them", async () => {
    expect(runtime.sfn.executions()).toHaveLength(first.executions);
    expect(runtime.sfn.pendingTaskTokens().map((pending) => pending.executionArn).sort()).toEqual([...first.waiting].sort());

    // The scheduled dispatcher, 73 hours on, sends the follow-ups with the tokens stored before the restart.
    await runtime.runScheduled("FollowupDispatch", new Date(Date.now() + 73 * 3600 * 1000));
    await runtime.waitForQuiet(60_000);

    for (const executionArn of first.waiting) {
      expect(runtime.sfn.execution(executionArn).status).toBe("SUCCEEDED");
    }
  });
});
