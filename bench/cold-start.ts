/**
 * CPU of one execution environment's cold start (its worker thread: the bundle's modules loaded and
 * compiled, the handler's init phase) and first invocation, for three consumers (loyalty,
 * notifications, milestones) with an empty batch; each in a Lambda host of its own, `--rounds`
 * times. What every test file that starts a runtime pays per function it invokes. Thread CPU from
 * `/proc/self/task/<tid>/schedstat` (Linux only).
 *
 *   npx tsx bench/cold-start.ts [--rounds 6]
 */
import { readFileSync } from "node:fs";
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

const cpuMs: number[] = [];
for (let round = 0; round < Number(values.rounds); round++) {
  for (const fn of fns) {
    const host = new LambdaHost(root, "us-east-1", "000000000000", () => undefined, { maxEnvironmentsPerFunction: 1 });
    host.prepare(fns);
    try {
      const first = await host.invoke(fn, { Records: [] });
      if (!first.ok) throw first.error;
      const tid = host.threads()[0]!.tid;
      cpuMs.push(Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0]) / 1e6);
    } finally {
      await host.stop();
    }
  }
}
cpuMs.sort((a, b) => a - b);
const mean = cpuMs.reduce((sum, ms) => sum + ms, 0) / cpuMs.length;
console.log(`cold start + first invocation: median ${cpuMs[cpuMs.length >> 1]!.toFixed(0)} ms, mean ${mean.toFixed(0)} ms of CPU per environment (n=${cpuMs.length}), load average ${loadavg()[0]!.toFixed(1)}`);
