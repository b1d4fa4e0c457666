/**
 * The Step Functions operations in AWS's awsJson1.0 wire shapes: each takes the parsed request
 * body and returns the response body. Validation of members happens here; semantics live in
 * {@link StepFunctionsEngine}.
 */
import { createHash } from "node:crypto";
import type { JsonObject } from "./definition.ts";
import type { ExecutionRecord, StepFunctionsEngine } from "./engine.ts";
import { InvalidOutputError, InvalidTokenError, ValidationError } from "./errors.ts";
import type { ExecutionStatus, HistoryEvent } from "./history.ts";
import { parseJson } from "./json.ts";

/** One operation: request body in, response body out; throws `StepFunctionsApiError`s. */
export type Operation = (engine: StepFunctionsEngine, request: JsonObject) => JsonObject;

const EXECUTION_STATUSES: readonly ExecutionStatus[] = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** The operations served, by the name that follows `AWSStepFunctions.` in `X-Amz-Target`. */
export const operations: Readonly<Record<string, Operation>> = {
  StartExecution: (engine, request) => {
    const record = engine.startExecution({
      stateMachineArn: requiredString(request, "stateMachineArn"),
      name: optionalString(request, "name"),
      input: optionalString(request, "input"),
    });
    return { executionArn: record.executionArn, startDate: epochSeconds(record.startDate) };
  },

  DescribeExecution: (engine, request) => {
    const { record, inputText } = engine.describeExecution(requiredString(request, "executionArn"));
    return {
      ...executionListItem(record),
      input: inputText,
      inputDetails: { included: true },
      ...(record.status === "SUCCEEDED" && { output: JSON.stringify(record.output ?? null), outputDetails: { included: true } }),
      ...(record.error !== undefined && { error: record.error }),
      ...(record.cause !== undefined && { cause: record.cause }),
      ...redriveFields(record),
    };
  },

  ListExecutions: (engine, request) => {
    const status = optionalString(request, "statusFilter");
    if (status !== undefined && !EXECUTION_STATUSES.includes(status as ExecutionStatus)) {
      throw new ValidationError(`Value '${status}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set`);
    }
    const records = engine.listExecutions(requiredString(request, "stateMachineArn"), status as ExecutionStatus | undefined);
    const { items, nextToken } = paginate(records, request, `ListExecutions ${String(request.stateMachineArn)} ${status ?? ""}`);
    return { executions: items.map(executionListItem), ...(nextToken && { nextToken }) };
  },

  GetExecutionHistory: (engine, request) => {
    const history = engine.executionHistory(requiredString(request, "executionArn"));
    const ordered = request.reverseOrder === true ? history.reverse() : history;
    const { items, nextToken } = paginate(ordered, request, `GetExecutionHistory ${String(request.executionArn)} ${request.reverseOrder === true}`);
    const withData = request.includeExecutionData !== false;
    return { events: items.map((event) => historyEventWire(event, withData)), ...(nextToken && { nextToken }) };
  },

  StopExecution: (engine, request) => {
    const stopDate = engine.stopExecution(
      requiredString(request, "executionArn"),
      optionalString(request, "error"),
      optionalString(request, "cause"),
    );
    return { stopDate: epochSeconds(stopDate) };
  },

  SendTaskSuccess: (engine, request) => {
    const token = requiredString(request, "taskToken");
    // AWS checks the token first: an invalid token with invalid output is InvalidToken.
    engine.assertTaskToken(token);
    const output = requiredString(request, "output");
    engine.sendTaskSuccess(token, parseJson(output, () => new InvalidOutputError(`Invalid Output: '${output}'`)));
    return {};
  },

  SendTaskFailure: (engine, request) => {
    engine.sendTaskFailure(requiredString(request, "taskToken"), optionalString(request, "error"), optionalString(request, "cause"));
    return {};
  },

  SendTaskHeartbeat: (engine, request) => {
    engine.sendTaskHeartbeat(requiredString(request, "taskToken"));
    return {};
  },

  ListStateMachines: (engine, request) => {
    const { items, nextToken } = paginate(engine.stateMachines(), request, "ListStateMachines");
    const stateMachines = items.map((machine) => ({
      stateMachineArn: machine.arn,
      name: machine.name,
      type: "STANDARD",
      creationDate: epochSeconds(machine.creationDate),
    }));
    return { stateMachines, ...(nextToken && { nextToken }) };
  },

  DescribeStateMachine: (engine, request) => {
    const machine = engine.stateMachine(requiredString(request, "stateMachineArn"));
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: "ACTIVE",
      definition: machine.definitionText,
      roleArn: machine.roleArn,
      type: "STANDARD",
      creationDate: epochSeconds(machine.creationDate),
    };
  },

  // The definition an execution ran (the console's "Definition" tab of an execution). State
  // machines are never updated locally, so it is the machine's one definition.
  DescribeStateMachineForExecution: (engine, request) => {
    const { record } = engine.describeExecution(requiredString(request, "executionArn"));
    const machine = engine.stateMachine(record.stateMachineArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      definition: machine.definitionText,
      roleArn: machine.roleArn,
      updateDate: epochSeconds(machine.creationDate),
    };
  },
};

