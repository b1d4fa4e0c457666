/**
 * Durability of the local SQS: what it acknowledged survives a clean stop and a SIGKILL at any
 * instant — ready, in flight (receive count, visibility), delayed, and DLQ messages with their
 * DeadLetterQueueSourceArn, AWSTraceHeader and error note.
 */
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { LocalSqs } from "../sqs.ts";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "paybus-sqs-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const clientFor = (sqs: LocalSqs) => new SQSClient({ endpoint: sqs.endpoint, region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });

describe("the local SQS on a data directory", () => {
  it("keeps every message across a clean stop", async () => {
    const dataDir = tempDir();
    const first = await LocalSqs.start({ region: "us-east-1", dataDir });
    const handle = first.createQueue("orders", { visibilityTimeoutSeconds: 30, retentionSeconds: 3600, maxReceiveCount: 3 });
    const client = clientFor(first);
    const sent = [];
    for (let i = 0; i < 20; i++) sent.push((await client.send(new SendMessageCommand({ QueueUrl: handle.url, MessageBody: `m${i}` }))).MessageId);
    client.destroy();
    await first.stop();

    const second = await LocalSqs.start({ region: "us-east-1", dataDir });
    const again = second.createQueue("orders", { visibilityTimeoutSeconds: 30, retentionSeconds: 3600, maxReceiveCount: 3 });
    const ids = second.peek(again.physicalName).map((message) => message.messageId);
    await second.stop();

    expect(ids).toEqual(sent);
  });

  it("loses nothing it acknowledged when the process is killed with SIGKILL mid-flood", async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../../test/support/sqs-crash-child.ts"), JSON.stringify({ dataDir })], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const sent = new Set<string>();
    const received = new Set<string>();
    const deleted = new Set<string>();
    let ready: { poison: string[]; inFlight: string[]; delayed: string[] } | undefined;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`the child exited early (${code})`)));
      createInterface({ input: child.stdout! }).on("line", (line) => {
        const event = JSON.parse(line);
        if (event.ready) ready = event.ready;
        if (event.sent) sent.add(event.sent);
        if (event.received) received.add(event.received);
        if (event.deleted) deleted.add(event.deleted);
        if (sent.size >= 600 && deleted.size >= 20) {
          child.kill("SIGKILL");
          resolve();
        }
      });
    });
    await exited;

    const sqs = await LocalSqs.start({ region: "us-east-1", dataDir });
    const source = new Map(sqs.peek("crash-src").map((message) => [message.messageId, message]));
    const dlq = new Map(sqs.peek("crash-dlq").map((message) => [message.messageId, message]));
    const state = sqs.engine.queueNamed("crash-src")!;
    const client = clientFor(sqs);
    const { Messages: fromDlq = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: `${sqs.endpoint}/000000000000/crash-dlq`, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["All"] }));
    client.destroy();
    const snapshots = readdirSync(dataDir).filter((file) => /^snapshot-\d+\.json$/.test(file));
    await sqs.stop();

    // Every acknowledged send is there, unless its deletion was acknowledged too.
    const lost = [...sent].filter((id) => !deleted.has(id) && !source.has(id));
    expect(lost).toEqual([]);
    expect([...deleted].filter((id) => source.has(id))).toEqual([]);
    // In flight before the kill: still in flight, counted once, not visible before their timeout.
    for (const id of [...ready!.inFlight, ...[...received].filter((id) => !deleted.has(id))]) {
      expect(source.get(id)?.receiveCount).toBe(1);
      expect(state.messages.get(id)!.visibleAt).toBeGreaterThan(Date.now() + 500_000);
    }
    for (const id of ready!.delayed) expect(state.messages.get(id)?.receiveCount).toBe(0);
    expect(state.delayed).toBe(2);
    // The DLQ, with the reasons and the attributes SQS adds.
    expect([...dlq.keys()].sort()).toEqual([...ready!.poison].sort());
    expect([...dlq.values()].map((message) => message.error).sort()).toEqual([0, 1, 2].map((i) => `PoisonError: message ${i} cannot be handled`));
    expect(fromDlq.map((m) => m.Attributes?.DeadLetterQueueSourceArn)).toEqual(Array(3).fill("arn:aws:sqs:us-east-1:000000000000:crash-src"));
    expect(fromDlq.map((m) => m.Attributes?.AWSTraceHeader).sort()).toEqual([0, 1, 2].map((i) => `Root=1-00000000-00000000000000000000000${i}`));
    // The log was compacted at least once on the way (the recovery read a snapshot and a log).
    expect(snapshots.length).toBe(1);
    expect(snapshots[0]).not.toBe("snapshot-0.json");
  }, 120_000);

  it("brings messages a dead process left in flight back within the scaled visibility timeout", async () => {
    const dataDir = tempDir();
    const first = await LocalSqs.start({ region: "us-east-1", dataDir });
    const handle = first.createQueue("orders", { visibilityTimeoutSeconds: 120, retentionSeconds: 3600, maxReceiveCount: 3 });
    const client = clientFor(first);
    await client.send(new SendMessageCommand({ QueueUrl: handle.url, MessageBody: "held" }));
    await client.send(new ReceiveMessageCommand({ QueueUrl: handle.url }));
    client.destroy();
    await first.stop();

    const second = await LocalSqs.start({ region: "us-east-1", dataDir, timeScale: 0.01 });
    second.createQueue("orders", { visibilityTimeoutSeconds: 120, retentionSeconds: 3600, maxReceiveCount: 3 });
    const before = second.depth(handle.physicalName);
    await new Promise((resolve) => setTimeout(resolve, 1_400));
    const after = second.depth(handle.physicalName);
    await second.stop();

    expect(before).toEqual({ ready: 0, inFlight: 1, delayed: 0 });
    expect(after).toEqual({ ready: 1, inFlight: 0, delayed: 0 });
  });
});

describe("one writer per data directory", () => {
  it("refuses a second process on the same directory, and takes over after a kill -9", async () => {
    const dataDir = tempDir();
    const holder = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dataDir, "lock"), String(holder.pid));

    await expect(LocalSqs.start({ region: "us-east-1", dataDir })).rejects.toMatchObject({ name: "SqsDataDirLockedError", message: expect.stringContaining(`pid ${holder.pid}`) });
    holder.kill("SIGKILL");
    await new Promise((resolve) => holder.once("exit", resolve));
    const sqs = await LocalSqs.start({ region: "us-east-1", dataDir });
    await sqs.stop();
  });
});
