/**
 * The local SQS engine: sends/s and receive+delete/s with the real SDK v3 client over HTTP (as an
 * application uses it), in memory and durable (fsync'd log on disk, as `paybus dev` runs it), and
 * the direct path the runtime itself uses (bus deliveries, event source mappings). CPU ms per
 * message (client and server, one process) is the figure that does not depend on the machine's load.
 *
 *   npx tsx bench/sqs.ts [--seconds 3]
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { LocalSqs } from "../local/sqs.ts";

const BODY = JSON.stringify({ detail: { id: "evt_bench", pad: "x".repeat(1500) } });

/** Messages per second, and CPU milliseconds per message of this process (client and server). */
interface Figure {
  readonly perSecond: number;
  readonly cpuMsPerMessage: number;
}

async function figure(work: () => Promise<number>): Promise<Figure> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const done = await work();
  const used = process.cpuUsage(cpu);
  return { perSecond: Math.round(done / ((performance.now() - started) / 1000)), cpuMsPerMessage: Number(((used.user + used.system) / 1000 / done).toFixed(3)) };
}

function timed(seconds: number, inFlight: number, op: () => Promise<number>): Promise<Figure> {
  return figure(async () => {
    const deadline = performance.now() + seconds * 1000;
    let done = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (performance.now() < deadline) {
          const n = await op(); // not `done += await op()`: that reads `done` before the await
          done += n;
        }
      }),
    );
    return done;
  });
}

function drain(inFlight: number, op: () => Promise<number>): Promise<Figure> {
  return figure(async () => {
    let done = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        for (;;) {
          const n = await op();
          if (n === 0) return;
          done += n;
        }
      }),
    );
    return done;
  });
}

/** SendMessage over plain HTTP/1.1 keep-alive (the JSON protocol without the SDK's own cost). */
function rawSender(endpoint: string, url: string): () => Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const { hostname, port } = new URL(endpoint);
  const body = JSON.stringify({ QueueUrl: url, MessageBody: BODY });
  const headers = { "x-amz-target": "AmazonSQS.SendMessage", "content-type": "application/x-amz-json-1.0", "content-length": Buffer.byteLength(body) };
  return () =>
    new Promise<number>((resolve, reject) => {
      const req = request({ hostname, port, method: "POST", path: "/", agent, headers }, (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 200 ? resolve(1) : reject(new Error(`SendMessage answered ${res.statusCode}`))));
      });
      req.on("error", reject);
      req.end(body);
    });
}

async function measure(mode: "memory" | "durable", seconds: number): Promise<Record<string, Figure>> {
  const dataDir = mode === "durable" ? mkdtempSync(join(tmpdir(), "paybus-bench-sqs-")) : undefined;
  const sqs = await LocalSqs.start({ region: "us-east-1", ...(dataDir ? { dataDir } : {}) });
  const client = new SQSClient({ endpoint: sqs.endpoint, region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" } });
  try {
    const url = sqs.createQueue("bench", { visibilityTimeoutSeconds: 60, retentionSeconds: 3600, maxReceiveCount: 5 }).url;
    const rawSends = await timed(seconds, 32, rawSender(sqs.endpoint, url));
    const sends = await timed(seconds, 32, async () => {
      await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: BODY }));
      return 1;
    });
    const batchSends = await timed(seconds, 8, async () => {
      await client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `e${i}`, MessageBody: BODY })) }));
      return 10;
    });
    const receiveDelete = await drain(8, async () => {
      const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
      if (Messages.length === 0) return 0;
      await client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }));
      return Messages.length;
    });
    const directSends = await timed(seconds, 32, async () => {
      await sqs.send(url, BODY);
      return 1;
    });
    const directReceiveDelete = await drain(8, async () => {
      const { Messages = [] } = await sqs.engine.ReceiveMessage({ QueueUrl: url, MaxNumberOfMessages: 10 }, sqs.context());
      if (Messages.length === 0) return 0;
      await sqs.engine.DeleteMessageBatch({ QueueUrl: url, Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) });
      return Messages.length;
    });
    return { httpSendMessage: rawSends, sdkSendMessage: sends, sdkSendMessageBatch: batchSends, sdkReceiveDelete: receiveDelete, directSend: directSends, directReceiveDelete };
  } finally {
    client.destroy();
    await sqs.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(options: { seconds?: number } = {}): Promise<Record<string, unknown>> {
  const seconds = options.seconds ?? 3;
  const result: Record<string, unknown> = {};
  for (const mode of ["memory", "durable"] as const) {
    const figures = await measure(mode, seconds);
    result[mode] = figures;
    for (const [name, f] of Object.entries(figures)) {
      process.stdout.write(`${mode.padEnd(8)} ${name.padEnd(20)} ${String(f.perSecond).padStart(7)} msg/s   ${f.cpuMsPerMessage.toFixed(3)} CPU ms/msg\n`);
    }
  }
  return { bodyBytes: BODY.length, ...result };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { seconds: { type: "string" } } });
  await run(values.seconds ? { seconds: Number(values.seconds) } : {});
  process.exit(0);
}
