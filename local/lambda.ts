/**
 * Runs the unmodified Lambda handlers as Lambda does: each invocation in an execution environment of
 * its function — a worker thread that imported the handler once (the init phase) and runs one
 * invocation at a time — with a Lambda-shaped context and the function timeout. A warm environment
 * is reused; when every one is busy another starts (a cold start). At the timeout the environment is
 * ended where it stands, so nothing more of the timed-out invocation runs, and the next invocation
 * starts a fresh one (AWS: "Lambda execution environment lifecycle", failures in the invoke phase).
 * The worker's `process.env` is exactly the function's environment — what the plan gives it in AWS
 * plus its own credentials — so a function sees no other function's tables and signs its AWS calls
 * as itself. Environments end with {@link LambdaHost.stop}. They run the functions' esbuild bundles,
 * as Lambda runs SST's (see function-bundles.ts).
 */
import { randomUUID } from "node:crypto";
import { MessageChannel, Worker } from "node:worker_threads";
import { bundleFunctions, WORKER_RUNTIME } from "./function-bundles.ts";
import {
  deserialise,
  ExecutionEnvironment,
  FunctionEnvironmentError,
  FunctionTimeoutError,
  type SerialisedError,
  type WorkerData,
  type WorkerInit,
  type WorkerLog,
  type WorkerRequest,
  type WorkerResponse,
} from "./lambda-environment.ts";
import {
  DEFAULT_GROW_AFTER_MS,
  DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION,
  environmentsForCores,
  MOSTLY_WAITING,
  type LambdaHostOptions,
} from "./lambda-options.ts";
import { serveFunctionRequests, type FunctionTransport } from "./lambda-transport.ts";

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
  /**
   * What the invocation wrote to stdout/stderr (CloudWatch Logs' content), in order; for a timed-out
   * invocation, what it wrote before the timeout and Lambda's `Task timed out after …` line.
   */
  readonly logs: readonly string[];
  /**
   * Of `durationMs`, the milliseconds spent before the handler got the event: waiting for a free
   * execution environment, starting one, and its init phase (a cold start). Absent when no
   * environment was reached.
   */
  readonly environmentMs?: number;
};

export { DEFAULT_GROW_AFTER_MS, DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION, environmentsForCores, FunctionEnvironmentError, FunctionTimeoutError };
export type { LambdaHostOptions };
export type { SerialisedError, WorkerData, WorkerInit, WorkerLog, WorkerRequest, WorkerResponse };

/** Where a function's output goes once the host has read it: the terminal, filtered by level. */
export type LogSink = (fn: LocalFunction, chunk: string) => void;

/** `functions/loyalty/handler.handler` → `functions/loyalty/handler.ts`. */
const handlerFile = (handler: string) => `${handler.slice(0, handler.lastIndexOf("."))}.ts`;

/** A function's execution environments: those idle, how many exist, and the invocations waiting for one. */
interface EnvironmentPool {
  readonly idle: ExecutionEnvironment[];
  /** Environments started or starting, busy or idle, not yet ended. */
  size: number;
  readonly waiting: Waiter[];
  /** The most environments it may have at once ({@link LambdaHost.maxEnvironmentsFor}). */
  readonly cap: number;
  /** The most while it mostly waits on its calls: its own cap if it has one, else the host's waiting cap. */
  readonly waitingCap: number;
  /** The share of recent invocations' time the function's thread was busy (a moving average; undefined before the first answer). */
  busy?: number;
}

/** An invocation waiting for an environment; `grow` starts one for it after a while, if the cap allows. */
interface Waiter {
  readonly resolve: (environment: ExecutionEnvironment) => void;
  readonly reject: (error: unknown) => void;
  grow?: NodeJS.Timeout | undefined;
}

