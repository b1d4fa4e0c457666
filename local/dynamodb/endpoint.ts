/**
 * The local DynamoDB endpoint on the calling thread: one HTTP server speaking DynamoDB's JSON
 * protocol, dynalite's store and request handlers called in process behind it, and what dynalite
 * lacks (transactions, TTL, table ARNs, `ReturnValuesOnConditionCheckFailure`, fault injection,
 * counters) in front. `startLocalDynamo` runs it here or in a worker thread (`worker.ts`).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { TableDeclaration } from "../../functions/common/tables.ts";
import { Constraints, RETURN_VALUES_ON_CONDITION_CHECK_FAILURE } from "./constraints.ts";
import { startEngine, type Engine } from "./engine.ts";
import { DynamoServiceError, hasErrorCode, type JsonObject } from "./errors.ts";
import type { InjectedFault } from "./faults.ts";
import { IdempotencyTokens } from "./idempotency.ts";
import { createDispatch, type Dispatch } from "./dispatch.ts";
import { ItemLocks, ModeGate } from "./item-locks.ts";
import { ReadWriteLock } from "./rw-lock.ts";
import { TableSchemas, keyOf, type TableDescription, type WireItem } from "./schemas.ts";
import { createTables } from "./tables.ts";
import { TimeToLiveSettings, describeTimeToLive, sweepExpiredItems, updateTimeToLive } from "./time-to-live.ts";
import { transactGetItems, transactWriteItems, type TransactionCounters } from "./transactions.ts";
import { UndoLog } from "./undo-log.ts";
import { startHttpServer, type HttpAnswer, type HttpHandler } from "./http-server.ts";
import { errorAnswer, jsonAnswer, MAX_REQUEST_BYTES, parseBody, parseJsonText, targetOperation, tooLargeAnswer, wireAnswer } from "./wire.ts";
import type { LocalDynamo, LocalDynamoOptions } from "./local-dynamo.ts";

/**
 * A fault injector that may answer later: in a worker thread the injector lives on the caller's
 * thread (see `worker.ts`).
 */
export interface FaultSource {
  decide(operation: string, request: unknown): InjectedFault | undefined | Promise<InjectedFault | undefined>;
}

/** {@link startEndpoint}'s options: `startLocalDynamo`'s, with a fault source that may answer later. */
export type EndpointOptions = Omit<LocalDynamoOptions, "thread" | "faults"> & { readonly faults?: FaultSource };


const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

/** Counters the front server keeps; {@link LocalDynamo.stats} snapshots them. */
interface Counters {
  readonly requests: Map<string, number>;
  readonly transactions: TransactionCounters;
  faultsInjected: number;
  expiredItemsDeleted: number;
}

/** Opens the engine and starts the front server on this thread; resolves once it listens. */
export async function startEndpoint(options: EndpointOptions = {}): Promise<LocalDynamo> {
  const now = options.now ?? Date.now;
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const settings = await TimeToLiveSettings.load(options.dataDir && join(options.dataDir, "time-to-live.json"));
  const engine = await startEngine(options.dataDir && join(options.dataDir, "leveldb"));
  const undo = new UndoLog(options.dataDir && join(options.dataDir, "transaction-undo.json"));
  try {
    // A transaction the last process was killed in the middle of is undone before any request.
    await undo.recover(engine);
  } catch (error) {
    await engine.close();
    throw error;
  }
  const schemas = new TableSchemas(async (TableName) => (await engine.call("DescribeTable", { TableName })).Table as TableDescription);
  const tableLock = new ReadWriteLock();
  const locks = new ItemLocks();
  const gate = new ModeGate<"read" | "commit">();
  const counters: Counters = {
    requests: new Map(),
    transactions: { committed: 0, cancelled: 0, replayed: 0, rolledBack: 0 },
    faultsInjected: 0,
    expiredItemsDeleted: 0,
  };
  const transactionContext = { engine, schemas, locks, gate, tokens: new IdempotencyTokens(now), counters: counters.transactions, undo };
  const ttlContext = { settings, schemas };

  const dispatch = createDispatch({
    engine,
    schemas,
    locks,
    gate,
    tableLock,
    handlers: {
      TransactWriteItems: (body) => transactWriteItems(body, transactionContext),
      TransactGetItems: (body) => transactGetItems(body, transactionContext),
      UpdateTimeToLive: (body) => updateTimeToLive(body, ttlContext),
      DescribeTimeToLive: (body) => describeTimeToLive(body, ttlContext),
      UpdateTable: (body) => changeTable(engine, ttlContext, "UpdateTable", body),
      DeleteTable: (body) => changeTable(engine, ttlContext, "DeleteTable", body),
    },
    singleWrite: (operation, checked, body) => singleWrite(engine, schemas, operation, checked, body),
  });

  const answer = front(dispatch, options.faults, counters);
  let server;
  try {
    // Every request's Host is checked to be a loopback name first (`loopback.ts`): a page whose DNS
    // name rebinds to 127.0.0.1 must not reach the tables.
    server = await startHttpServer(options.host ?? "127.0.0.1", options.port ?? 0, frontHandler(answer), {
      maxBodyBytes: MAX_REQUEST_BYTES,
      tooLarge: tooLargeAnswer,
    });
  } catch (error) {
    await engine.close();
    throw error;
  }

  const sweeper = startSweeper(async () => {
    const deleted = await sweepExpiredItems({ ...ttlContext, call: dispatch, now });
    counters.expiredItemsDeleted += deleted;
    return deleted;
  }, options.ttlSweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);

  const shutdown = async (): Promise<void> => {
    await sweeper.stop();
    const closed = server.close();
    // Requests already admitted hold or wait for the lock: once an exclusive turn comes up they are
    // all done, and what remains are idle keep-alive connections.
    await tableLock.exclusive(async () => undefined);
    server.closeAllConnections();
    await closed;
    await engine.close();
  };
  let closing: Promise<void> | undefined;

  return {
    endpoint: server.url,
    serve: (target, body) => answer(target, () => parseJsonText(body)).then(wireAnswer),
    createTables: (declarations, prefix) => createTables(declarations, prefix, dispatch),
    sweepExpiredItems: sweeper.sweep,
    stats: () => ({
      requests: Object.fromEntries(counters.requests),
      transactions: { ...counters.transactions },
      faultsInjected: counters.faultsInjected,
      expiredItemsDeleted: counters.expiredItemsDeleted,
    }),
    close: () => (closing ??= shutdown()),
  };
}

