/**
 * dynalite's own request validators and condition evaluator, reused so a condition inside a
 * transaction is judged by exactly the code that judges it on a single-item write: one parser,
 * one evaluator, one set of error messages. dynalite is pinned (4.0.0), and these modules are its
 * internals, hence the narrow typed facade below.
 */
import { createRequire } from "node:module";
import { DynamoServiceError, type JsonObject } from "./errors.ts";
import "./expression-memo.ts";
import { convertTypes } from "./check-types.ts";
import "./key-memo.ts";
import type { TableDescription, WireItem } from "./schemas.ts";

interface ActionValidation {
  readonly types: JsonObject;
  readonly custom?: (data: JsonObject, store: unknown) => string | undefined;
}

interface DynaliteValidations {
  checkValidations(data: JsonObject, types: JsonObject, custom: ActionValidation["custom"], store: unknown): void;
}

/** dynalite reports failures as errors (thrown or returned) carrying the wire status and body. */
interface DynaliteError {
  readonly statusCode: number;
  readonly body: JsonObject;
}

type Verdict = DynaliteError | null | undefined;

interface DynaliteDb {
  validateKey(key: WireItem, table: TableDescription): Verdict;
  validateItem(item: WireItem, table: TableDescription): Verdict;
  validateUpdates(attributeUpdates: unknown, expressionUpdates: unknown, table: TableDescription): Verdict;
  createKey(item: WireItem, table: TableDescription): string;
  checkConditional(data: JsonObject, existingItem: WireItem | undefined): Verdict;
}

const require = createRequire(import.meta.url);
const validations = require("dynalite/validations/index.js") as DynaliteValidations;
const db = require("dynalite/db/index.js") as DynaliteDb;

/** The single-item operations a transaction's items are validated as. */
export type ItemOperation = "PutItem" | "UpdateItem" | "DeleteItem" | "GetItem";

const actionValidations: Record<ItemOperation, ActionValidation> = {
  PutItem: require("dynalite/validations/putItem.js") as ActionValidation,
  UpdateItem: require("dynalite/validations/updateItem.js") as ActionValidation,
  DeleteItem: require("dynalite/validations/deleteItem.js") as ActionValidation,
  GetItem: require("dynalite/validations/getItem.js") as ActionValidation,
};

/** The item size limit dynalite enforces by default (400 KB), needed by its PutItem validator. */
const VALIDATION_STORE = { options: { maxItemSize: 400 * 1024 } };

/** A request that passed validation, with dynalite's parsed expressions attached. */
export interface CheckedRequest {
  readonly table: TableDescription;
  readonly parsed: JsonObject;
}

/**
 * Validates `request` as a single-item `operation`: parameter types, table name, expressions and
 * their attribute names/values, then (looking the table up) key schema and updates to key
 * attributes.
 * @throws DynamoServiceError (`ValidationException`, `SerializationException`,
 *   `ResourceNotFoundException`) as the engine would.
 */
export async function checkItemRequest(
  operation: ItemOperation,
  request: JsonObject,
  lookup: (tableName: string) => Promise<TableDescription>,
): Promise<CheckedRequest> {
  const { types, custom } = actionValidations[operation];
  let parsed: JsonObject;
  try {
    // convertTypes leaves the request as it was (the transaction reads it again, and fingerprints it).
    parsed = convertTypes(request, types as Parameters<typeof convertTypes>[1]) as JsonObject;
    validations.checkValidations(parsed, types, custom, VALIDATION_STORE);
  } catch (error) {
    throw asServiceError(error);
  }
  const table = await lookup(parsed.TableName as string);
  raise(schemaVerdict(operation, parsed, table));
  return { table, parsed };
}

function schemaVerdict(operation: ItemOperation, parsed: JsonObject, table: TableDescription): Verdict {
  switch (operation) {
    case "PutItem":
      return db.validateItem(parsed.Item as WireItem, table);
    case "UpdateItem":
      return db.validateKey(parsed.Key as WireItem, table) ?? db.validateUpdates(parsed.AttributeUpdates, parsed._updates, table);
    case "DeleteItem":
    case "GetItem":
      return db.validateKey(parsed.Key as WireItem, table);
  }
}

/** Whether the request's condition (if any) holds against the item's current image. */
export function conditionHolds(request: CheckedRequest, existingItem: WireItem | undefined): boolean {
  return !db.checkConditional(request.parsed, existingItem);
}

/**
 * A string identifying an item within its table, as the engine keys it (so `{"N":"1"}` and
 * `{"N":"1.0"}` name the same item). `keySource` must have passed validation.
 */
export function itemIdentity(keySource: WireItem, table: TableDescription): string {
  return db.createKey(keySource, table);
}

function raise(verdict: Verdict): void {
  if (verdict) throw asServiceError(verdict);
}

function asServiceError(error: unknown): unknown {
  return isDynaliteError(error) ? DynamoServiceError.fromWire(error.statusCode, error.body) : error;
}

function isDynaliteError(value: unknown): value is DynaliteError {
  return typeof value === "object" && value !== null && "statusCode" in value && "body" in value;
}