/**
 * Runs each function like Lambda: every invocation in an execution environment (a worker thread)
 * that runs only it until it ends; an idle environment is reused (warm), a new one is started when
 * all are busy (a cold start, the init phase again; see {@link LambdaHostOptions} for how many and
 * when), and one whose invocation timed out or crashed is ended, never reused.
 */
export class LambdaHost {
  private readonly pools = new Map<string, EnvironmentPool>();
  /** Every environment not yet ended, busy or idle. */
  private readonly live = new Set<ExecutionEnvironment>();
  private stopped = false;
  private started = 0;
  /** Bundles of the functions announced with {@link prepare}, by handler file. */
  private prepared: Promise<Map<string, string>> | undefined;
  private preparedFiles = new Set<string>();
  private readonly maxEnvironments: number;
  private readonly maxByFunction: ReadonlyMap<string, number>;
  private readonly waitingEnvironments: number;
  private readonly growAfterMs: number;
  private readonly timeoutScale: number;
  private readonly transport: FunctionTransport | undefined;

  constructor(
    private readonly rootDir: string,
    private readonly region = "us-east-1",
    private readonly accountId = "000000000000",
    private readonly logSink: LogSink = () => undefined,
    options: LambdaHostOptions = {},
  ) {
    this.maxEnvironments = Math.max(1, options.maxEnvironmentsPerFunction ?? DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION);
    this.maxByFunction = new Map(Object.entries(options.maxEnvironmentsByFunction ?? {}).map(([name, cap]) => [name, Math.max(1, cap)]));
    this.waitingEnvironments = Math.max(this.maxEnvironments, options.waitingEnvironmentsPerFunction ?? 0);
    this.growAfterMs = Math.max(0, options.growAfterMs ?? DEFAULT_GROW_AFTER_MS);
    this.timeoutScale = options.timeoutScale ?? 1;
    this.transport = options.transport;
  }

