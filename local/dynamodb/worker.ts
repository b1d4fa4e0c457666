/**
 * The endpoint's worker thread (started by `worker-host.ts`): runs `startEndpoint` here, so HTTP,
 * JSON, validation and storage use a core other than the caller's, and answers the host's calls.
 * Fault decisions are asked of the host, where the injector lives.
 *
 * The thread runs one endpoint at a time, from a `start` to its `close`, and may then be given the
 * next one (`worker-host.ts` keeps a closed endpoint's thread for the next start in the process):
 * loading this module and dynalite's is most of what starting a thread costs, and nothing of an
 * endpoint outlives its close here (its server, store, sweeper and counters are its own; the
 * modules' memos key on the text they parse, as when several endpoints share a caller's thread).
 */
import { readlinkSync, writeFileSync } from "node:fs";
import { parentPort, type MessagePort } from "node:worker_threads";
import { startEndpoint } from "./endpoint.ts";
import type { InjectedFault } from "./faults.ts";
import type { LocalDynamo } from "./local-dynamo.ts";
import { serialiseError, type HostCall, type WorkerMessage, type WorkerSetup } from "./worker-protocol.ts";

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
const tid = osThreadId();
const port = parentPort!;
const post = (message: WorkerMessage): void => port.postMessage(message);

/** The endpoint this thread runs now, from its `start` to its `close`. */
interface Session {
  readonly dynamo: LocalDynamo;
  readonly statsPort: MessagePort;
  readonly pendingFaults: Map<number, (fault: InjectedFault | undefined) => void>;
}

let session: Session | undefined;

async function start(setup: WorkerSetup): Promise<void> {
  const pendingFaults = new Map<number, (fault: InjectedFault | undefined) => void>();
  const faultsActive = new Int32Array(setup.faultsActive);
  let nextFault = 0;
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
    // The host ends a thread whose start failed.
    post({ kind: "failed", error: serialiseError(error) });
    return;
  }
  // Synchronous stats: the host blocks on `signal` until the answer is on `statsPort`.
  const statsPort = setup.statsPort as MessagePort;
  const signal = new Int32Array(setup.statsSignal);
  statsPort.on("message", () => {
    statsPort.postMessage(dynamo.stats());
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  });
  session = { dynamo, statsPort, pendingFaults };
  post({ kind: "ready", endpoint: dynamo.endpoint, ...(tid ? { tid } : {}) });
}

/** Ends the endpoint; the thread stays, for the host to end or to give the next one. */
async function close(current: Session): Promise<void> {
  await current.dynamo.close();
  current.statsPort.close();
  session = undefined;
}

port.on("message", (message: HostCall) => {
  if (message.kind === "start") {
    void start(message.setup);
    return;
  }
  const current = session;
  if (message.kind === "request") {
    const { id } = message;
    // The host hands none over once it closes its endpoint (its `serve` refuses), and the worker takes
    // messages in order: a request always finds the endpoint it was sent to.
    void current!.dynamo.serve(message.target, message.body).then((answer) => post({ kind: "answer", id, answer }));
    return;
  }
  if (message.kind === "fault") {
    current?.pendingFaults.get(message.id)?.(message.fault);
    current?.pendingFaults.delete(message.id);
    return;
  }
  const answer = (work: () => Promise<unknown>): void => {
    (current ? work() : Promise.reject(new Error("local dynamodb: the endpoint is closed"))).then(
      (result) => post({ kind: "result", id: message.id, result }),
      (error: unknown) => post({ kind: "error", id: message.id, error: serialiseError(error) }),
    );
  };
  switch (message.kind) {
    case "createTables":
      answer(() => current!.dynamo.createTables(message.declarations, message.prefix));
      break;
    case "sweep":
      answer(() => current!.dynamo.sweepExpiredItems());
      break;
    case "close":
      answer(() => close(current!));
      break;
  }
});
