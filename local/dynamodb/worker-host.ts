/**
 * Runs the endpoint in a worker thread (`worker.ts`) and gives the caller the same
 * {@link LocalDynamo} as on its own thread. Clients reach the worker's HTTP server directly: no
 * request passes through the caller's thread, except for a fault decision when an injector is set.
 * The caller's thread may also hand requests over as messages (`serve`: the gateway, which has
 * read them already), which costs it much less than a second HTTP exchange.
 *
 * The worker loads plain JavaScript: `worker.ts` and what it imports from this repository are
 * bundled with esbuild (npm packages stay external and load from `node_modules`), so the thread
 * needs no TypeScript loader and starts in tens of milliseconds.
 */
import { fileURLToPath } from "node:url";
import { MessageChannel, receiveMessageOnPort, threadId, Worker } from "node:worker_threads";
import { bundleOrReuse } from "../build-cache.ts";
import type { FaultInjector } from "./faults.ts";
import type { LocalDynamo, LocalDynamoOptions, LocalDynamoStats } from "./local-dynamo.ts";
import type { WireAnswer } from "./wire.ts";
import { deserialiseError, type HostCall, type WorkerMessage, type WorkerSetup } from "./worker-protocol.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** How long `stats()` waits for the worker before giving up (it is busy only between turns). */
const STATS_TIMEOUT_MS = 10_000;

const WORKER = "local/dynamodb/worker.ts";
const WORKER_BUILD_OPTIONS = {
  bundle: true,
  packages: "external",
  format: "esm",
  platform: "node",
  target: "node20",
  // `node_modules/.cache/` is outside the project's `"type": "module"`.
  outExtension: { ".js": ".mjs" },
} as const;

let bundled: Promise<string> | undefined;

/**
 * The worker's code as one ESM file under `node_modules/.cache/paybus-dynamodb/`, built at most
 * once per process and reused across processes while none of the files it was built from changed
 * (a build costs more than starting the worker; `local/build-cache.ts`).
 */
function workerBundle(): Promise<string> {
  return (bundled ??= bundleOrReuse(ROOT, "paybus-dynamodb", [WORKER], WORKER_BUILD_OPTIONS).then((built) => built.outputs.get(WORKER)!));
}

/**
 * Threads whose endpoint closed, kept for the next start in this process (at most
 * {@link MAX_IDLE_THREADS}): a new thread spends ~0.15 s of CPU (and, on a busy machine, up to a
 * second) loading the worker's modules and dynalite's, where starting an endpoint on a loaded
 * thread takes ~10 ms. Runtimes and tests start one endpoint after another; a thread left idle does
 * not keep the process alive.
 */
const idleThreads: Worker[] = [];
const MAX_IDLE_THREADS = 1;

async function takeThread(): Promise<Worker> {
  const idle = idleThreads.pop();
  if (idle) {
    idle.ref();
    return idle;
  }
  const worker = new Worker(await workerBundle(), { execArgv: [] });
  // A thread that ends while idle leaves the pool; while it runs an endpoint, that endpoint's own listeners report it.
  worker.on("exit", () => {
    const index = idleThreads.indexOf(worker);
    if (index >= 0) idleThreads.splice(index, 1);
  });
  worker.on("error", () => undefined);
  return worker;
}

/** A thread whose endpoint closed cleanly: kept for the next start, or ended. */
async function releaseThread(worker: Worker): Promise<void> {
  if (idleThreads.length >= MAX_IDLE_THREADS) {
    await worker.terminate();
    return;
  }
  worker.unref();
  idleThreads.push(worker);
}

