/**
 * `TransactWriteItems` and `TransactGetItems` on top of an engine that has neither.
 *
 * A transaction locks its items (exclusively to write, shared to read; in sorted order, so two
 * transactions cannot deadlock), so no other write to them can come between the steps below; while
 * it applies its writes it also holds the commit side of the gate that Query, Scan and BatchGetItem
 * pass in the other mode, so they never see it half applied (see `item-locks.ts`).
 *
 * A write transaction is validated as a whole, then every item's current image is read and every
 * condition evaluated (by dynalite's own evaluator) before anything is written. Only when all hold
 * are the writes applied; a write the engine still rejects (a data-dependent error such as `ADD` to
 * a string) makes the already-applied writes roll back to the images read, so the outcome is
 * all-or-nothing — also across a kill of the process: on a data directory the writes reach LevelDB
 * as one batch (`Engine.capture`), which LevelDB applies whole or not at all; where that cannot
 * cover every write (a table with secondary indexes, whose entries dynalite writes apart), through
 * the {@link UndoLog}.
 */
import type { Engine, WriteCapture } from "./engine.ts";
import type { ItemLocks, ModeGate } from "./item-locks.ts";
import { Constraints, RETURN_VALUES_ON_CONDITION_CHECK_FAILURE, memberPath, objectMember } from "./constraints.ts";
import {
  DynamoServiceError,
  SerializationError,
  TransactionCanceledError,
  ValidationError,
  type CancellationReason,
  type JsonObject,
} from "./errors.ts";
import type { IdempotencyTokens } from "./idempotency.ts";
import { checkItemRequest, conditionHolds, itemIdentity, type CheckedRequest, type ItemOperation } from "./internals.ts";
import { keyOf, type TableSchemas, type WireItem } from "./schemas.ts";
import type { UndoLog } from "./undo-log.ts";

/** DynamoDB's limit on items per transaction. */
const MAX_TRANSACTION_ITEMS = 100;

/** Transaction outcomes, for observability. */
export interface TransactionCounters {
  committed: number;
  cancelled: number;
  /** Requests answered from an earlier commit with the same `ClientRequestToken`. */
  replayed: number;
  /** Cancellations that had to undo writes already applied. */
  rolledBack: number;
}

/** What the transaction handlers need. */
export interface TransactionContext {
  readonly engine: Pick<Engine, "call" | "run" | "capture" | "readItem">;
  readonly schemas: TableSchemas;
  readonly locks: ItemLocks;
  /** Passed in `commit` mode while writes are applied; multi-item reads pass it in `read` mode. */
  readonly gate: ModeGate<"read" | "commit">;
  readonly tokens: IdempotencyTokens;
  readonly counters: TransactionCounters;
  /** Where the images wait while writes are applied, so that a kill cannot leave half a transaction. */
  readonly undo?: UndoLog;
}

type WriteKind = "ConditionCheck" | "Put" | "Delete" | "Update";

interface KindRules {
  /** The single-item operation whose validation rules apply to the item. */
  readonly validateAs: ItemOperation;
  /** The single-item operation that applies it; a condition check writes nothing. */
  readonly applyAs?: "PutItem" | "UpdateItem" | "DeleteItem";
  /** Members DynamoDB requires in a transaction even where the single-item operation does not. */
  readonly required: readonly string[];
}

const WRITE_KINDS: Readonly<Record<WriteKind, KindRules>> = {
  ConditionCheck: { validateAs: "DeleteItem", required: ["Key", "TableName", "ConditionExpression"] },
  Put: { validateAs: "PutItem", applyAs: "PutItem", required: ["Item", "TableName"] },
  Delete: { validateAs: "DeleteItem", applyAs: "DeleteItem", required: ["Key", "TableName"] },
  Update: { validateAs: "UpdateItem", applyAs: "UpdateItem", required: ["Key", "UpdateExpression", "TableName"] },
};

const NO_REASON: CancellationReason = { Code: "None" };

/** One operation of a write transaction, as given. */
interface WriteRequest {
  readonly kind: WriteKind;
  readonly request: JsonObject;
}

/** One operation of a write transaction, validated against its table. */
interface PlannedWrite extends WriteRequest {
  readonly checked: CheckedRequest;
  readonly key: WireItem;
}

/**
 * Handles `TransactWriteItems`, locking its items (and its `ClientRequestToken`) for its duration.
 * @throws ValidationError, TransactionCanceledError, IdempotentParameterMismatchError, or an
 *   engine error such as `ResourceNotFoundException`.
 */
