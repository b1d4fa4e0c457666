/**
 * A local Step Functions endpoint on a data directory, run as a child process by the restart tests
 * so that it can be killed with SIGKILL (not part of the runtime). Prints `{"endpoint": …}` once it
 * listens and has resumed what the directory holds. Every Lambda invocation is appended to
 * `<dataDir>/invocations.jsonl` (`start`, then `done`, with epoch ms `at`), so tests can count and
 * time them across processes. `functionTimeoutSeconds`, when given, is every function's timeout;
 * `taskMs`, how long a step function runs (default 5–45 ms).
 *
 * Usage: node --import tsx test/support/stepfunctions-durable-child.ts <dataDir> <machine,…> [functionTimeoutSeconds] [taskMs]
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { startLocalStepFunctions } from "../../local/stepfunctions/index.ts";
import { fixture } from "./stepfunctions.ts";

const [dataDir, machines = "", functionTimeoutSeconds, taskMs] = process.argv.slice(2);
if (!dataDir) throw new Error("usage: stepfunctions-durable-child.ts <dataDir> <machine,…> [functionTimeoutSeconds] [taskMs]");
const invocations = join(dataDir, "invocations.jsonl");

type Step = { step: string; input: { order: string; pauseSeconds: number; trail?: string[]; ship?: string[]; approve?: string[] } };

const sfn = await startLocalStepFunctions({
  dataDir,
  // Only the machines a test uses: each is validated at start-up, which takes a while.
  stateMachines: machines.split(",").map((name) => ({ name, definition: fixture(name as Parameters<typeof fixture>[0]) })),
  ...(functionTimeoutSeconds && { functionTimeout: () => Number(functionTimeoutSeconds) }),
  invokeLambda: async (functionName, payload) => {
    const name = functionName.split(":function:").pop()!;
    appendFileSync(invocations, `${JSON.stringify({ pid: process.pid, phase: "start", name, payload, at: Date.now() })}\n`);
    if (name === "paybus-request-approval") return { requested: true };
    const { step, input } = payload as Step;
    // Long enough for a kill to land while tasks are in flight.
    await new Promise((resolve) => setTimeout(resolve, taskMs ? Number(taskMs) : 5 + Math.random() * 40));
    const trail = [...(input.trail ?? []), ...(input.ship ?? []), ...(input.approve ?? []), step];
    appendFileSync(invocations, `${JSON.stringify({ pid: process.pid, phase: "done", name, payload, at: Date.now() })}\n`);
    return { order: input.order, pauseSeconds: input.pauseSeconds, trail };
  },
});
sfn.resume();
process.stdout.write(`${JSON.stringify({ endpoint: sfn.endpoint })}\n`);
// A clean stop, as Ctrl-C in `paybus dev`: running executions stay recorded as running.
process.once("SIGTERM", () => {
  void sfn.close().then(() => process.exit(0));
});
