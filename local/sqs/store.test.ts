/**
 * The SQS log when the disk fails a write (a full disk): a batch written only in part must not
 * cost the batches acknowledged after it. The failure is injected at the operating-system edge
 * (node's FileHandle), the store and the engine are the real ones, reached with the real SDK.
 */
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mkdtempSync, rmSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LocalSqs } from "../sqs.ts";
import { FileStore } from "./store.ts";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "paybus-sqs-store-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** node's FileHandle prototype, where the disk faults are injected. */
async function fileHandlePrototype(dir: string): Promise<FileHandle> {
  const handle = await open(join(dir, "probe"), "w");
  await handle.close();
  return Object.getPrototypeOf(handle) as FileHandle;
}

/**
 * The next write to a file (through `write` or `appendFile`, whichever the store uses) writes half
 * of its data, then fails as a full disk does.
 */
function tearNextWrite(prototype: FileHandle): void {
  const write = prototype.write as (this: FileHandle, data: Uint8Array) => Promise<unknown>;
  let armed = true;
  const tear = async function (this: FileHandle, data: unknown) {
    armed = false;
    const bytes = typeof data === "string" ? Buffer.from(data) : Buffer.from(data as Uint8Array);
    await write.call(this, bytes.subarray(0, Math.floor(bytes.length / 2)));
    throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
  };
  for (const method of ["write", "appendFile"] as const) {
    const real = prototype[method] as (...args: unknown[]) => Promise<unknown>;
    vi.spyOn(prototype, method).mockImplementation(function (this: FileHandle, ...args: unknown[]) {
      return armed ? tear.call(this, args[0]) : real.apply(this, args);
    } as never);
  }
}

async function start(dataDir: string) {
  const sqs = await LocalSqs.start({ region: "us-east-1", dataDir });
  const queue = sqs.createQueue("orders", { visibilityTimeoutSeconds: 30, retentionSeconds: 3600, maxReceiveCount: 3 });
  // One attempt: a failed send stays failed (the SDK would otherwise retry it as a new message).
  const client = new SQSClient({ endpoint: sqs.endpoint, region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" }, maxAttempts: 1 });
  const send = async (body: string) => (await client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }))).MessageId!;
  const stop = async () => {
    client.destroy();
    await sqs.stop();
  };
  return { sqs, queue, send, stop };
}

describe("the SQS log on a failing disk", () => {
  it("cuts a partly written batch off, so the batches acknowledged after it survive a restart", async () => {
    const dataDir = tempDir();
    const prototype = await fileHandlePrototype(dataDir);
    const first = await start(dataDir);
    const acknowledged = [await first.send("before-1"), await first.send("before-2")];

    tearNextWrite(prototype);
    await expect(first.send("torn")).rejects.toMatchObject({ name: "InternalFailure", message: expect.stringContaining("ENOSPC") });
    acknowledged.push(await first.send("after-1"), await first.send("after-2"));
    await first.stop();

    const second = await start(dataDir);
    const kept = second.sqs.peek(second.queue.physicalName).map((message) => message.body);
    const ids = second.sqs.peek(second.queue.physicalName).map((message) => message.messageId);
    await second.stop();

    expect(kept).toEqual(["before-1", "before-2", "after-1", "after-2"]);
    expect(ids).toEqual(acknowledged);
  });

  it("acknowledges nothing more once a torn batch cannot be cut off", async () => {
    const dataDir = tempDir();
    const prototype = await fileHandlePrototype(dataDir);
    const first = await start(dataDir);
    const acknowledged = [await first.send("before")];

    tearNextWrite(prototype);
    vi.spyOn(prototype, "truncate").mockRejectedValueOnce(Object.assign(new Error("EIO: i/o error, ftruncate"), { code: "EIO" }));
    await expect(first.send("torn")).rejects.toMatchObject({ name: "InternalFailure", message: expect.stringContaining("ENOSPC") });
    // Refused: written after the torn line, recovery would never read it.
    await expect(first.send("after")).rejects.toMatchObject({ name: "InternalFailure", message: expect.stringContaining("could not be cut back") });
    await first.stop();

    const second = await start(dataDir);
    const ids = second.sqs.peek(second.queue.physicalName).map((message) => message.messageId);
    await second.stop();

    expect(ids).toEqual(acknowledged);
  });
});

describe("the SQS log while it is compacted", () => {
  it("writes a change made while the snapshot is being written to the next log", async () => {
    const dir = tempDir();
    // The engine's state, reduced to the changes applied in memory (each also appended as a record).
    const applied: number[] = [];
    let store!: FileStore;
    let during: Promise<void> | undefined;
    const change = (n: number) => {
      applied.push(n);
      store.append({ n });
      return store.durable();
    };
    ({ store } = await FileStore.open(
      dir,
      () => {
        // The first compaction serialises the state now; the next change comes while it writes.
        if (!during) queueMicrotask(() => (during = change(-1)));
        return [...applied];
      },
      { compactAfterBytes: 64 },
    ));
    // Changes until the log is compacted once; then only the one made during that compaction.
    for (let n = 0; !during; n++) await change(n);
    await during;
    await store.close();

    const { store: reopened, recovered } = await FileStore.open(dir, () => []);
    await reopened.close();
    const snapshot = recovered.snapshot as number[];
    const replayed = (recovered.records as Array<{ n: number }>).map((record) => record.n);

    expect(applied).toContain(-1);
    expect([...snapshot, ...replayed].sort((a, b) => a - b)).toEqual([...applied].sort((a, b) => a - b));
  });
});
