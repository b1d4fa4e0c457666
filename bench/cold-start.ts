/**
 * CPU of one execution environment's cold start (its worker thread: the bundle's modules loaded and
 * compiled, the handler's init phase) and first invocation, for three consumers (loyalty,
 * notifications, milestones) with an empty batch; each in a Lambda host of its own, `--rounds`
 * times, with every function's bundle prepared as a runtime prepares them. What every test file
 * that starts a runtime pays per function it invokes. The environment's thread CPU from
 * `/proc/self/task/<tid>/schedstat` (Linux only), and the whole process's over the same cold start
 * (the thread's, V8's compiler and GC helper threads', the host's on the main thread).
 *
 *   npx tsx bench/cold-start.ts [--rounds 6]
 */
import { readdirSync, existsSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { LambdaHost, type LocalFunction } from "../local/lambda.ts";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "6" } } });
const root = fileURLToPath(new URL("..", import.meta.url));
const handlers = ["functions/loyalty/handler.handler", "functions/notifications/handler.handler", "functions/loyalty-milestones/handler.handler"];
const fns: LocalFunction[] = handlers.map((handler, i) => ({
  name: `bench-Cold${i}`,
  logicalName: `Cold${i}`,
  handler,
  timeoutSeconds: 30,
  memoryMb: 256,
  environment: { AWS_REGION: "us-east-1" },
}));

// Every function is bundled, as a runtime does (`LambdaHost.prepare` with the plan's functions):
// what a bundle holds may depend on the other entries built with it.
const everyFunction: LocalFunction[] = readdirSync(new URL("../functions/", import.meta.url))
  .filter((name) => existsSync(new URL(`../functions/${name}/handler.ts`, import.meta.url)))
  .map((name) => ({ ...fns[0]!, name: `bench-${name}`, logicalName: name, handler: `functions/${name}/handler.handler` }));
const prepared = [...fns, ...everyFunction.filter((fn) => !handlers.includes(fn.handler))];

const cpuMs: number[] = [];
const processMs: number[] = [];
for (let round = -1; round < Number(values.rounds); round++) {
  for (const fn of fns) {
    const host = new LambdaHost(root, "us-east-1", "000000000000", () => undefined, { maxEnvironmentsPerFunction: 1 });
    try {
      // The build (or the cache's check) is the runtime's start, not the environment's.
      await host.prepare(prepared);
      const before = process.cpuUsage();
      const first = await host.invoke(fn, { Records: [] });
      if (!first.ok) throw first.error;
      const used = process.cpuUsage(before);
      const tid = host.threads()[0]!.tid;
      // Round -1 warms the build cache (and on Node 22.1+ the compile cache): not counted.
      if (round < 0) continue;
      cpuMs.push(Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0]) / 1e6);
      processMs.push((used.user + used.system) / 1000);
    } finally {
      await host.stop();
    }
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const mean = (values: number[]) => values.reduce((sum, ms) => sum + ms, 0) / values.length;
console.log(
  `cold start + first invocation (node ${process.versions.node}): environment thread median ${median(cpuMs).toFixed(0)} ms, mean ${mean(cpuMs).toFixed(0)} ms; ` +
    `whole process median ${median(processMs).toFixed(0)} ms, mean ${mean(processMs).toFixed(0)} ms of CPU per environment (n=${cpuMs.length}), load average ${loadavg()[0]!.toFixed(1)}`,
);
