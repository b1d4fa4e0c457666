/**
 * The endpoint's worker thread (started by `worker-host.ts`): runs `startEndpoint` here, so HTTP,
 * JSON, validation and storage use a core other than the caller's, and answers the host's calls.
 * Fault decisions are asked of the host, where the injector lives.
 */
import { readlinkSync, writeFileSync } from "node:fs";
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { startEndpoint } from "./endpoint.ts";
import type { InjectedFault } from "./faults.ts";
import type { LocalDynamo } from "./local-dynamo.ts";
import { serialiseError, type HostCall, type WorkerMessage, type WorkerSetup } from "./worker-protocol.ts";

const setup = workerData as WorkerSetup;

// The thread is named (Linux, at most 15 bytes), so that per-thread CPU (`top -H`,
// `/proc/<pid>/task/*/stat`) tells the engine apart from the functions' threads; elsewhere, or if
// refused, it keeps its name.
try {
  writeFileSync("/proc/thread-self/comm", "DynamoDB");
} catch {
  // Not Linux: nothing to name.
}

/** This thread's id in the operating system (Linux), for the host's per-thread CPU figures; undefined elsewhere. */
function osThreadId(): number | undefined {
  try {
    return Number(readlinkSync("/proc/thread-self").split("/").pop()) || undefined;
  } catch {
    return undefined;
  }
}
const port = parentPort!;
const pendingFaults = new Map<number, (fault: InjectedFault | undefined) => void>();
let nextFault = 0;

const post = (message: WorkerMessage): void => port.postMessage(message);
const faultsActive = new Int32Array(setup.faultsActive);

let dynamo: LocalDynamo;
try {
  dynamo = await startEndpoint({
    ...setup.options,
    ...(setup.faults
      ? {
          faults: {
            decide: (operation: string, request: unknown) =>
              // An injector switched off is not asked: the request does not wait for the caller's thread.
              Atomics.load(faultsActive, 0) === 0
                ? undefined
                : new Promise<InjectedFault | undefined>((resolve) => {
                    const id = nextFault++;
                    pendingFaults.set(id, resolve);
                    post({ kind: "decide", id, operation, request });
                  }),
          },
        }
      : {}),
  });
} catch (error) {
  post({ kind: "failed", error: serialiseError(error) });
  process.exit(0);
}

/** Synchronous stats: the host blocks on `signal` until the answer is on `statsPort`. */
const statsPort = setup.statsPort as MessagePort;
const signal = new Int32Array(setup.statsSignal);
statsPort.on("message", () => {
  statsPort.postMessage(dynamo.stats());
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});

port.on("message", (message: HostCall) => {
  if (message.kind === "request") {
    const { id } = message;
    void dynamo.serve(message.target, message.body).then((answer) => post({ kind: "answer", id, answer }));
    return;
  }
  if (message.kind === "fault") {
    pendingFaults.get(message.id)?.(message.fault);
    pendingFaults.delete(message.id);
    return;
  }
  const answer = (work: Promise<unknown>): void => {
    work.then(
      (result) => post({ kind: "result", id: message.id, result }),
      (error: unknown) => post({ kind: "error", id: message.id, error: serialiseError(error) }),
    );
  };
  switch (message.kind) {
    case "createTables":
      answer(dynamo.createTables(message.declarations, message.prefix));
      break;
    case "sweep":
      answer(dynamo.sweepExpiredItems());
      break;
    case "close":
      answer(
        dynamo.close().then(() => {
          statsPort.close();
          // Let the answer go out, then end the thread (nothing else holds it).
          port.unref();
        }),
      );
      break;
  }
});

const tid = osThreadId();
post({ kind: "ready", endpoint: dynamo.endpoint, ...(tid ? { tid } : {}) });
