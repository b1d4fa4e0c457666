/**
 * SDK clients for `bench/dynamo.ts`, in a child process or a worker thread: sends `UpdateItem`
 * (`ADD`) to an endpoint with a given number in flight, so that the clients' work (the AWS SDK
 * costs more CPU per request than the endpoint) can be spread over cores, and the endpoint
 * measured beyond what one thread of clients can send.
 *
 * Arguments (argv in a child process, `workerData.argv` in a thread): `<endpoint> <table> <count>
 * <concurrency> <warm-up>` (the writes are `dynamo-elsewhere.ts`'s `add`). Warms up, sends
 * `"ready"`, waits for `"go"`, then sends `{ ms, cpu, threadCpu }` (elapsed time, the CPU of its
 * process and of its own thread, µs) once done.
 */
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import { add as addCommand, throughputClient } from "./dynamo-elsewhere.ts";
import { threadCpuMicros } from "./dynamo-replay.ts";

const channel = parentPort
  ? { send: (message: unknown, done?: () => void) => (parentPort!.postMessage(message), done?.()), once: (listener: () => void) => parentPort!.once("message", listener) }
  : { send: (message: unknown, done?: () => void) => process.send?.(message, undefined, undefined, () => done?.()), once: (listener: () => void) => process.once("message", listener) };
const [endpoint = "", table = "", count = "0", concurrency = "16", warmUp = "0"] = parentPort ? (workerData as { argv: string[] }).argv : process.argv.slice(2);
// The same clients as the rest of the bench (`throughputClient`), one per process or thread.
const client = throughputClient(endpoint);
const add = (i: number) => client.send(addCommand(table, i));

async function pool(total: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < total) await add(next++);
  };
  await Promise.all(Array.from({ length: Number(concurrency) }, worker));
}

await pool(Number(warmUp));
channel.once(async () => {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const threadCpu = threadCpuMicros();
  await pool(Number(count));
  const used = process.cpuUsage(cpu);
  const threadUsed = threadCpu === undefined ? undefined : threadCpuMicros()! - threadCpu;
  channel.send({ ms: performance.now() - started, cpu: used.user + used.system, threadCpu: threadUsed }, () => {
    client.destroy();
    if (!parentPort) process.exit(0);
  });
});
channel.send("ready");
