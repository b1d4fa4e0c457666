/**
 * The Lambda host's own CPU per invocation (`local/lambda.ts`, `local/lambda-worker.ts`): a handler
 * that does nothing, invoked one invocation at a time in one execution environment, as a queue's
 * batch (ten Stripe events of fixture 03 as SQS records) and as a workflow task's small input.
 * Prints the CPU per invocation of the runtime's thread (acquiring the environment, the timeout
 * timer, posting the event, reading the answer), of the environment's thread (the event's
 * structured clone, the context, the answer) and of V8's helper threads (the garbage those leave).
 * Thread CPU from `/proc/<pid>/task/<tid>/schedstat` (Linux only).
 *
 *   npx tsx bench/invoke.ts [--invocations 3000]
 */
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadFixture } from "../fixtures/index.ts";
import { LambdaHost, type LocalFunction } from "../local/lambda.ts";

const { values } = parseArgs({ options: { invocations: { type: "string", default: "3000" } } });
const invocations = Number(values.invocations);
const root = fileURLToPath(new URL("..", import.meta.url));

/** CPU nanoseconds of every thread of this process, by thread id. */
function threadCpu(): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      cpu.set(Number(tid), Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0]));
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return cpu;
}

const fn: LocalFunction = {
  name: "bench-Noop",
  logicalName: "Noop",
  handler: "bench/invoke-noop.handler",
  timeoutSeconds: 30,
  memoryMb: 256,
  environment: { AWS_REGION: "us-east-1" },
};
const body = JSON.stringify(loadFixture("03"));
const events: Record<string, unknown> = {
  "queue batch (10 records)": {
    Records: Array.from({ length: 10 }, (_, i) => ({
      messageId: crypto.randomUUID(),
      receiptHandle: `${i}-${"r".repeat(120)}`,
      body,
      attributes: { ApproximateReceiveCount: "1", SentTimestamp: String(Date.now()), SenderId: "000000000000", ApproximateFirstReceiveTimestamp: String(Date.now()) },
      messageAttributes: {},
      md5OfBody: "0".repeat(32),
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:bench",
      awsRegion: "us-east-1",
    })),
  },
  "workflow task": { customerId: "cus_bench1", purchaseId: "pi_bench1", points: 20, tier: "gold" },
};

const host = new LambdaHost(root, "us-east-1", "000000000000", () => undefined, { maxEnvironmentsPerFunction: 1 });
console.log(`invoke: ${invocations} invocations of a handler that does nothing, one at a time, load average ${loadavg()[0]!.toFixed(1)}`);
try {
  for (const [kind, event] of Object.entries(events)) {
    for (let i = 0; i < 300; i++) await host.invoke(fn, event); // the cold start, then the JIT
    const before = threadCpu();
    for (let i = 0; i < invocations; i++) await host.invoke(fn, event);
    const after = threadCpu();
    const environment = host.threads()[0]!.tid;
    const per = (tid: number) => ((after.get(tid) ?? 0) - (before.get(tid) ?? 0)) / 1000 / invocations;
    let helpers = 0;
    for (const tid of after.keys()) if (tid !== process.pid && tid !== environment) helpers += per(tid);
    console.log(
      `  ${kind.padEnd(26)} runtime thread ${per(process.pid).toFixed(1)} µs, environment ${per(environment).toFixed(1)} µs, other threads ${helpers.toFixed(1)} µs per invocation (event ${JSON.stringify(event).length} B)`,
    );
  }
} finally {
  await host.stop();
}
