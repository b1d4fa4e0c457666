/**
 * A local AWS Step Functions endpoint for paybus: serves the Step Functions API (awsJson1.0) so
 * the real `@aws-sdk/client-sfn` works against it through an endpoint override, and runs the ASL
 * with aws-local-stepfunctions, Task states resolved to local Lambda handlers.
 *
 * Without `dataDir`, executions, their history and task tokens live as long as the server. With
 * it, they are recorded as they happen and survive a restart, even a `kill -9`: finished
 * executions stay listable, running ones resume (`resume()`), task tokens stay valid.
 */
import { join } from "node:path";
import { operations } from "./api.ts";
import type { JsonObject, TimeScales } from "./definition.ts";
import { StepFunctionsEngine, type ExecutionRecord, type StepFunctionsChange } from "./engine.ts";
import { serveAwsJson, type Operations } from "../aws-json.ts";
import { InvalidScaleError } from "./errors.ts";
import { toJson } from "./json.ts";
import { engineTimeoutError } from "./engine-timeout.ts";
import { lightenJsonPathScalars } from "./jsonpath-scalars.ts";
import { fileStore } from "./store.ts";
import type { ExecutionStatus } from "./history.ts";
import type { StateMachineDeclaration } from "./machines.ts";
import type { FunctionTimeout, InvokeLambda } from "./tasks.ts";
import type { PendingTaskToken } from "./tokens.ts";

export type { ExecutionRecord, StepFunctionsChange } from "./engine.ts";
export type { ExecutionStatus } from "./history.ts";
export type { StateMachineDeclaration } from "./machines.ts";
export type { InvokeLambda } from "./tasks.ts";
export type { PendingTaskToken } from "./tokens.ts";
export * from "./errors.ts";

/** Options of {@link startLocalStepFunctions}. */
export interface LocalStepFunctionsOptions {
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; default 0, a free port (read it from `endpoint`). */
  port?: number;
  /** The state machines to serve, validated at start-up. */
  stateMachines: StateMachineDeclaration[];
  /**
   * Runs the Lambda function a Task state targets: the `FunctionName` of
   * `arn:aws:states:::lambda:invoke[.waitForTaskToken]` (with its `Payload`), or the ARN of a
   * direct `arn:aws:lambda:...` `Resource` (with the effective input). A rejection fails the task
   * with the error's `name`, which `Retry`/`Catch` match.
   */
  invokeLambda: InvokeLambda;
  /**
   * The timeout in seconds of a function by ARN or name (as `invokeLambda` receives it). With a
   * `dataDir`, a Lambda task whose invocation was in flight when the process died runs again no
   * earlier than that invocation's start plus this timeout, as on AWS. Unknown (or no option): at once.
   */
  functionTimeout?: FunctionTimeout;
  /**
   * Multiplies Wait durations and the `HeartbeatSeconds`/`TimeoutSeconds` of callback tasks, so
   * that e.g. `0.001` turns a 72 h wait into 4.3 min. Lambda task timeouts are not scaled (they
   * bound real code). Default 1.
   */
  timeScale?: number;
  /** Multiplies `Retry` `IntervalSeconds`/`MaxDelaySeconds`; `BackoffRate` still applies. Default 1. */
  retryIntervalScale?: number;
  /** Region in ARNs; default `us-east-1`. */
  region?: string;
  /** Account id in ARNs; default `000000000000`. */
  accountId?: string;
  /**
   * Directory where executions are recorded (`executions.jsonl`), so that they survive a restart.
   * Without it, nothing is kept. Running executions recorded there resume on `resume()`.
   */
  dataDir?: string;
}

