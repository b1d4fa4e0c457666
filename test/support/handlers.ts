/** Handlers for the function host's tests (local/lambda.test.ts): each shows one thing a worker sees or does. */
import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";
import * as nodeModule from "node:module";
import type { Context } from "aws-lambda";

let invocations = 0;

/** This execution environment, named in its init phase: a new name is a cold start. */
const environmentId = randomUUID();
/** Where the effects of {@link lateEffect} and each init phase go, when the function is given one. */
const effectsFile = process.env.PAYBUS_TEST_EFFECTS_FILE;
if (effectsFile) appendFileSync(effectsFile, `init ${environmentId}\n`);

/** Its environment, the context's names and how many times this execution environment ran it. */
export async function describe(event: { log?: string; delayMs?: number }, context: Context) {
  invocations++;
  if (event.delayMs) await new Promise((resolve) => setTimeout(resolve, event.delayMs));
  if (event.log) console.log(JSON.stringify({ level: "WARN", message: event.log }));
  // Whether node reads every module's source map as it loads (local/lambda-stack-traces.ts reads them lazily instead).
  const sourceMapsEnabled = (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled;
  // Where node keeps V8's compiled code of this environment's modules (Node 22.1+; undefined before).
  const compileCacheDir = (nodeModule as { getCompileCacheDir?: () => string | undefined }).getCompileCacheDir?.();
  return { env: { ...process.env }, functionName: context.functionName, remainingMs: context.getRemainingTimeInMillis(), invocations, environmentId, sourceMapsEnabled, compileCacheDir };
}

/** Logs, waits `delayMs`, then appends `effect <name>` to the effects file: an effect that may come after the timeout. */
export async function lateEffect(event: { delayMs: number; effect: string }): Promise<string> {
  console.log(JSON.stringify({ level: "WARN", message: `started ${event.effect}` }));
  await new Promise((resolve) => setTimeout(resolve, event.delayMs));
  appendFileSync(effectsFile!, `effect ${event.effect}\n`);
  return environmentId;
}

/** Never returns, and never yields to the event loop either. */
export async function spin(): Promise<never> {
  console.log(JSON.stringify({ level: "WARN", message: "spinning" }));
  for (;;);
}

/** Keeps its thread busy for `ms` in synchronous code, then answers: a function that does not wait on anything. */
export async function burn(event: { ms: number }): Promise<number> {
  const end = performance.now() + event.ms;
  let turns = 0;
  while (performance.now() < end) turns++;
  return turns;
}

/** Never answers within any timeout. */
export async function hang(): Promise<never> {
  return new Promise(() => undefined);
}

/** Throws a named error. */
export async function fail(): Promise<never> {
  throw Object.assign(new Error("no such customer"), { name: "CustomerNotFoundError" });
}

/** Ends its execution environment, as a crash would. */
export async function crash(): Promise<never> {
  process.exit(3);
}

let running = 0;

/** An SQS batch handler that takes `PAYBUS_TEST_HANDLER_MS`, logs how many of its invocations run at once in its environment, and logs `done` at the end. */
export async function slowBatch(): Promise<void> {
  running++;
  console.log(JSON.stringify({ level: "WARN", message: "running", running }));
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.PAYBUS_TEST_HANDLER_MS ?? 0)));
  running--;
  console.log(JSON.stringify({ level: "WARN", message: "done" }));
}