function executionListItem(record: ExecutionRecord): JsonObject {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epochSeconds(record.startDate),
    ...(record.stopDate && { stopDate: epochSeconds(record.stopDate) }),
  };
}

/**
 * A history event as sent. With `includeExecutionData: false` AWS leaves out every `input` and
 * `output` (the `…Details` flags stay).
 */
function historyEventWire(event: HistoryEvent, withData: boolean): JsonObject {
  const wire: JsonObject = { ...event, timestamp: epochSeconds(event.timestamp) };
  if (withData) return wire;
  for (const [key, value] of Object.entries(wire)) {
    if (!key.endsWith("EventDetails") || value === null || typeof value !== "object") continue;
    const { input: _input, output: _output, ...rest } = value as JsonObject;
    wire[key] = rest;
  }
  return wire;
}

/**
 * `DescribeExecution`'s redrive fields for a Standard execution never redriven: a running or
 * succeeded one cannot be redriven (with AWS's reason), a failed, timed-out or aborted one can
 * (`RedriveExecution` itself is not served locally).
 */
function redriveFields(record: ExecutionRecord): JsonObject {
  if (record.status === "RUNNING" || record.status === "SUCCEEDED") {
    return { redriveCount: 0, redriveStatus: "NOT_REDRIVABLE", redriveStatusReason: `Execution is ${record.status} and cannot be redriven` };
  }
  return { redriveCount: 0, redriveStatus: "REDRIVABLE" };
}

/**
 * One page of `items` per the request's `maxResults` (0 or absent: 100) and `nextToken`. Tokens
 * are opaque offsets; one this endpoint did not issue is `InvalidToken`, as on AWS.
 */
export function paginate<T>(items: readonly T[], request: JsonObject, listing: string): { items: T[]; nextToken?: string } {
  const maxResults = request.maxResults ?? 0;
  if (!Number.isInteger(maxResults) || (maxResults as number) < 0 || (maxResults as number) > MAX_PAGE_SIZE) {
    throw new ValidationError(`Value '${String(maxResults)}' at 'maxResults' failed to satisfy constraint`);
  }
  const size = (maxResults as number) || DEFAULT_PAGE_SIZE;
  const start = request.nextToken === undefined ? 0 : pageOffset(request.nextToken, listing);
  const end = start + size;
  return { items: items.slice(start, end), ...(end < items.length && { nextToken: pageToken(end, listing) }) };
}

const PAGE_TOKEN_PREFIX = "page:";
// The API's PageToken: 1 to 3096 characters.
const MAX_PAGE_TOKEN_LENGTH = 3096;

// A token names its listing (operation and arguments), so that one issued for another listing
// is refused with InvalidToken, as AWS refuses it.
function pageToken(offset: number, listing: string): string {
  return Buffer.from(`${PAGE_TOKEN_PREFIX}${listingHash(listing)}:${offset}`).toString("base64");
}

function listingHash(listing: string): string {
  return createHash("sha256").update(listing).digest("base64url").slice(0, 16);
}

function pageOffset(token: unknown, listing: string): number {
  if (typeof token === "string" && (token.length < 1 || token.length > MAX_PAGE_TOKEN_LENGTH)) {
    const constraint = token.length < 1 ? "greater than or equal to 1" : `less than or equal to ${MAX_PAGE_TOKEN_LENGTH}`;
    throw new ValidationError(`1 validation error detected: Value at 'nextToken' failed to satisfy constraint: Member must have length ${constraint}`);
  }
  const text = typeof token === "string" ? Buffer.from(token, "base64").toString() : "";
  const prefix = `${PAGE_TOKEN_PREFIX}${listingHash(listing)}:`;
  const offset = text.startsWith(prefix) ? Number(text.slice(prefix.length)) : NaN;
  if (!Number.isInteger(offset) || offset < 0) throw new InvalidTokenError(`Invalid Token: '${String(token)}'`);
  return offset;
}

/** awsJson1.0 sends timestamps as (fractional) epoch seconds. */
function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

function requiredString(request: JsonObject, member: string): string {
  const value = request[member];
  if (typeof value !== "string") {
    throw new ValidationError(`1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

function optionalString(request: JsonObject, member: string): string | undefined {
  return request[member] === undefined || request[member] === null ? undefined : requiredString(request, member);
}
