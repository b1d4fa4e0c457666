/**
 * Runs the unmodified Lambda handlers, each function in a worker thread of its own: the handler is
 * imported once there (like a warm execution environment) and invoked with a Lambda-shaped context
 * and the function timeout. The worker's `process.env` is exactly the function's environment — what
 * the plan gives it in AWS plus its own credentials — so a function sees no other function's tables
 * and signs its AWS calls as itself. Workers start on first invocation and end with {@link LambdaHost.stop}.
 * They run the functions' esbuild bundles, as Lambda runs SST's (see function-bundles.ts).
 */
import { randomUUID } from "node:crypto";
import { Worker } from "node:worker_threads";
import { bundleFunctions, WORKER_RUNTIME } from "./function-bundles.ts";

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
  /**
   * For a timed-out invocation: resolves when its execution environment is done with it (the
   * handler returned late, or the environment ended). Lambda ends a timed-out environment at once;
   * here the handler runs on in its worker thread, so a caller that holds a concurrency slot (the
   * event source mapping) can keep it until then instead of stacking work on a busy thread.
   */
  readonly finished?: Promise<void>;
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

/** `functions/loyalty/handler.handler` → `functions/loyalty/handler.ts`. */
const handlerFile = (handler: string) => `${handler.slice(0, handler.lastIndexOf("."))}.ts`;

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

  /** Invocations the host stopped waiting for (timed out), with what to call when they end. */
  private readonly forgotten = new Map<number, () => void>();
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
      for (const done of this.forgotten.values()) done();
      this.forgotten.clear();
    };
    worker.on("message", (message: WorkerResponse | WorkerInit) => {
      if ("init" in message) return this.initDone(message.init === "ok" ? undefined : message.error);
      const response = message;
      const resolve = this.pending.get(response.id);
      this.pending.delete(response.id);
      if (resolve) return resolve(response);
      const done = this.forgotten.get(response.id);
      if (!done) return;
      this.forgotten.delete(response.id);
      this.lateLogs(response.logs);
      done();
    });
    worker.on("error", (error) => end(Object.assign(new FunctionEnvironmentError(`the execution environment failed: ${error.message}`), { cause: error })));
    worker.on("exit", (code) => end(new FunctionEnvironmentError(`the execution environment exited (code ${code})`)));
  }

  /** Sends one invocation; resolves with the worker's answer (`forget` stops waiting for it). */
  run(event: unknown, timeoutMs: number): { response: Promise<WorkerResponse>; forget: () => Promise<void> } {
    const id = ++this.nextId;
    if (this.ended) {
      const error = this.ended;
      return { response: Promise.resolve({ id, ok: false, error: { name: error.name, message: error.message }, logs: [] }), forget: () => Promise.resolve() };
    }
    const response = new Promise<WorkerResponse>((resolve) => this.pending.set(id, resolve));
    this.worker.postMessage({ id, event, awsRequestId: randomUUID(), timeoutMs } satisfies WorkerRequest);
    return {
      response,
      // Resolves once the worker is done with the invocation (its late answer, or the environment's end).
      forget: () => {
        if (!this.pending.delete(id)) return Promise.resolve();
        return new Promise<void>((resolve) => this.forgotten.set(id, resolve));
      },
    };
  }
}

/** Runs each function in its own worker thread and invokes it like Lambda would. */
export class LambdaHost {
  private readonly environments = new Map<string, Promise<ExecutionEnvironment>>();
  private stopped = false;
  /** Bundles of the functions announced with {@link prepare}, by handler file. */
  private prepared: Promise<Map<string, string>> | undefined;
  private preparedFiles = new Set<string>();

  constructor(
    private readonly rootDir: string,
    private readonly region = "us-east-1",
    private readonly accountId = "000000000000",
    private readonly logSink: LogSink = () => undefined,
  ) {}

  functionArn(name: string): string {
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${name}`;
  }

  /**
   * Builds the bundles of `functions` now, in one esbuild run (their shared modules once), so that
   * first invocations need not; without it each function is built on its first invocation.
   */
  prepare(functions: Iterable<LocalFunction>): void {
    this.preparedFiles = new Set([...functions].map((fn) => handlerFile(fn.handler)));
    this.prepared = bundleFunctions(this.rootDir, [...this.preparedFiles]);
    // A failed build is reported by the invocations that need it.
    this.prepared.catch(() => undefined);
  }

  private async bundles(file: string): Promise<Map<string, string>> {
    if (this.prepared && this.preparedFiles.has(file)) return this.prepared;
    return bundleFunctions(this.rootDir, [file]);
  }

  /** The function's environment, started on first use and kept warm. */
  private environment(fn: LocalFunction): Promise<ExecutionEnvironment> {
    let environment = this.environments.get(fn.name);
    if (!environment) {
      environment = this.start(fn);
      const created = environment;
      this.environments.set(fn.name, created);
      // A build that failed is tried again on the next invocation.
      created.catch(() => {
        if (this.environments.get(fn.name) === created) this.environments.delete(fn.name);
      });
    }
    return environment;
  }

  private async start(fn: LocalFunction): Promise<ExecutionEnvironment> {
    const file = handlerFile(fn.handler);
    const bundles = await this.bundles(file);
    const workerData: WorkerData = {
      file: bundles.get(file)!,
      exportName: fn.handler.slice(fn.handler.lastIndexOf(".") + 1),
      functionName: fn.name,
      functionArn: this.functionArn(fn.name),
      memoryMb: fn.memoryMb,
    };
    const worker = new Worker(bundles.get(WORKER_RUNTIME)!, {
      workerData,
      env: { ...fn.environment },
      // The parent's flags (vitest's or tsx's loader) are not the function's: the bundles are plain JavaScript.
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
        void this.environments.get(fn.name)?.then((current) => {
          if (current === created) this.environments.delete(fn.name);
        });
      },
      (logs) => {
        for (const chunk of logs) this.logSink(fn, chunk);
      },
    );
    if (this.stopped) await worker.terminate();
    return created;
  }

  /** Invokes `fn` with `event`; never throws: failures and timeouts come back as values. */
  async invoke(fn: LocalFunction, event: unknown): Promise<Invocation> {
    const started = performance.now();
    if (this.stopped) {
      return { ok: false, error: new FunctionEnvironmentError("the local runtime is stopping"), timedOut: false, durationMs: 0, logs: [] };
    }
    let environment: ExecutionEnvironment;
    try {
      environment = await this.environment(fn);
    } catch (cause) {
      const error = cause instanceof Error ? cause : new Error(String(cause));
      return { ok: false, error, timedOut: false, durationMs: performance.now() - started, logs: [] };
    }
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
      const finished = forget();
      const error = new FunctionTimeoutError(`Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`);
      return { ok: false, error, timedOut: true, durationMs, logs: [], finished };
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
    await Promise.all(environments.map((environment) => environment.then((started) => started.worker.terminate()).catch(() => undefined)));
  }
}