  functionArn(name: string): string {
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${name}`;
  }

  /** The most execution environments a function may have at once, unless it has a cap of its own. */
  get maxEnvironmentsPerFunction(): number {
    return this.maxEnvironments;
  }

  /** The most execution environments the function named `name` may have at once. */
  maxEnvironmentsFor(name: string): number {
    return this.maxByFunction.get(name) ?? this.maxEnvironments;
  }

  /** How many execution environments were started so far (cold starts), all functions together. */
  get coldStarts(): number {
    return this.started;
  }

  /**
   * The operating-system thread of each live execution environment whose init phase is over (Linux
   * only; empty elsewhere), so that a benchmark can read each function's CPU time from `/proc`.
   */
  threads(): Array<{ functionName: string; tid: number }> {
    return [...this.live].flatMap((environment) => (environment.tid === undefined ? [] : [{ functionName: environment.functionName, tid: environment.tid }]));
  }

  /**
   * Builds the bundles of `functions` now, in one esbuild run (their shared modules once), so that
   * first invocations need not; without it each function is built on its first invocation. The
   * promise settles when the build is over (a failed build is reported by the invocations that need it).
   */
  prepare(functions: Iterable<LocalFunction>): Promise<void> {
    this.preparedFiles = new Set([...functions].map((fn) => handlerFile(fn.handler)));
    this.prepared = bundleFunctions(this.rootDir, [...this.preparedFiles]);
    return this.prepared.then(
      () => undefined,
      () => undefined,
    );
  }

  private async bundles(file: string): Promise<Map<string, string>> {
    if (this.prepared && this.preparedFiles.has(file)) return this.prepared;
    return bundleFunctions(this.rootDir, [file]);
  }

  private pool(fn: LocalFunction): EnvironmentPool {
    let pool = this.pools.get(fn.name);
    if (!pool) {
      const own = this.maxByFunction.get(fn.name);
      pool = { idle: [], size: 0, waiting: [], cap: this.maxEnvironmentsFor(fn.name), waitingCap: own ?? this.waitingEnvironments };
      this.pools.set(fn.name, pool);
    }
    return pool;
  }

  /** How many environments `pool`'s function may have now: more while it mostly waits on its calls. */
  private capOf(pool: EnvironmentPool): number {
    return pool.busy !== undefined && pool.busy < MOSTLY_WAITING ? pool.waitingCap : pool.cap;
  }

  /** An idle environment of `fn`, a new one, or the next one to be free (a new one if that takes a while). */
  private acquire(fn: LocalFunction): Promise<ExecutionEnvironment> {
    const pool = this.pool(fn);
    const idle = pool.idle.pop();
    if (idle) return Promise.resolve(idle);
    if (pool.size === 0 || (pool.size < this.capOf(pool) && this.growAfterMs === 0)) return this.start(fn, pool);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      if (pool.size < pool.waitingCap) {
        waiter.grow = setTimeout(() => {
          waiter.grow = undefined;
          const index = pool.waiting.indexOf(waiter);
          // The cap as it is now: the function may have turned out to mostly wait meanwhile.
          if (index < 0 || pool.size >= this.capOf(pool) || this.stopped) return;
          pool.waiting.splice(index, 1);
          this.start(fn, pool).then(resolve, reject);
        }, this.growAfterMs);
      }
      pool.waiting.push(waiter);
    });
  }

  /** The next waiting invocation, its growth timer stopped. */
  private nextWaiter(pool: EnvironmentPool): Waiter | undefined {
    const next = pool.waiting.shift();
    clearTimeout(next?.grow);
    return next;
  }

  /** Gives a used environment to the next waiting invocation, or keeps it warm. */
  private release(fn: LocalFunction, environment: ExecutionEnvironment): void {
    if (!environment.alive) return;
    const pool = this.pool(fn);
    const next = this.nextWaiter(pool);
    if (next) next.resolve(environment);
    else pool.idle.push(environment);
  }

  private async start(fn: LocalFunction, pool: EnvironmentPool): Promise<ExecutionEnvironment> {
    pool.size++;
    try {
      const file = handlerFile(fn.handler);
      const bundles = await this.bundles(file);
      const channel = this.transport ? new MessageChannel() : undefined;
      const workerData: WorkerData = {
        file: bundles.get(file)!,
        exportName: fn.handler.slice(fn.handler.lastIndexOf(".") + 1),
        functionName: fn.name,
        functionArn: this.functionArn(fn.name),
        memoryMb: fn.memoryMb,
        ...(channel ? { gateway: { port: channel.port2, authority: this.transport!.authority } } : {}),
      };
      const worker = new Worker(bundles.get(WORKER_RUNTIME)!, {
        workerData,
        transferList: channel ? [channel.port2] : [],
        env: { ...fn.environment },
        // The parent's flags (vitest's or tsx's loader) are not the function's: the bundles are plain JavaScript.
        execArgv: [],
        stdout: true,
        stderr: true,
      });
      this.started++;
      // Output outside an invocation (the init phase, a late timer) goes where invocation logs go.
      worker.stdout.setEncoding("utf8").on("data", (chunk: string) => this.logSink(fn, chunk));
      worker.stderr.setEncoding("utf8").on("data", (chunk: string) => this.logSink(fn, chunk));
      let requests;
      if (channel) {
        requests = serveFunctionRequests(channel.port1, this.transport!);
        // Like the worker itself, the port does not keep the runtime's process alive.
        channel.port1.unref();
      }
      const environment = new ExecutionEnvironment(fn.name, worker, (ended) => this.ended(fn, pool, ended), requests);
      this.live.add(environment);
      if (this.stopped) await environment.end(new FunctionEnvironmentError("the local runtime is stopping"));
      return environment;
    } catch (error) {
      // A build that failed is tried again by the next invocation.
      pool.size--;
      throw error;
    }
  }

  /** An environment ended (crash, timeout, stop): it leaves the pool, and a waiting invocation gets a new one. */
  private ended(fn: LocalFunction, pool: EnvironmentPool, environment: ExecutionEnvironment): void {
    this.live.delete(environment);
    pool.size--;
    const index = pool.idle.indexOf(environment);
    if (index >= 0) pool.idle.splice(index, 1);
    const next = this.nextWaiter(pool);
    if (!next) return;
    if (this.stopped) return next.reject(new FunctionEnvironmentError("the local runtime is stopping"));
    this.start(fn, pool).then(next.resolve, next.reject);
  }

  /** Invokes `fn` with `event`; never throws: failures and timeouts come back as values. */
  async invoke(fn: LocalFunction, event: unknown): Promise<Invocation> {
    const started = performance.now();
    if (this.stopped) {
      return { ok: false, error: new FunctionEnvironmentError("the local runtime is stopping"), timedOut: false, durationMs: 0, logs: [] };
    }
    let environment: ExecutionEnvironment;
    try {
      environment = await this.acquire(fn);
    } catch (cause) {
      const error = cause instanceof Error ? cause : new Error(String(cause));
      return { ok: false, error, timedOut: false, durationMs: performance.now() - started, logs: [] };
    }
    try {
      return await this.run(fn, environment, event, started);
    } finally {
      this.release(fn, environment);
    }
  }

  private async run(fn: LocalFunction, environment: ExecutionEnvironment, event: unknown, started: number): Promise<Invocation> {
    // A cold start's init phase (importing the handler) is not part of the function's timeout, as in Lambda.
    const initError = await environment.initialised;
    if (initError) {
      // Every invocation of an environment whose init failed fails with that error, as in Lambda.
      return { ok: false, error: deserialise(initError), timedOut: false, durationMs: performance.now() - started, logs: [] };
    }
    const environmentMs = performance.now() - started;
    const awsRequestId = randomUUID();
    const timeoutSeconds = fn.timeoutSeconds * this.timeoutScale;
    const { response, logs } = environment.run(event, timeoutSeconds * 1000, awsRequestId);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutSeconds * 1000);
    });
    const answer = await Promise.race([response, timeout]);
    clearTimeout(timer);
    if (answer === "timeout") {
      // Lambda stops a timed-out environment where it is (its next invocation is a cold start):
      // nothing more of this invocation runs, so none of its effects can follow the retry's.
      const message = `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`;
      const error = new FunctionTimeoutError(message);
      await environment.end(error);
      for (const chunk of logs) this.logSink(fn, chunk);
      // Lambda's own line closes the invocation's logs; the terminal tells of the timeout on its own (live.ts).
      const timedOutLogs = [...logs, `${new Date().toISOString()} ${awsRequestId} ${message}\n`];
      return { ok: false, error, timedOut: true, durationMs: performance.now() - started, logs: timedOutLogs, environmentMs };
    }
    const durationMs = performance.now() - started;
    if (answer.busy !== undefined) {
      const pool = this.pool(fn);
      pool.busy = pool.busy === undefined ? answer.busy : 0.8 * pool.busy + 0.2 * answer.busy;
    }
    for (const chunk of logs) this.logSink(fn, chunk);
    return answer.ok
      ? { ok: true, result: answer.result, durationMs, logs, environmentMs }
      : { ok: false, error: deserialise(answer.error), timedOut: false, durationMs, logs, environmentMs };
  }

  /** Ends every execution environment; invocations in flight and waiting fail. */
  async stop(): Promise<void> {
    this.stopped = true;
    const stopping = new FunctionEnvironmentError("the local runtime is stopping");
    const ending: Promise<void>[] = [];
    for (const pool of this.pools.values()) {
      for (const waiter of pool.waiting.splice(0)) {
        clearTimeout(waiter.grow);
        waiter.reject(stopping);
      }
    }
    for (const environment of [...this.live]) ending.push(environment.end(stopping).catch(() => undefined));
    await Promise.all(ending);
  }
}
