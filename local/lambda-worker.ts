/**
 * One execution environment of one function, inside its worker thread: imports the handler once
 * (the init phase), then runs the invocations the host sends, one at a time as a Lambda execution
 * environment does, with a Lambda-shaped context, and sends back each result. What an invocation
 * writes to stdout/stderr is sent to the host as it is written (as Lambda streams it to CloudWatch
 * Logs), so the lines written before a timeout are kept when the host ends this thread.
 * `process.env` here is exactly the function's environment (the plan's variables, its own
 * credentials); nothing is shared with the runtime or other functions.
 */
import { readlinkSync, writeFileSync } from "node:fs";
import * as nodeModule from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import type { Context } from "aws-lambda";
import type { SerialisedError, WorkerData, WorkerInit, WorkerLog, WorkerRequest, WorkerResponse } from "./lambda-environment.ts";
import { mapStackTracesLazily } from "./lambda-stack-traces.ts";

// Stack traces in the function's logs point at the TypeScript sources, not the bundle: every file
// of the bundles' folder (this module is its `local/lambda-worker.js`), each map read when first needed.
mapStackTracesLazily(new URL("..", import.meta.url).href);

// Node 22.1+ keeps V8's compiled code of the modules loaded from here on (the handler and its
// chunks) in a cache on disk, which every later environment of the same build reuses, in any
// runtime or test file: a cold start then compiles less (260–338 against 345–408 ms of CPU per
// environment on Node 22, medians, `bench/cold-start.ts`). It lives in the build's folder (this module is
// `<build>/local/lambda-worker.js`), so it goes with it (function-bundles.ts removes old builds);
// node checks each entry against its file's content. Node 20 has no such cache: nothing happens.
(nodeModule as { enableCompileCache?: (directory?: string) => unknown }).enableCompileCache?.(fileURLToPath(new URL("../v8-compile-cache/", import.meta.url)));

const data = workerData as WorkerData;
const port = parentPort!;

// The thread takes the function's name (its logical name, at most 15 bytes on Linux), so that
// per-thread CPU (`/proc/<pid>/task/*/stat`, `top -H`, bench/functions.ts) tells functions apart;
// elsewhere, or if refused, the thread keeps its name.
try {
  writeFileSync("/proc/thread-self/comm", data.functionName.slice(data.functionName.lastIndexOf("-") + 1).slice(0, 15));
} catch {
  // Not Linux: nothing to name.
}

/** The invocation running now: the host sends the next one only once this one has answered. */
let current: number | undefined;

// Output written during an invocation is that invocation's (Lambda's log stream is per
// environment, and an environment runs one invocation at a time); other output (the init phase, a
// timer left behind by an earlier invocation) goes to the thread's stdout, which the host reads too.
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (current === undefined) return write(chunk, ...rest);
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
    port.postMessage({ id: current, log: text } satisfies WorkerLog);
    const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof stream.write;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;
let handler: Promise<Handler> | undefined;

function load(): Promise<Handler> {
  handler ??= import(pathToFileURL(data.file).href).then((module: Record<string, unknown>) => {
    const fn = module[data.exportName];
    if (typeof fn !== "function") throw Object.assign(new Error(`${data.file} does not export a function named "${data.exportName}"`), { name: "Runtime.HandlerNotFound" });
    return fn as Handler;
  });
  return handler;
}

function serialise(thrown: unknown): SerialisedError {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
}

async function invoke(request: WorkerRequest): Promise<WorkerResponse> {
  // The function's timeout runs from here, as in Lambda (the init phase is not part of it).
  const deadline = Date.now() + request.timeoutMs;
  // How busy this thread is over the invocation: the host gives a function that mostly waits on its calls more environments.
  const loop = performance.eventLoopUtilization();
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: data.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: data.functionArn,
    memoryLimitInMB: String(data.memoryMb),
    awsRequestId: request.awsRequestId,
    logGroupName: `/aws/lambda/${data.functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  } satisfies Context;
  try {
    const fn = await load();
    const result = await fn(request.event, context);
    return { id: request.id, busy: performance.eventLoopUtilization(loop).utilization, ok: true, result };
  } catch (thrown) {
    return { id: request.id, busy: performance.eventLoopUtilization(loop).utilization, ok: false, error: serialise(thrown) };
  }
}

/**
 * This thread's id in the operating system (Linux: `/proc/thread-self`), so that the host can tell
 * which thread's CPU time is this environment's (the pipeline bench's CPU per thread); undefined
 * elsewhere.
 */
function osThreadId(): number | undefined {
  try {
    return Number(readlinkSync("/proc/thread-self").split("/").pop()) || undefined;
  } catch {
    return undefined;
  }
}

// The init phase: the handler module is imported before the first invocation, and the host told.
load().then(
  () => {
    const tid = osThreadId();
    port.postMessage({ init: "ok", ...(tid ? { tid } : {}) } satisfies WorkerInit);
  },
  (thrown: unknown) => port.postMessage({ init: "failed", error: serialise(thrown) } satisfies WorkerInit),
);

port.on("message", (request: WorkerRequest) => {
  current = request.id;
  void invoke(request).then((response) => {
    current = undefined;
    try {
      port.postMessage(response);
    } catch (thrown) {
      // A result that cannot be cloned (a function, a class instance with handles) fails the invocation.
      port.postMessage({ id: request.id, ok: false, error: serialise(thrown) } satisfies WorkerResponse);
    }
  });
});
