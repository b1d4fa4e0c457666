/** Handlers for the function host's tests (local/lambda.test.ts): each shows one thing a worker sees or does. */
import type { Context } from "aws-lambda";

let invocations = 0;

/** Its environment, the context's names and how many times this execution environment ran it. */
export async function describe(event: { log?: string; delayMs?: number }, context: Context) {
  invocations++;
  if (event.delayMs) await new Promise((resolve) => setTimeout(resolve, event.delayMs));
  if (event.log) console.log(JSON.stringify({ level: "WARN", message: event.log }));
  return { env: { ...process.env }, functionName: context.functionName, remainingMs: context.getRemainingTimeInMillis(), invocations };
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

/** An SQS batch handler that takes `PAYBUS_TEST_HANDLER_MS` and logs how many of its invocations run at once. */
export async function slowBatch(): Promise<void> {
  running++;
  console.log(JSON.stringify({ level: "WARN", message: "running", running }));
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.PAYBUS_TEST_HANDLER_MS ?? 0)));
  running--;
}
