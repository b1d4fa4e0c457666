/**
 * Restart without replay (issue 14): the runtime, in a child process on a data directory, is
 * killed with SIGKILL while events are arriving, messages wait in queues and in flight, poison
 * messages sit in a DLQ and engagement workflows wait on task tokens. A new runtime starts on the
 * same directory and is only left to settle: no archive replay, no re-seeding. The independent
 * oracle, fed every event the bus had accepted, must then agree with what the pipeline did across
 * both processes: nothing accepted before the kill lost or doubled (balances, ledger, emails,
 * pushes, workflows), the DLQ entries still there with their reasons, and the task tokens issued
 * before the kill still completing their executions.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { childArgs } from "./child-bundle.ts";
import type { Envelope } from "./scenario.ts";
import { PROJECT_ROOT, Runtime } from "../../local/runtime.ts";
import { loyaltySnapshot } from "../../local/state.ts";
import { compare, figures, invoiceNumbers, liveEngagementClaims, newSendLog, pushNotice, runtimeOptions, settle, SETTLE_TIMEOUT_MS, type ObservedState } from "./harness.ts";
import { expectedState, type OracleLoyaltyConfig } from "./oracle.ts";
import type { RestartChildLine } from "./restart-child.ts";
import { crashScenario } from "./scenario.ts";
import type { ScenarioResult } from "./scenarios.ts";

const CHILD = fileURLToPath(new URL("./restart-child.ts", import.meta.url));

/** What the killed process reported before it died. */
interface ChildRun {
  readonly accepted: string[];
  readonly waveStarts: number[];
  readonly poison: string[];
  readonly workflows: string[];
  dlqBeforeKill: number;
  consumedInLastWave: number;
  finished: boolean;
}