/** A running local Step Functions endpoint. */
export interface LocalStepFunctions {
  /** Base URL for `new SFNClient({ endpoint })` or `AWS_ENDPOINT_URL_SFN`. */
  readonly endpoint: string;
  /**
   * The same API for a server that reads requests itself (the runtime's gateway answers it in
   * process, without a second HTTP hop): the target prefix, the operations, the content type.
   */
  readonly api: { readonly prefix: string; readonly operations: Operations; readonly contentType: string };
  /**
   * Stops the server. Without `dataDir` running executions end as `ABORTED`; with it they stay
   * `RUNNING` on disk, to resume when an endpoint is started again on the same directory. Records
   * stay readable.
   */
  close(): Promise<void>;
  /**
   * Resumes the running executions recorded in `dataDir` by an earlier endpoint (nothing without
   * `dataDir`). Call it once whatever the tasks invoke is ready; until then they are only listed.
   */
  resume(): void;
  /** Every execution started (or those with `status`), oldest first, with the path of states entered. */
  executions(status?: ExecutionStatus): ExecutionRecord[];
  /** One execution's record; throws `ExecutionDoesNotExist` for an unknown ARN. */
  execution(executionArn: string): ExecutionRecord;
  /** One execution's status, without copying its record (cheap enough for every transition); throws like {@link execution}. */
  executionStatus(executionArn: string): ExecutionStatus;
  /** Callback tasks waiting for `SendTaskSuccess`/`SendTaskFailure`, oldest first. */
  pendingTaskTokens(): PendingTaskToken[];
  /** The execution whose callback task awaits `token`, if one does; copies nothing. */
  taskTokenExecution(token: string): string | undefined;
  /** Whether every running execution (if any) waits for a task token; copies nothing. */
  onlyAwaitingTaskTokens(): boolean;
  /**
   * Like the `SendTaskSuccess` API, with `output` as a value rather than JSON text. Throws
   * `InvalidTokenError`, `TaskDoesNotExistError` or `TaskTimedOutError` as the API would answer.
   */
  sendTaskSuccess(token: string, output: unknown): void;
  /** Like the `SendTaskFailure` API; `error` is the name the task's `Retry`/`Catch` match. Throws as {@link LocalStepFunctions.sendTaskSuccess}. */
  sendTaskFailure(token: string, error?: string, cause?: string): void;
  /** Subscribes to execution and task-token changes; returns the unsubscribe function. */
  onChange(listener: (change: StepFunctionsChange) => void): () => void;
}

const TARGET_PREFIX = "AWSStepFunctions";

/**
 * Starts a local Step Functions endpoint serving `StartExecution` (with AWS's name idempotency),
 * `DescribeExecution`, `ListExecutions`, `GetExecutionHistory`, `StopExecution`,
 * `SendTaskSuccess`, `SendTaskFailure`, `SendTaskHeartbeat`, `ListStateMachines` and
 * `DescribeStateMachine`.
 *
 * Rejects with `InvalidDefinitionError`, `UnsupportedResourceError`, `InvalidNameError`,
 * `StateMachineAlreadyExistsError` or {@link InvalidScaleError} before listening.
 */
export async function startLocalStepFunctions(options: LocalStepFunctionsOptions): Promise<LocalStepFunctions> {
  // Scalars out of jsonpath-plus without a stack trace each (see the module): once per process.
  await lightenJsonPathScalars();
  const engine = new StepFunctionsEngine({
    stateMachines: options.stateMachines,
    invokeLambda: options.invokeLambda,
    ...(options.functionTimeout && { functionTimeout: options.functionTimeout }),
    scope: { region: options.region ?? "us-east-1", accountId: options.accountId ?? "000000000000" },
    scales: timeScales(options),
    timeoutError: await engineTimeoutError(),
    ...(options.dataDir !== undefined && { store: fileStore(join(options.dataDir, "executions.jsonl")) }),
  });
  const bound = Object.fromEntries(Object.entries(operations).map(([name, operation]) => [name, (request: JsonObject) => operation(engine, request)]));
  const contentType = "application/x-amz-json-1.0";
  const server = await serveAwsJson(TARGET_PREFIX, bound, { host: options.host ?? "127.0.0.1", port: options.port ?? 0, contentType });
  return {
    endpoint: server.endpoint,
    api: { prefix: TARGET_PREFIX, operations: bound, contentType },
    close: async () => {
      engine.shutdown();
      await server.close();
    },
    resume: () => engine.resume(),
    executions: (status) => engine.executions(status),
    execution: (executionArn) => engine.describeExecution(executionArn).record,
    executionStatus: (executionArn) => engine.executionStatus(executionArn),
    pendingTaskTokens: () => engine.pendingTaskTokens(),
    onlyAwaitingTaskTokens: () => engine.onlyAwaitingTaskTokens(),
    taskTokenExecution: (token) => engine.taskTokenExecution(token),
    sendTaskSuccess: (token, output) => engine.sendTaskSuccess(token, toJson(output)),
    sendTaskFailure: (token, error, cause) => engine.sendTaskFailure(token, error, cause),
    onChange: (listener) => engine.onChange(listener),
  };
}

function timeScales(options: LocalStepFunctionsOptions): TimeScales {
  const scale = (name: string, value = 1) => {
    if (!Number.isFinite(value) || value < 0) throw new InvalidScaleError(`${name} must be a finite number >= 0, got ${value}`);
    return value;
  };
  return { timeScale: scale("timeScale", options.timeScale), retryIntervalScale: scale("retryIntervalScale", options.retryIntervalScale) };
}
