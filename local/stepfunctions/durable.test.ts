/**
 * Executions survive the death of the process: a child endpoint on a data directory is killed with
 * SIGKILL (and stopped cleanly), a new one is started on the same directory, and the real SDK
 * checks what AWS guarantees: finished executions stay describable with their history, running ones
 * go on from where they stood, task tokens stay valid, Waits keep their end, names stay taken.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskTimedOut,
  type HistoryEvent,
  type SFNClient,
} from "@aws-sdk/client-sfn";
import { afterEach, describe, expect, it } from "vitest";
import { testChildArgs } from "../../test/support/child-bundle.ts";
import { sfnClient } from "../../test/support/stepfunctions.ts";

const ARN_PREFIX = "arn:aws:states:us-east-1:000000000000:stateMachine:";
const CHILD = new URL("../../test/support/stepfunctions-durable-child.ts", import.meta.url).pathname;
const PROJECT_ROOT = new URL("../../", import.meta.url).pathname;

interface Child {
  readonly process: ChildProcess;
  readonly client: SFNClient;
  /** When the endpoint answered (epoch ms): it has resumed what the directory holds by then. */
  readonly readyAt: number;
}

const dirs: string[] = [];
const children: Child[] = [];

afterEach(() => {
  for (const child of children.splice(0)) {
    child.client.destroy();
    child.process.kill("SIGKILL");
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "paybus-sfn-durable-"));
  dirs.push(dir);
  return dir;
}