/** Starts the endpoint in a worker thread; resolves once it listens. */
export async function startWorkerEndpoint(options: Omit<LocalDynamoOptions, "thread" | "now">): Promise<LocalDynamo> {
  const { faults, ...rest } = options;
  const stats = new MessageChannel();
  const statsSignal = new SharedArrayBuffer(4);
  const faultsActive = new Int32Array(new SharedArrayBuffer(4));
  // Without a watch, the injector may answer a fault at any time: always ask.
  Atomics.store(faultsActive, 0, 1);
  faults?.watch?.((active) => Atomics.store(faultsActive, 0, active ? 1 : 0));
  const setup: WorkerSetup = { options: rest, faults: faults !== undefined, faultsActive: faultsActive.buffer as SharedArrayBuffer, statsPort: stats.port2, statsSignal };
  const worker = await takeThread();

  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextCall = 0;
  let failure: Error | undefined;
  let closing: Promise<void> | undefined;
  const call = (message: WithoutId<Extract<HostCall, { kind: "createTables" | "sweep" | "close" }>>): Promise<unknown> => {
    if (failure) return Promise.reject(failure);
    const id = nextCall++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id } as HostCall);
    });
  };

  // Requests handed over without HTTP, by id: their own map, as they are the hot path.
  const requests = new Map<number, { resolve(answer: WireAnswer): void; reject(error: Error): void }>();
  let nextRequest = 0;

  let tid: number | undefined;
  let started!: (endpoint: string) => void;
  let refused!: (error: Error) => void;
  const ready = new Promise<string>((resolve, reject) => {
    started = resolve;
    refused = reject;
  });
  const fail = (error: Error) => {
    failure = error;
    refused(error);
    for (const { reject: rejectCall } of pending.values()) rejectCall(error);
    pending.clear();
    for (const { reject: rejectRequest } of requests.values()) rejectRequest(error);
    requests.clear();
  };
  const onMessage = (message: WorkerMessage) => {
    switch (message.kind) {
      case "ready":
        tid = message.tid;
        started(message.endpoint);
        break;
      case "failed":
        fail(deserialiseError(message.error));
        break;
      case "result":
      case "error": {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.kind === "result") waiter?.resolve(message.result);
        else waiter?.reject(deserialiseError(message.error));
        break;
      }
      case "answer":
        requests.get(message.id)?.resolve(message.answer);
        requests.delete(message.id);
        break;
      case "decide":
        answerFault(worker, faults, message);
        break;
    }
  };
  const onError = (error: Error) => {
    console.error("local dynamodb: the endpoint's worker failed:", error);
    fail(error);
  };
  const onExit = (code: number) => fail(new Error(`local dynamodb: the endpoint's worker exited (code ${code})`));
  worker.on("message", onMessage);
  worker.on("error", onError);
  worker.on("exit", onExit);
  const detach = () => {
    worker.off("message", onMessage);
    worker.off("error", onError);
    worker.off("exit", onExit);
  };
  worker.postMessage({ kind: "start", setup } satisfies HostCall, [stats.port2]);
  let endpoint: string;
  try {
    endpoint = await ready;
  } catch (error) {
    detach();
    stats.port1.close();
    await worker.terminate();
    throw error;
  }

  const signal = new Int32Array(statsSignal);
  return {
    endpoint,
    osThreadId: tid,
    serve: (target, body) => {
      if (failure) return Promise.reject(failure);
      if (closing) return Promise.reject(new Error("local dynamodb: the endpoint is closed"));
      const id = nextRequest++;
      return new Promise<WireAnswer>((resolve, reject) => {
        requests.set(id, { resolve, reject });
        // The text is copied to the worker: a Buffer would carry its whole (possibly pooled, 8 KiB) ArrayBuffer.
        worker.postMessage({ kind: "request", id, target, body } satisfies HostCall);
      });
    },
    createTables: (declarations, prefix) => call({ kind: "createTables", declarations, prefix }) as Promise<Record<keyof typeof declarations & string, string>>,
    sweepExpiredItems: () => call({ kind: "sweep" }) as Promise<number>,
    stats: (): LocalDynamoStats => {
      if (failure) throw failure;
      Atomics.store(signal, 0, 0);
      stats.port1.postMessage(null);
      // The worker answers between two of its turns; counters are a snapshot, as on one thread.
      if (Atomics.wait(signal, 0, 0, STATS_TIMEOUT_MS) === "timed-out") throw new Error("local dynamodb: the endpoint's worker did not answer stats()");
      return receiveMessageOnPort(stats.port1)!.message as LocalDynamoStats;
    },
    close: () =>
      (closing ??= (async () => {
        // Requests handed over before this are answered first: the worker takes messages in order.
        let error: unknown;
        if (!failure) await call({ kind: "close" }).catch((cause: unknown) => (error = cause));
        detach();
        stats.port1.close();
        if (failure || error) await worker.terminate();
        else await releaseThread(worker);
        if (error) throw error;
      })()),
  };
}

/** `Omit<T, "id">` for each member of a union. */
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

/** Asks the caller's injector about one request and tells the worker. */
function answerFault(worker: Worker, faults: FaultInjector | undefined, message: Extract<WorkerMessage, { kind: "decide" }>): void {
  let fault;
  try {
    fault = faults?.decide(message.operation, message.request);
  } catch (error) {
    console.error("local dynamodb: the fault injector failed:", error);
  }
  worker.postMessage({ kind: "fault", id: message.id, fault: fault && { code: fault.code, message: fault.message, status: fault.status } } satisfies HostCall);
}