/** Runs the child and kills it (SIGKILL) once `killAfter` records of its last wave were consumed. */
async function runChildAndKill(args: { dataDir: string; seed: number; events: number; poison: number }, lastWave: number, killAfter: number): Promise<ChildRun> {
  const child = spawn(process.execPath, [...childArgs(CHILD), JSON.stringify(args)], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const run: ChildRun = { accepted: [], waveStarts: [], poison: [], workflows: [], dlqBeforeKill: 0, consumedInLastWave: 0, finished: false };
  let wave = -1;
  // Only against a child that hangs: its waves may each take up to SETTLE_TIMEOUT_MS on a loaded machine.
  const guard = setTimeout(() => child.kill("SIGKILL"), 2 * SETTLE_TIMEOUT_MS);
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  // Lines still in the pipe after the kill were written before it: they are facts of the run.
  for await (const text of createInterface({ input: child.stdout })) {
    let line: RestartChildLine;
    try {
      line = JSON.parse(text) as RestartChildLine;
    } catch {
      continue;
    }
    if ("wave" in line) {
      wave = line.wave;
      run.waveStarts.push(run.accepted.length);
    } else if ("accepted" in line) run.accepted.push(...line.accepted);
    else if ("poison" in line) run.poison.push(line.poison);
    else if ("workflow" in line) run.workflows.push(line.workflow);
    else if ("settled" in line) run.dlqBeforeKill = line.settled.dlq;
    else if ("done" in line) run.finished = true;
    else if ("consumed" in line && wave === lastWave && ++run.consumedInLastWave === killAfter) child.kill("SIGKILL");
  }
  await exited;
  clearTimeout(guard);
  if (child.signalCode !== "SIGKILL" && !run.finished) throw new Error(`the restart child failed (exit ${child.exitCode}): ${stderr}`);
  return run;
}

/** The final state read from the durable stores alone (the tables, outboxes and executions), not from the journal. */
async function observeDurable(runtime: Runtime): Promise<ObservedState> {
  const { customers, purchases } = await loyaltySnapshot(runtime);
  return {
    balances: new Map(customers.map(({ customerId, points, lifetimePoints, tier, purchases: count }) => [customerId, { points, lifetimePoints, tier, purchases: count }])),
    purchases: new Map(purchases.map((purchase) => [purchase.purchaseId, purchase])),
    emails: (await runtime.ses.emails()).map((email) => ({ to: email.destination.to, subject: email.subject })),
    pushes: runtime.sns.outbox.map((push) => ({ targetArn: push.targetArn, ...pushNotice(push.message) })),
    workflows: runtime.sfn.executions().map(({ name, status }) => ({ name, status })),
  };
}

/**
 * Kills the runtime mid-run, restarts it on the same data directory without replaying anything,
 * and checks the settled state against the oracle of every accepted event.
 */
export async function restartWithoutReplay(events = 200, seed = 61, poison = 3): Promise<ScenarioResult> {
  const scenario = { ...crashScenario(seed, events, "loyalty"), name: "restart without replay" };
  const lastWave = scenario.waves.length - 1;
  const dataDir = mkdtempSync(join(tmpdir(), "paybus-restart-"));
  try {
    const killAfter = Math.max(5, Math.round(scenario.waves[lastWave]!.length * 0.15));
    const child = await runChildAndKill({ dataDir, seed, events, poison }, lastWave, killAfter);
    const checks: string[] = child.finished ? ["the process finished before it could be killed: nothing was demonstrated"] : [];
    if (child.dlqBeforeKill < poison) checks.push(`only ${child.dlqBeforeKill} of ${poison} poison messages reached the DLQ before the kill`);

    const runtime = await Runtime.start(runtimeOptions(scenario, dataDir));
    try {
      // Right after the restart, before anything settles: the DLQ entries and their reasons are back.
      const dlq = runtime.sqs.dlqMessages("loyalty") as ReadonlyArray<{ body: string; error?: string }>;
      for (const body of child.poison) {
        const entries = dlq.filter((message) => message.body === body);
        if (entries.length !== 1) checks.push(`poison message ${body}: ${entries.length} DLQ entries after the restart, expected 1`);
        else if (!entries[0]!.error) checks.push(`poison message ${body}: its DLQ entry lost the reason it failed`);
      }
      const executionsAtRestart = new Set(runtime.sfn.executions().map((execution) => execution.executionArn));
      const lostWorkflows = child.workflows.filter((arn) => !executionsAtRestart.has(arn));
      if (lostWorkflows.length > 0) checks.push(`${lostWorkflows.length} workflow execution(s) started before the kill are gone after the restart`);

      // Engagement emails the kill caught between claim and mark: SES may have accepted them, and
      // their re-run after the lease sends again (the one repeat the email task documents).
      const engagementKilledMidSend = await liveEngagementClaims(runtime);

      // Only let it settle: no replay, no seeding. Poison stays where it is.
      const log = newSendLog();
      await settle(runtime, log, (message) => child.poison.includes(message.body), 180_000);

      // The oracle is fed every event the bus accepted (the archive holds each before PutEvents answers).
      const envelopes = runtime.archive.read().map((archived) => JSON.parse(archived.event) as Envelope);
      const archivedIds = new Set(envelopes.map((envelope) => envelope.id as string));
      const unarchived = child.accepted.filter((id) => !archivedIds.has(id));
      if (unarchived.length > 0) checks.push(`${unarchived.length} accepted event(s) missing from the archive`);
      const waves = scenario.waves.map((_, k) => envelopes.slice(child.waveStarts[k] ?? envelopes.length, k === lastWave ? undefined : (child.waveStarts[k + 1] ?? envelopes.length)));
      const numbers = invoiceNumbers(waves);
      const expected = expectedState(waves, scenario.loyaltyConfig as OracleLoyaltyConfig, scenario.profiles);
      const observed = await observeDurable(runtime);
      checks.push(...compare(expected, observed, { numbers, engagement: true, engagementKilledMidSend }));
      const dlqAfter = runtime.sqs.dlqMessages("loyalty").length + runtime.sqs.dlqMessages("notifications").length;
      if (dlqAfter !== child.poison.length) checks.push(`${dlqAfter} DLQ entries after settling, expected the ${child.poison.length} poison messages`);

      // The task tokens issued before the kill still complete their executions (the 72 h follow-up, now).
      const waiting = runtime.sfn.pendingTaskTokens().map((pending) => pending.executionArn);
      const tokensFromBeforeKill = waiting.filter((arn) => child.workflows.includes(arn)).length;
      await runtime.runScheduled("FollowupDispatch", new Date(Date.now() + 73 * 3600 * 1000));
      await runtime.waitForQuiet(SETTLE_TIMEOUT_MS);
      for (const arn of waiting) {
        const status = runtime.sfn.execution(arn).status;
        if (status !== "SUCCEEDED") checks.push(`execution ${arn} waiting on a follow-up token ended ${status} after the dispatch`);
      }

      const after = figures(runtime, log, observed, numbers, checks.length);
      return {
        name: scenario.name,
        claim:
          "killed hard with events arriving, messages queued and in flight, poison in a DLQ and workflows on task tokens, then restarted on its data directory without any replay: nothing accepted is lost or doubled, DLQ entries keep their reasons, and tokens issued before the kill complete their workflows",
        figures: {
          ...after,
          eventsIn: { ...after.eventsIn, sent: child.accepted.length, accepted: child.accepted.length },
          dlq: { entries: child.poison.length, redriven: log.redriven, remaining: dlqAfter },
          mismatches: checks.length,
        },
        mismatches: checks,
        notes: {
          beforeKill: { accepted: child.accepted.length, consumedInLastWave: child.consumedInLastWave, workflows: child.workflows.length, dlq: child.dlqBeforeKill },
          archived: envelopes.length,
          workflowsAfterRestart: observed.workflows.length,
          tokensFromBeforeKill,
          completedByFollowUp: waiting.length,
        },
      };
    } finally {
      await runtime.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
