/**
 * One execution environment of a function, seen from the Lambda host: the worker thread that runs
 * its invocations one at a time, the messages it exchanges with the host (the invocation protocol
 * of `local/lambda-worker.ts`), and, when the runtime gives one, the message port its SDK calls
 * reach the gateway by (`local/lambda-transport.ts`).
 */
import type { Worker } from "node:worker_threads";
import type { FunctionRequests, PortLink } from "./lambda-transport.ts";

export class FunctionTimeoutError extends Error {
  override name = "FunctionTimeoutError";
}

/** The function's execution environment ended (crashed, or the runtime stopped) during the invocation. */
export class FunctionEnvironmentError extends Error {
  override name = "Runtime.ExitError";
}

/** An error as it crosses the thread boundary. */
export interface SerialisedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/** What a function's worker is started with. */
export interface WorkerData {
  readonly file: string;
  readonly exportName: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly memoryMb: number;
  /** The port the SDK's handler sends the gateway's requests over; absent: they go over HTTP. */
  readonly gateway?: PortLink;
}

export interface WorkerRequest {
  readonly id: number;
  readonly event: unknown;
  readonly awsRequestId: string;
  /** The function timeout (for `getRemainingTimeInMillis`). */
  readonly timeoutMs: number;
}

/** The worker's first message: the handler module was imported (the init phase), or failed to. */
export type WorkerInit = { readonly init: "ok"; readonly tid?: number } | { readonly init: "failed"; readonly error: SerialisedError };

/** Output an invocation wrote, sent as it is written. */
export interface WorkerLog {
  readonly id: number;
  readonly log: string;
}

export type WorkerResponse = {
  readonly id: number;
  /** The share of the invocation's time the environment's thread was busy (event-loop utilisation, 0–1). */
  readonly busy?: number;
} & (
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: SerialisedError }
);

export function deserialise(error: SerialisedError): Error {
  const value = new Error(error.message);
  value.name = error.name;
  if (error.stack) value.stack = error.stack;
  return value;
}

/**
 * One execution environment: a worker thread that imported the handler once and runs one invocation
 * at a time. It ends when its thread does: a crash, the end of a timed-out invocation, or the host
 * stopping; it is never used again after that.
 */
export class ExecutionEnvironment {
  private ended: Error | undefined;
  /** The invocation running now: its id, what it has written so far and how to answer it. */
  private current: { id: number; logs: string[]; resolve: (response: WorkerResponse) => void } | undefined;
  private nextId = 0;
  /** Resolves when the init phase is over: undefined, or why it failed. */
  readonly initialised: Promise<SerialisedError | undefined>;
  private initDone: (error: SerialisedError | undefined) => void = () => undefined;
  /** The worker's thread id in the operating system, once its init phase is over (Linux only). */
  tid: number | undefined;

  constructor(
    readonly functionName: string,
    private readonly worker: Worker,
    private readonly onEnd: (environment: ExecutionEnvironment) => void,
    /** The SDK requests its thread sends the gateway over its port, if it was given one. */
    private readonly requests?: FunctionRequests,
  ) {
    worker.unref();
    this.initialised = new Promise((resolve) => (this.initDone = resolve));
    worker.on("message", (message: WorkerResponse | WorkerInit | WorkerLog) => {
      if ("init" in message) {
        if (message.init === "ok") this.tid = message.tid;
        return this.initDone(message.init === "ok" ? undefined : message.error);
      }
      const current = this.current;
      if (!current || current.id !== message.id) return;
      if ("log" in message) return void current.logs.push(message.log);
      this.current = undefined;
      current.resolve(message);
    });
    worker.on("error", (error) => this.markEnded(Object.assign(new FunctionEnvironmentError(`the execution environment failed: ${error.message}`), { cause: error })));
    worker.on("exit", (code) => this.markEnded(new FunctionEnvironmentError(`the execution environment exited (code ${code})`)));
  }

  get alive(): boolean {
    return this.ended === undefined;
  }

  private markEnded(error: Error): void {
    if (this.ended) return;
    this.ended = error;
    // Its SDK calls still in flight at the gateway are abandoned, as a dead client's would be: nothing
    // waits for the thread, and their answers go nowhere.
    this.requests?.close();
    this.initDone({ name: error.name, message: error.message });
    const current = this.current;
    this.current = undefined;
    current?.resolve({ id: current.id, ok: false, error: { name: error.name, message: error.message } });
    this.onEnd(this);
  }

  /** Runs one invocation (the environment must be idle); resolves with its answer. */
  run(event: unknown, timeoutMs: number, awsRequestId: string): { response: Promise<WorkerResponse>; logs: string[] } {
    const id = ++this.nextId;
    const logs: string[] = [];
    if (this.ended) {
      const error = this.ended;
      return { response: Promise.resolve({ id, ok: false, error: { name: error.name, message: error.message } }), logs };
    }
    const response = new Promise<WorkerResponse>((resolve) => (this.current = { id, logs, resolve }));
    this.worker.postMessage({ id, event, awsRequestId, timeoutMs } satisfies WorkerRequest);
    return { response, logs };
  }

  /** Ends the environment: its thread stops wherever it is, and nothing more of it runs. */
  async end(reason: Error): Promise<void> {
    this.markEnded(reason);
    await this.worker.terminate();
  }
}