/**
 * Answers one request of the JSON protocol, however it arrived (HTTP, or handed over by the
 * gateway without one): counters and fault injection around `dispatch`. Never rejects: an error is
 * its answer.
 */
type Front = (target: string | undefined, read: () => JsonObject) => Promise<HttpAnswer>;

function front(dispatch: Dispatch, faults: FaultSource | undefined, counters: Counters): Front {
  return async (target, read) => {
    const operation = targetOperation(target);
    if (!operation) return errorAnswer(new DynamoServiceError("UnknownOperationException", "", 400, {}, "com.amazon.coral.service"));
    counters.requests.set(operation, (counters.requests.get(operation) ?? 0) + 1);
    try {
      const body = read();
      const fault = faults && (await faults.decide(operation, body));
      if (fault) {
        counters.faultsInjected++;
        throw new DynamoServiceError(fault.code, fault.message, fault.status);
      }
      return jsonAnswer(200, await dispatch(operation, body));
    } catch (error) {
      return errorAnswer(error);
    }
  };
}

/** The front server's request handler. */
function frontHandler(answer: Front): HttpHandler {
  return (request) => answer(request.headers["x-amz-target"], () => parseBody(request.body));
}

/**
 * Runs `sweepOnce` every `intervalMs` (0: never) and on demand, one sweep at a time: a caller
 * arriving mid-sweep shares the running one.
 */
function startSweeper(sweepOnce: () => Promise<number>, intervalMs: number) {
  let running: Promise<number> | undefined;
  const sweep = (): Promise<number> => (running ??= sweepOnce().finally(() => (running = undefined)));
  const timer =
    intervalMs > 0
      ? setInterval(() => sweep().catch((error: unknown) => console.error("local dynamodb: TTL sweep failed:", error)), intervalMs).unref()
      : undefined;
  return {
    sweep,
    async stop(): Promise<void> {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

/**
 * A single-item write, adding what dynalite ignores: `ReturnValuesOnConditionCheckFailure`. The
 * caller holds the item's lock, so the item read after a failed condition is the one that failed it.
 */
async function singleWrite(engine: Engine, schemas: TableSchemas, operation: string, checked: JsonObject, body: JsonObject): Promise<JsonObject> {
  const constraints = new Constraints();
  constraints.oneOf(body.ReturnValuesOnConditionCheckFailure, "returnValuesOnConditionCheckFailure", RETURN_VALUES_ON_CONDITION_CHECK_FAILURE);
  constraints.check();
  try {
    return await engine.run(operation, checked);
  } catch (error) {
    if (!hasErrorCode(error, "ConditionalCheckFailedException") || body.ReturnValuesOnConditionCheckFailure !== "ALL_OLD") throw error;
    const table = await schemas.get(body.TableName as string);
    const key = operation === "PutItem" ? keyOf(body.Item as WireItem, table) : (body.Key as WireItem);
    const { Item } = await engine.call("GetItem", { TableName: table.TableName, Key: key, ConsistentRead: true });
    throw Item ? error.withFields({ Item }) : error;
  }
}

/** Forwards a table change, then drops what the front server knew about the table. */
async function changeTable(
  engine: Engine,
  context: { readonly settings: TimeToLiveSettings; readonly schemas: TableSchemas },
  operation: "UpdateTable" | "DeleteTable",
  body: JsonObject,
): Promise<JsonObject> {
  const result = await engine.call(operation, body);
  const tableName = String(body.TableName);
  context.schemas.forget(tableName);
  if (operation === "DeleteTable" && context.settings.attributeOf(tableName)) await context.settings.set(tableName, undefined);
  return result;
}