async function startChild(dir: string, machines: readonly string[], extra: readonly string[] = []): Promise<Child> {
  // One process (no tsx wrapper in between), so that SIGKILL kills the endpoint itself; from the
  // test children's bundle (test/support/child-bundle.ts), which loads faster than through tsx.
  const child = spawn(process.execPath, [...(await testChildArgs(CHILD)), dir, machines.join(","), ...extra], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the child exited (${code}) before listening`)));
    lines.once("line", (line) => resolve((JSON.parse(line) as { endpoint: string }).endpoint));
  });
  const started = { process: child, client: sfnClient(endpoint), readyAt: Date.now() };
  children.push(started);
  return started;
}

async function kill(child: Child): Promise<void> {
  const exited = new Promise((resolve) => child.process.once("exit", resolve));
  child.process.kill("SIGKILL");
  await exited;
  child.client.destroy();
  children.splice(children.indexOf(child), 1);
}

function invocations(dir: string): Array<{ pid: number; phase: "start" | "done"; name: string; payload: any; at: number }> {
  const file = join(dir, "invocations.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

async function history(client: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  return (await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events!;
}

/** Polls (the child is another process: no change feed) until `probe` returns a value. */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function closed(client: SFNClient, executionArn: string) {
  return eventually(async () => {
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    return described.status === "RUNNING" ? undefined : described;
  }, `${executionArn} to close`);
}

describe("a restart on the same data directory", () => {
  it("keeps task tokens valid, names taken, finished executions readable, and Waits on their recorded end", async () => {
    // Arrange: a finished execution, one waiting on a task token, one in a 6 s Wait.
    const dir = dataDir();
    const machines = ["choice", "callback", "pause"];
    const first = await startChild(dir, machines);
    const finished = await first.client.send(
      new StartExecutionCommand({ stateMachineArn: `${ARN_PREFIX}choice`, name: "small-payment", input: '{"amount": 500}' }),
    );
    await closed(first.client, finished.executionArn!);
    const historyBefore = await history(first.client, finished.executionArn!);
    const callbackInput = '{"refundId": "re_restart"}';
    const waiting = await first.client.send(
      new StartExecutionCommand({ stateMachineArn: `${ARN_PREFIX}callback`, name: "approve-re-restart", input: callbackInput }),
    );
    const token = await eventually(
      async () => invocations(dir).find((call) => call.name === "paybus-request-approval")?.payload.taskToken as string | undefined,
      "the approval Lambda to get its token",
    );
    const pauseSeconds = 6;
    const paused = await first.client.send(
      new StartExecutionCommand({ stateMachineArn: `${ARN_PREFIX}pause`, name: "pause", input: JSON.stringify({ pauseSeconds }) }),
    );
    const waitEntered = await eventually(
      async () => (await history(first.client, paused.executionArn!)).find((event) => event.type === "WaitStateEntered"),
      "the Wait to start",
    );

    // Act: kill -9, stay down 3 s, restart on the same directory.
    await kill(first);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const second = await startChild(dir, machines);

    // Assert: the finished execution is as it was.
    const described = await second.client.send(new DescribeExecutionCommand({ executionArn: finished.executionArn }));
    expect(described).toMatchObject({ status: "SUCCEEDED", name: "small-payment", output: JSON.stringify({ amount: 500, tier: "small" }) });
    expect(await history(second.client, finished.executionArn!)).toEqual(historyBefore);
    const listed = await second.client.send(new ListExecutionsCommand({ stateMachineArn: `${ARN_PREFIX}choice` }));
    expect(listed.executions!.map((execution) => execution.name)).toEqual(["small-payment"]);

    // Name idempotency holds across the restart.
    const again = await second.client.send(
      new StartExecutionCommand({ stateMachineArn: `${ARN_PREFIX}callback`, name: "approve-re-restart", input: callbackInput }),
    );
    expect(again).toMatchObject({ executionArn: waiting.executionArn, startDate: waiting.startDate });
    await expect(
      second.client.send(new StartExecutionCommand({ stateMachineArn: `${ARN_PREFIX}callback`, name: "approve-re-restart", input: '{"refundId": "re_other"}' })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await expect(
      second.client.send(new StartExecutionCommand({ stateMachineArn: `${ARN_PREFIX}choice`, name: "small-payment", input: '{"amount": 500}' })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);

    // The token issued before the kill completes the execution; the Lambda was not invoked again.
    await second.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approvedBy": "ops"}' }));
    const approved = await closed(second.client, waiting.executionArn!);
    expect(JSON.parse(approved.output!)).toEqual({ refundId: "re_restart", approval: { approvedBy: "ops" } });
    expect(invocations(dir).filter((call) => call.name === "paybus-request-approval")).toHaveLength(1);
    await expect(second.client.send(new SendTaskSuccessCommand({ taskToken: token, output: "{}" }))).rejects.toBeInstanceOf(TaskTimedOut);

    // The Wait ended when it was due, not a whole Wait after the restart.
    await closed(second.client, paused.executionArn!);
    const pauseHistory = await history(second.client, paused.executionArn!);
    const waitExited = pauseHistory.find((event) => event.type === "WaitStateExited")!;
    const enteredAt = waitEntered.timestamp!.getTime();
    const exitedAt = waitExited.timestamp!.getTime();
    expect(exitedAt).toBeGreaterThanOrEqual(enteredAt + pauseSeconds * 1000);
    expect(exitedAt).toBeLessThan(second.readyAt + (pauseSeconds - 1) * 1000);
    expect(pauseHistory.filter((event) => event.type === "WaitStateEntered")).toHaveLength(1);
  }, 60_000);

  it("finishes every execution exactly as without a crash when killed twice mid-flight, then stopped cleanly", async () => {
    // Arrange
    const dir = dataDir();
    let child = await startChild(dir, ["steps"]);
    const orders = Array.from({ length: 12 }, (_, i) => `order-${i}`);
    const arns: string[] = [];
    for (const order of orders) {
      const started = await child.client.send(
        new StartExecutionCommand({ stateMachineArn: `${ARN_PREFIX}steps`, name: order, input: JSON.stringify({ order, pauseSeconds: 1 }) }),
      );
      arns.push(started.executionArn!);
    }

    // Act: kill -9 while tasks and Waits are in flight, twice; then a clean stop (SIGTERM).
    for (const delayMs of [150, 700]) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await kill(child);
      child = await startChild(dir, ["steps"]);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stopped = new Promise((resolve) => child.process.once("exit", resolve));
    child.process.kill("SIGTERM");
    await stopped;
    children.splice(children.indexOf(child), 1);
    child = await startChild(dir, ["steps"]);

    // Assert: every execution succeeded with the output of an uninterrupted run.
    for (const [i, arn] of arns.entries()) {
      const described = await closed(child.client, arn);
      expect(described.status).toBe("SUCCEEDED");
      expect(JSON.parse(described.output!)).toEqual({
        order: orders[i],
        pauseSeconds: 1,
        trail: ["Reserve", "Ship", "Reserve", "Invoice", "Approve", "Close"],
      });
      const events = await history(child.client, arn);
      expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
      expect(events[0]!.type).toBe("ExecutionStarted");
      expect(events.at(-1)!.type).toBe("ExecutionSucceeded");
      const entered = events.flatMap((event) => (event.stateEnteredEventDetails ? [event.stateEnteredEventDetails.name] : []));
      expect(entered.sort()).toEqual(["Approve", "Close", "Fulfil", "Invoice", "Pause", "Reserve", "Ship"]);
    }
    // A task that had finished is never run again; one in flight at a kill may run twice (at least once).
    const calls = invocations(dir).filter((call) => call.phase === "start");
    for (const arn of arns) {
      const order = arn.split(":").pop();
      for (const step of ["Reserve", "Ship", "Invoice", "Approve", "Close"]) {
        const runs = calls.filter((call) => call.payload.step === step && call.payload.input.order === order);
        expect(runs.length, `${order} ${step}`).toBeGreaterThanOrEqual(1);
        expect(runs.length, `${order} ${step}`).toBeLessThanOrEqual(3);
        // Runs in the same process are never repeated: only a kill leads to a second run.
        expect(new Set(runs.map((call) => call.pid)).size, `${order} ${step}`).toBe(runs.length);
      }
    }
  }, 90_000);

  it("runs a Lambda task that was in flight at the kill again only once the function's timeout ran out", async () => {
    // Arrange: every function times out after 6 s and runs 1.5 s, so a kill lands while one runs.
    const dir = dataDir();
    const timeoutArgs = ["6", "1500"];
    let child = await startChild(dir, ["steps"], timeoutArgs);
    const started = await child.client.send(
      new StartExecutionCommand({ stateMachineArn: `${ARN_PREFIX}steps`, name: "order-slow", input: JSON.stringify({ order: "order-slow", pauseSeconds: 0 }) }),
    );
    const inFlight = await eventually(async () => invocations(dir).find((call) => call.phase === "start"), "a task to start");

    // Act: kill -9 while it runs, and start again on the same directory.
    await kill(child);
    child = await startChild(dir, ["steps"], timeoutArgs);

    // Assert: the dead invocation's step ran again, not before its start plus the function's timeout
    // (the engine records the start a moment before the function logs it, hence the small margin).
    const described = await closed(child.client, started.executionArn!);
    expect(described.status).toBe("SUCCEEDED");
    const reruns = invocations(dir).filter((call) => call.phase === "start" && call.payload.step === inFlight.payload.step && call.pid !== inFlight.pid);
    expect(reruns).toHaveLength(1);
    expect(reruns[0]!.at).toBeGreaterThanOrEqual(inFlight.at + 6_000 - 100);
    expect(invocations(dir).some((call) => call.phase === "done" && call.pid === inFlight.pid && call.payload.step === inFlight.payload.step)).toBe(false);
  }, 90_000);
});
