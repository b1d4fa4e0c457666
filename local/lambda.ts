/**
 * Runs the unmodified Lambda handlers, each function in a worker thread of its own: the handler is
 * imported once there (like a warm execution environment) and invoked with a Lambda-shaped context
 * and the function timeout. The worker's `process.env` is exactly the function's environment — what
 * the plan gives it in AWS plus its own credentials — so a function sees no other function's tables
 * and signs its AWS calls as itself. Workers start on first invocation and end with {@link LambdaHost.stop}.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { Worker } from "node:worker_threads";

export interface LocalFunction {
  /** Function name, as it would be in AWS (`<prefix>-<plan logical name>`). */
  readonly name: string;
  /** The plan's logical name (`LoyaltyConsumer`). */
  readonly logicalName: string;
  /** `<file without extension>.<export>`, relative to the project root (SST's format). */
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** The whole environment of the function (its `process.env`). */
  readonly environment: Readonly<Record<string, string>>;
}

export type Invocation = (
  | { readonly ok: true; readonly result: unknown; readonly durationMs: number }
  | { readonly ok: false; readonly error: Error; readonly timedOut: boolean; readonly durationMs: number }
) & {
  /** What the invocation wrote to stdout/stderr (CloudWatch Logs' content), in order; none when it timed out. */
  readonly logs: readonly string[];
};

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
}

export interface WorkerRequest {
  readonly id: number;
  readonly event: unknown;
  readonly awsRequestId: string;
  /** The function timeout (for `getRemainingTimeInMillis`). */
  readonly timeoutMs: number;
}

/** The worker's first message: the handler module was imported (the init phase), or failed to. */
export type WorkerInit = { readonly init: "ok" } | { readonly init: "failed"; readonly error: SerialisedError };

export type WorkerResponse = { readonly id: number; readonly logs: string[] } & (
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: SerialisedError }
);

/** Where a function's output goes once the host has read it: the terminal, filtered by level. */
export type LogSink = (fn: LocalFunction, chunk: string) => void;

const WORKER_ENTRY = new URL("./lambda-worker.mjs", import.meta.url);

function deserialise(error: SerialisedError): Error {
  const value = new Error(error.message);
  value.name = error.name;
  if (error.stack) value.stack = error.stack;
  return value;
}

/** One function's worker and its invocations in flight. */
class ExecutionEnvironment {
  private readonly pending = new Map<number, (response: WorkerResponse) => void>();
  private nextId = 0;
  private ended: Error | undefined;

  private readonly forgotten = new Set<number>();
  /** Resolves when the init phase is over: undefined, or why it failed. */
  readonly initialised: Promise<SerialisedError | undefined>;
  private initDone: (error: SerialisedError | undefined) => void = () => undefined;

  constructor(
    readonly worker: Worker,
    private readonly onEnd: () => void,
    /** Logs of an invocation answered after the host stopped waiting (it timed out): still the function's output. */
    private readonly lateLogs: (logs: readonly string[]) => void,
  ) {
    worker.unref();
    this.initialised = new Promise((resolve) => (this.initDone = resolve));
    const end = (error: Error) => {
      if (this.ended) return;
      this.ended = error;
      this.initDone({ name: error.name, message: error.message });
      this.onEnd();
      for (const [id, resolve] of this.pending) resolve({ id, ok: false, error: { name: error.name, message: error.message }, logs: [] });
      this.pending.clear();
    };
    worker.on("message", (message: WorkerResponse | WorkerInit) => {
      if ("init" in message) return this.initDone(message.init === "ok" ? undefined : message.error);
      const response = message;
      const resolve = this.pending.get(response.id);
      this.pending.delete(response.id);
      if (resolve) resolve(response);
      else if (this.forgotten.delete(response.id)) this.lateLogs(response.logs);
    });
    worker.on("error", (error) => end(Object.assign(new FunctionEnvironmentError(`the execution environment failed: ${error.message}`), { cause: error })));
    worker.on("exit", (code) => end(new FunctionEnvironmentError(`the execution environment exited (code ${code})`)));
  }

