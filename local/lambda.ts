/**
 * Runs the unmodified Lambda handlers in this process: the handler module is imported once (like
 * a warm execution environment) and invoked with a Lambda-shaped context and the function timeout.
 */
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import type { Context } from "aws-lambda";

export interface LocalFunction {
  /** Function name, as it would be in AWS. */
  readonly name: string;
  /** `<file without extension>.<export>`, relative to the project root (SST's format). */
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export type Invocation =
  | { readonly ok: true; readonly result: unknown; readonly durationMs: number }
  | { readonly ok: false; readonly error: Error; readonly timedOut: boolean; readonly durationMs: number };

export class FunctionTimeoutError extends Error {
  override name = "FunctionTimeoutError";
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** Loads handlers from the project and invokes them like Lambda would. */
export class LambdaHost {
  private static environments = 0;
  private readonly environmentId = ++LambdaHost.environments;
  private readonly loaded = new Map<string, Promise<Handler>>();

  constructor(
    private readonly rootDir: string,
    private readonly region = "us-east-1",
    private readonly accountId = "000000000000",
  ) {}

  functionArn(name: string): string {
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${name}`;
  }

  private load(handler: string): Promise<Handler> {
    let promise = this.loaded.get(handler);
    if (!promise) {
      const dot = handler.lastIndexOf(".");
      const file = handler.slice(0, dot);
      const exportName = handler.slice(dot + 1);
      // A query per host gives each runtime its own copy of the handler module, like a fresh
      // execution environment: state a handler caches (clients, config) never leaks between runtimes.
      const url = `${pathToFileURL(join(this.rootDir, `${file}.ts`)).href}?environment=${this.environmentId}`;
      promise = import(url).then((module) => {
        const fn = (module as Record<string, unknown>)[exportName];
        if (typeof fn !== "function") throw new Error(`${file}.ts does not export a function named "${exportName}"`);
        return fn as Handler;
      });
      this.loaded.set(handler, promise);
    }
    return promise;
  }

  /** Invokes `fn` with `event`; never throws: failures and timeouts come back as values. */
  async invoke(fn: LocalFunction, event: unknown): Promise<Invocation> {
    const started = performance.now();
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    const context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: fn.name,
      functionVersion: "$LATEST",
      invokedFunctionArn: this.functionArn(fn.name),
      memoryLimitInMB: String(fn.memoryMb),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${fn.name}`,
      logStreamName: "local",
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    } satisfies Context;
    let timer: NodeJS.Timeout | undefined;
    try {
      const handler = await this.load(fn.handler);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new FunctionTimeoutError(`Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`)),
          fn.timeoutSeconds * 1000,
        );
      });
      const result = await Promise.race([handler(event, context), timeout]);
      return { ok: true, result, durationMs: performance.now() - started };
    } catch (cause) {
      const error = cause instanceof Error ? cause : new Error(String(cause));
      return { ok: false, error, timedOut: error instanceof FunctionTimeoutError, durationMs: performance.now() - started };
    } finally {
      clearTimeout(timer);
    }
  }
}
