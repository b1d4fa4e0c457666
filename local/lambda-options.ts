/**
 * How the Lambda host (`local/lambda.ts`) sizes and runs a function's execution environments: the
 * options, their defaults and the cap sized to the machine's cores.
 */
import { availableParallelism } from "node:os";
import type { FunctionTransport } from "./lambda-transport.ts";

/** How a `LambdaHost` runs functions. */
export interface LambdaHostOptions {
  /**
   * At most this many execution environments per function (default
   * {@link DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION}); further concurrent invocations wait for one to be
   * free. Lambda would start more (up to the account's concurrency) or throttle.
   */
  readonly maxEnvironmentsPerFunction?: number;
  /**
   * Caps of particular functions, by function name, instead of `maxEnvironmentsPerFunction` (as a
   * function's reserved concurrency caps it in AWS, whatever the account allows).
   */
  readonly maxEnvironmentsByFunction?: Readonly<Record<string, number>>;
  /**
   * A function with an environment but none free starts another only for an invocation that has
   * waited this long (default {@link DEFAULT_GROW_AFTER_MS}); 0 starts one at once, as Lambda does.
   */
  readonly growAfterMs?: number;
  /**
   * A function whose environments mostly wait on their AWS calls (its thread busy for less than
   * half of an invocation, on average; {@link MOSTLY_WAITING}) may grow to this many environments
   * instead of `maxEnvironmentsPerFunction`, by the same `growAfterMs` rule (default: no higher cap).
   * Such an environment's thread is mostly idle, so a second one may add throughput where a second
   * environment for a CPU-bound function only adds a cold start. Off by default everywhere (on a
   * loaded two-core machine it cost CPU per event without a throughput gain the runs could resolve:
   * docs/performance.md, session 8, burstwait); the pipeline bench's `--waiting-environments`.
   */
  readonly waitingEnvironmentsPerFunction?: number;
  /** Multiplies every function's timeout (default 1, as declared). */
  readonly timeoutScale?: number;
  /**
   * The gateway's entry for requests without a socket: with it, each environment's SDK calls to
   * the gateway travel over a message port (`local/lambda-transport.ts`); without it, over HTTP.
   */
  readonly transport?: FunctionTransport;
}

/**
 * How long an invocation waits for a busy environment before another is started: invocations that
 * merely overlap (a paced stream) then share one warm environment instead of paying cold starts,
 * while a sustained backlog still grows the function to its cap.
 */
export const DEFAULT_GROW_AFTER_MS = 100;

/**
 * The default cap on a function's execution environments. Each costs a cold start (0.2 s of CPU
 * here, 0.3 s with its first calls: a thread, the bundle's modules compiled and run again in a new isolate) and some 35 MB, and a laptop has few
 * cores: with one environment per concurrent invocation up to the consumers' `maximumConcurrency`
 * (10), a burst started some hundred environments at once, and on a busy machine the cold starts
 * starved the running invocations into timeouts, each ending an environment and starting another.
 * Three keep up to 30 records of a consumer in flight (ten per batch, handled in parallel).
 */
export const DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION = 3;

/**
 * Below this share of an invocation's time with its thread busy (the worker's event-loop
 * utilisation, as it reports it with each answer), a function counts as mostly waiting on its calls.
 */
export const MOSTLY_WAITING = 0.5;

/**
 * The cap for a runtime that runs for throughput rather than to exercise concurrency (`paybus dev`,
 * `paybus run`, `paybus backtest`, the benchmarks): one environment per core the runtime's own
 * thread leaves free, at most {@link DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION}. Every environment is
 * a V8 isolate that compiles and optimises the same SDK and handler code on its own: on two cores,
 * a burst through three environments per function cost 39 ms of CPU per event against 29 ms through
 * one (a third of the process's CPU went to V8's compiler threads, and each isolate stayed cold
 * three times as long), and drained no faster, since the cores, not the environments, were the
 * limit. Tests start one per function as well (`test/support/runtime.ts`), and the default only
 * where they assert what overlapping invocations of one function do.
 */
export function environmentsForCores(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION, cores - 1));
}