  /** Sends one invocation; resolves with the worker's answer (`forget` stops waiting for it). */
  run(event: unknown, timeoutMs: number): { response: Promise<WorkerResponse>; forget: () => void } {
    const id = ++this.nextId;
    if (this.ended) {
      const error = this.ended;
      return { response: Promise.resolve({ id, ok: false, error: { name: error.name, message: error.message }, logs: [] }), forget: () => undefined };
    }
    const response = new Promise<WorkerResponse>((resolve) => this.pending.set(id, resolve));
    this.worker.postMessage({ id, event, awsRequestId: randomUUID(), timeoutMs } satisfies WorkerRequest);
    return {
      response,
      forget: () => {
        if (this.pending.delete(id)) this.forgotten.add(id);
      },
    };
  }
}

/** Runs each function in its own worker thread and invokes it like Lambda would. */
export class LambdaHost {
  private readonly environments = new Map<string, ExecutionEnvironment>();
  private stopped = false;

  constructor(
    private readonly rootDir: string,
    private readonly region = "us-east-1",
    private readonly accountId = "000000000000",
    private readonly logSink: LogSink = () => undefined,
  ) {}

  functionArn(name: string): string {
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${name}`;
  }

  /** The function's environment, started on first use and kept warm. */
  private environment(fn: LocalFunction): ExecutionEnvironment {
    let environment = this.environments.get(fn.name);
    if (!environment) {
      const dot = fn.handler.lastIndexOf(".");
      const workerData: WorkerData = {
        file: join(this.rootDir, `${fn.handler.slice(0, dot)}.ts`),
        exportName: fn.handler.slice(dot + 1),
        functionName: fn.name,
        functionArn: this.functionArn(fn.name),
        memoryMb: fn.memoryMb,
      };
      const worker = new Worker(WORKER_ENTRY, {
        workerData,
        env: { ...fn.environment },
        // The parent's flags (vitest's or tsx's loader) are not the function's: the entry loads tsx itself.
        execArgv: [],
        stdout: true,
        stderr: true,
      });
      // Output outside an invocation (the init phase, a late timer) goes where invocation logs go.
      worker.stdout.setEncoding("utf8").on("data", (chunk: string) => this.logSink(fn, chunk));
      worker.stderr.setEncoding("utf8").on("data", (chunk: string) => this.logSink(fn, chunk));
      const created: ExecutionEnvironment = new ExecutionEnvironment(
        worker,
        () => {
          // A crashed environment is replaced on the next invocation, as Lambda does.
          if (this.environments.get(fn.name) === created) this.environments.delete(fn.name);
        },
        (logs) => {
          for (const chunk of logs) this.logSink(fn, chunk);
        },
      );
      environment = created;
      this.environments.set(fn.name, environment);
    }
    return environment;
  }

  /** Invokes `fn` with `event`; never throws: failures and timeouts come back as values. */
  async invoke(fn: LocalFunction, event: unknown): Promise<Invocation> {
    const started = performance.now();
    if (this.stopped) {
      return { ok: false, error: new FunctionEnvironmentError("the local runtime is stopping"), timedOut: false, durationMs: 0, logs: [] };
    }
    const environment = this.environment(fn);
    // A cold start's init phase (importing the handler) is not part of the function's timeout, as in Lambda.
    const initError = await environment.initialised;
    if (initError) {
      // Every invocation of an environment whose init failed fails with that error, as in Lambda.
      return { ok: false, error: deserialise(initError), timedOut: false, durationMs: performance.now() - started, logs: [] };
    }
    const { response, forget } = environment.run(event, fn.timeoutSeconds * 1000);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), fn.timeoutSeconds * 1000);
    });
    const answer = await Promise.race([response, timeout]);
    clearTimeout(timer);
    const durationMs = performance.now() - started;
    if (answer === "timeout") {
      forget();
      const error = new FunctionTimeoutError(`Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`);
      return { ok: false, error, timedOut: true, durationMs, logs: [] };
    }
    for (const chunk of answer.logs) this.logSink(fn, chunk);
    return answer.ok
      ? { ok: true, result: answer.result, durationMs, logs: answer.logs }
      : { ok: false, error: deserialise(answer.error), timedOut: false, durationMs, logs: answer.logs };
  }

  /** Ends every execution environment; invocations in flight fail. */
  async stop(): Promise<void> {
    this.stopped = true;
    const environments = [...this.environments.values()];
    this.environments.clear();
    await Promise.all(environments.map((environment) => environment.worker.terminate()));
  }
}