export async function transactWriteItems(body: JsonObject, context: TransactionContext): Promise<JsonObject> {
  const writes = await Promise.all(readWriteEnvelope(body).map((write) => planWrite(write, context.schemas)));
  const identities = assertDistinctItems(writes);

  const token = body.ClientRequestToken as string | undefined;
  // Two requests with one token run one after the other, so the second sees the first's outcome.
  const locked = token === undefined ? identities : [...identities, `\u0001token\u0000${token}`];
  return context.locks.with(locked, true, async () => {
    if (token !== undefined && context.tokens.isReplay(token, body)) {
      context.counters.replayed++;
      return {};
    }

    // Read straight from the store: the items are locked, their keys validated, their tables known.
    const images = writes.map(({ checked: { table }, key }) => context.engine.readItem(table.TableName, itemIdentity(key, table)) as WireItem | undefined);
    const reasons = writes.map((write, i) => conditionReason(write, images[i]));
    if (reasons.some((reason) => reason !== NO_REASON)) {
      context.counters.cancelled++;
      throw new TransactionCanceledError(reasons);
    }

    // One write is atomic by itself: only several can be seen half applied.
    const applied = writes.filter((write) => WRITE_KINDS[write.kind].applyAs).length;
    await (applied > 1 ? context.gate.with("commit", () => applyAll(writes, images, context)) : applyAll(writes, images, context));
    if (token !== undefined) context.tokens.remember(token, body);
    context.counters.committed++;
    return {};
  });
}

/**
 * Handles `TransactGetItems`, holding its items' locks shared while it reads them.
 * @throws ValidationError, or an engine error such as `ResourceNotFoundException`.
 */
export async function transactGetItems(body: JsonObject, context: Pick<TransactionContext, "engine" | "schemas" | "locks">): Promise<JsonObject> {
  const gets = readGetEnvelope(body);
  const checked = await Promise.all(gets.map((get) => checkItemRequest("GetItem", get, (name) => context.schemas.get(name))));
  const identities = assertDistinctItems(checked.map((check) => ({ checked: check, key: check.parsed.Key as WireItem })));
  const responses = await context.locks.with(identities, false, () =>
    Promise.all(gets.map((get) => context.engine.call("GetItem", { ...get, ConsistentRead: true }))),
  );
  return { Responses: responses.map(({ Item }) => (Item ? { Item } : {})) };
}

/** Checks the request's shape and splits it into one operation per item. */
function readWriteEnvelope(body: JsonObject): WriteRequest[] {
  const items = transactItems(body);
  const constraints = new Constraints();
  constraints.notNull(items, "transactItems");
  constraints.length(items, "transactItems", 1, MAX_TRANSACTION_ITEMS);
  constraints.length(stringMember(body.ClientRequestToken, "ClientRequestToken"), "clientRequestToken", 1, 36);
  const writes = (items ?? []).map((item, i) => readWriteItem(item, `transactItems.${i + 1}.member`, constraints));
  constraints.check();
  return writes.map((write) => {
    if (write.length !== 1) throw new ValidationError("TransactItems can only contain one of Check, Put, Update or Delete");
    return write[0] as WriteRequest;
  });
}

/** The operations an item holds (exactly one when valid), recording constraint violations. */
function readWriteItem(item: unknown, path: string, constraints: Constraints): WriteRequest[] {
  const members = objectMember(item, "TransactWriteItem") ?? {};
  return (Object.keys(WRITE_KINDS) as WriteKind[]).flatMap((kind) => {
    const request = objectMember(members[kind], kind);
    if (!request) return [];
    const kindPath = `${path}.${memberPath(kind)}`;
    for (const name of WRITE_KINDS[kind].required) constraints.notNull(request[name], `${kindPath}.${memberPath(name)}`);
    constraints.oneOf(
      request.ReturnValuesOnConditionCheckFailure,
      `${kindPath}.returnValuesOnConditionCheckFailure`,
      RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
    );
    return [{ kind, request }];
  });
}

function readGetEnvelope(body: JsonObject): JsonObject[] {
  const items = transactItems(body);
  const constraints = new Constraints();
  constraints.notNull(items, "transactItems");
  constraints.length(items, "transactItems", 1, MAX_TRANSACTION_ITEMS);
  const gets = (items ?? []).map((item, i) => {
    const get = objectMember(objectMember(item, "TransactGetItem")?.Get, "Get");
    constraints.notNull(get, `transactItems.${i + 1}.member.get`);
    return get;
  });
  constraints.check();
  return gets as JsonObject[];
}

function transactItems(body: JsonObject): readonly unknown[] | undefined {
  const items = body.TransactItems;
  if (items === undefined || items === null) return undefined;
  if (!Array.isArray(items)) throw new SerializationError("TransactItems must be a list");
  return items;
}

function stringMember(value: unknown, name: string): string | undefined {
  if (value === undefined || typeof value === "string") return value;
  throw new SerializationError(`${name} must be a string`);
}

async function planWrite(write: WriteRequest, schemas: TableSchemas): Promise<PlannedWrite> {
  const checked = await checkItemRequest(WRITE_KINDS[write.kind].validateAs, write.request, (name) => schemas.get(name));
  const key = write.kind === "Put" ? keyOf(checked.parsed.Item as WireItem, checked.table) : (checked.parsed.Key as WireItem);
  return { ...write, checked, key };
}

