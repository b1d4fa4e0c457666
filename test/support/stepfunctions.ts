/** Shared arrangement for the local Step Functions tests (not part of the runtime). */
import { readFileSync } from "node:fs";
import { SFNClient } from "@aws-sdk/client-sfn";
import type { ExecutionRecord, InvokeLambda, LocalStepFunctions, PendingTaskToken } from "../../local/stepfunctions/index.ts";
import { adminClient } from "../../local/admin-client.ts";

/** The names of the ASL fixtures in `test/support/asl/`. */
export const FIXTURES = ["choice", "parallel", "retry-catch", "callback", "callback-timeout", "heartbeat", "wait", "steps", "pause"] as const;

/** A parsed fixture `test/support/asl/<name>.asl.json`. */
export function fixture(name: (typeof FIXTURES)[number]): object {
  return JSON.parse(readFileSync(new URL(`./asl/${name}.asl.json`, import.meta.url), "utf8")) as object;
}

/** The real SDK client, pointed at the local endpoint with fake credentials. */
export function sfnClient(endpoint: string): SFNClient {
  return adminClient(SFNClient, endpoint, "us-east-1");
}

/** Local Lambda handlers by function name or ARN, recording every invocation. */
export class FakeLambdas {
  readonly calls: Array<{ functionName: string; payload: unknown }> = [];
  readonly #handlers = new Map<string, (payload: unknown) => unknown>();

  /** The `invokeLambda` option: unknown functions fail like Lambda's `ResourceNotFoundException`. */
  readonly invoke: InvokeLambda = async (functionName, payload) => {
    this.calls.push({ functionName, payload });
    const handler = this.#handlers.get(functionName);
    if (!handler) throw Object.assign(new Error(`Function not found: ${functionName}`), { name: "Lambda.ResourceNotFoundException" });
    return handler(payload);
  };

  /** Installs (or replaces) the handler of `functionName`. */
  on(functionName: string, handler: (payload: unknown) => unknown): this {
    this.#handlers.set(functionName, handler);
    return this;
  }

  /** Invocations of one function, in order. */
  callsTo(functionName: string): unknown[] {
    return this.calls.filter((call) => call.functionName === functionName).map((call) => call.payload);
  }
}

/** An `Error` with a given name, as Lambda handlers throw them. */
export function namedError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

/**
 * Resolves with the first defined value of `probe`, checked now and after every change the
 * endpoint reports: tests wait on behaviour, never on wall-clock time.
 */
export function waitFor<T>(sfn: LocalStepFunctions, probe: () => T | undefined): Promise<T> {
  return new Promise<T>((resolve) => {
    const check = () => {
      const value = probe();
      if (value === undefined) return;
      unsubscribe();
      resolve(value);
    };
    const unsubscribe = sfn.onChange(check);
    check();
  });
}

/** The execution's record once it is no longer running. */
export function closedExecution(sfn: LocalStepFunctions, executionArn: string): Promise<ExecutionRecord> {
  return waitFor(sfn, () => sfn.executions().find((record) => record.executionArn === executionArn && record.status !== "RUNNING"));
}

/** The execution's first open task token. */
export function pendingToken(sfn: LocalStepFunctions, executionArn: string): Promise<PendingTaskToken> {
  return waitFor(sfn, () => sfn.pendingTaskTokens().find((pending) => pending.executionArn === executionArn));
}