/**
 * DynamoDB refuses a transaction naming one item twice, whatever the operations.
 * @returns the items' identities, as the front server locks them.
 */
function assertDistinctItems(items: readonly { readonly checked: CheckedRequest; readonly key: WireItem }[]): string[] {
  const seen = new Set<string>();
  for (const { checked, key } of items) {
    const identity = lockIdentity(checked.table.TableName, itemIdentity(key, checked.table));
    if (seen.has(identity)) throw new ValidationError("Transaction request cannot include multiple operations on one item");
    seen.add(identity);
  }
  return [...seen];
}

/** How the front server names an item in its locks: table and engine key. */
export function lockIdentity(tableName: string, engineKey: string): string {
  return `${tableName}\u0000${engineKey}`;
}

function conditionReason(write: PlannedWrite, image: WireItem | undefined): CancellationReason {
  if (conditionHolds(write.checked, image)) return NO_REASON;
  const returnImage = write.request.ReturnValuesOnConditionCheckFailure === "ALL_OLD" && image !== undefined;
  return { Code: "ConditionalCheckFailed", Message: "The conditional request failed", ...(returnImage ? { Item: image } : {}) };
}

/**
 * Applies every write; if any fails, undoes those applied, then fails the request. On a data
 * directory the writes are held back and reach LevelDB in one batch once all are applied (nothing
 * to undo on disk: a failure drops them); with secondary indexes involved, the images wait in the
 * undo log while the writes are applied one by one, and a failure restores them.
 */
async function applyAll(writes: readonly PlannedWrite[], images: readonly (WireItem | undefined)[], context: TransactionContext): Promise<void> {
  const changed = writes.filter((write) => WRITE_KINDS[write.kind].applyAs);
  const capture = captureWrites(changed, context);
  const record = capture ? undefined : context.undo?.begin(writes.flatMap((write, i) => (WRITE_KINDS[write.kind].applyAs ? [{ TableName: write.checked.table.TableName, key: write.key, image: images[i] }] : [])));
  const outcomes = await Promise.allSettled(
    writes.map(({ kind, checked }) => {
      const operation = WRITE_KINDS[kind].applyAs;
      // The request as validated (expressions parsed), exactly what the engine would run.
      return operation ? context.engine.run(operation, checked.parsed) : Promise.resolve({});
    }),
  );
  if (outcomes.every((outcome) => outcome.status === "fulfilled")) {
    if (capture) await capture.commit();
    else context.undo?.end(record);
    return;
  }

  if (capture) capture.discard();
  else {
    await Promise.all(
      writes.map((write, i) =>
        outcomes[i]?.status === "fulfilled" && WRITE_KINDS[write.kind].applyAs ? restore(context.engine, write, images[i]) : undefined,
      ),
    );
    context.undo?.end(record);
  }
  context.counters.rolledBack++;
  const reasons = outcomes.map((outcome) => (outcome.status === "fulfilled" ? NO_REASON : itemFailureReason(outcome.reason)));
  context.counters.cancelled++;
  throw new TransactionCanceledError(reasons);
}

/** The engine's capture of the writes' items, when it has one and it covers every write (no table with secondary indexes). */
function captureWrites(writes: readonly PlannedWrite[], context: TransactionContext): WriteCapture | undefined {
  const capture = context.engine.capture;
  if (!capture || writes.some(({ checked: { table } }) => table.GlobalSecondaryIndexes?.length || table.LocalSecondaryIndexes?.length)) return undefined;
  return capture(writes.map(({ checked: { table }, key }) => ({ tableName: table.TableName, itemKey: itemIdentity(key, table) })));
}

async function restore(engine: TransactionContext["engine"], write: PlannedWrite, image: WireItem | undefined): Promise<void> {
  const TableName = write.checked.table.TableName;
  await (image ? engine.call("PutItem", { TableName, Item: image }) : engine.call("DeleteItem", { TableName, Key: write.key }));
}

/** Engine errors that are an item's own doing, by the cancellation reason DynamoDB reports for them. */
const ITEM_FAILURE_CODES: Readonly<Record<string, string>> = {
  // Errors that depend on an item's contents (wrong operand type, item grown past 400 KB).
  ValidationException: "ValidationError",
  // Only if something wrote to the engine behind the front server's back.
  ConditionalCheckFailedException: "ConditionalCheckFailed",
};

/** The cancellation reason for a failed write; rethrows failures that are not the item's doing. */
function itemFailureReason(error: unknown): CancellationReason {
  const code = error instanceof DynamoServiceError ? ITEM_FAILURE_CODES[error.code] : undefined;
  if (!code) throw error;
  return { Code: code, Message: (error as DynamoServiceError).message };
}
