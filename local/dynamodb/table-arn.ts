/**
 * Table ARNs where DynamoDB accepts `TableName`: every data-plane operation (item, batch, query,
 * scan, transactions) and `DescribeTable` take `arn:aws:dynamodb:<region>:<account>:table/<name>`
 * as well as the name (API reference: "The name of the table ... You can also provide the Amazon
 * Resource Name (ARN) of the table in this parameter").
 *
 * The engine only knows names, so a request's ARNs are turned into names before it runs, and the
 * answer is turned back where DynamoDB echoes what the caller wrote: the keys of `BatchGetItem`'s
 * `Responses`/`UnprocessedKeys`, `BatchWriteItem`'s `UnprocessedItems`/`ItemCollectionMetrics`, and
 * `ConsumedCapacity.TableName` ("If you had specified the ARN of a table in the input, you'll see
 * the table ARN in the response"). `DescribeTable` answers with the table's name and `TableArn`.
 */
import { DynamoServiceError, type JsonObject } from "./errors.ts";

/** Operations whose `TableName` may be an ARN. */
const SINGLE_TABLE = new Set(["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "DescribeTable"]);
const TRANSACTION_KINDS = ["Get", "Put", "Update", "Delete", "ConditionCheck"] as const;

const TABLE_ARN = /^arn:aws[a-z-]*:dynamodb:([a-z0-9-]+):(\d{12}|[\d-]+):table\/([a-zA-Z0-9_.-]{3,255})$/;

/** ARN -> name, for the ARNs a request used; `undefined` when it used none. */
export type ArnNames = ReadonlyMap<string, string>;

/**
 * Replaces table ARNs by names in `body` (in place).
 * @param tableArnPrefix `arn:aws:dynamodb:<region>:<account>:table/` of this endpoint: an ARN of
 *   another region or account names a table that is not here.
 * @returns what was replaced, to restore the caller's spelling in the answer.
 * @throws DynamoServiceError `ResourceNotFoundException` for an ARN of another region or account.
 */
export function resolveTableArns(operation: string, body: JsonObject, tableArnPrefix: string): ArnNames | undefined {
  let replaced: Map<string, string> | undefined;
  const toName = (value: unknown): unknown => {
    if (typeof value !== "string" || !value.startsWith("arn:")) return value;
    const match = TABLE_ARN.exec(value);
    if (!match) return value; // Left to the engine's validation, which refuses it as a name.
    const [, , , region, account] = tableArnPrefix.split(":");
    if (match[1] !== region || match[2] !== account) {
      throw new DynamoServiceError("ResourceNotFoundException", `Requested resource not found: Table: ${value} not found`);
    }
    (replaced ??= new Map()).set(value, match[3]!);
    return match[3];
  };

  if (SINGLE_TABLE.has(operation)) {
    body.TableName = toName(body.TableName);
  } else if (operation === "BatchGetItem" || operation === "BatchWriteItem") {
    const items = body.RequestItems;
    if (isObject(items)) body.RequestItems = renameKeys(items, (key) => toName(key) as string);
  } else if (operation === "TransactWriteItems" || operation === "TransactGetItems") {
    if (Array.isArray(body.TransactItems)) {
      for (const item of body.TransactItems) {
        if (!isObject(item)) continue;
        for (const kind of TRANSACTION_KINDS) {
          const request = item[kind];
          if (isObject(request)) request.TableName = toName(request.TableName);
        }
      }
    }
  }
  return replaced;
}

/** Puts the caller's ARNs back into an answer, where DynamoDB echoes them. */
export function restoreTableArns(operation: string, result: JsonObject, arns: ArnNames): JsonObject {
  const toArn = new Map([...arns].map(([arn, name]) => [name, arn]));
  const spelled = (name: string) => toArn.get(name) ?? name;
  const out: JsonObject = { ...result };
  for (const member of ["Responses", "UnprocessedKeys", "UnprocessedItems", "ItemCollectionMetrics"]) {
    const value = out[member];
    if (isObject(value) && (operation === "BatchGetItem" || operation === "BatchWriteItem")) out[member] = renameKeys(value, spelled);
  }
  const capacity = out.ConsumedCapacity;
  if (Array.isArray(capacity)) out.ConsumedCapacity = capacity.map((entry) => withTableName(entry, spelled));
  else if (isObject(capacity)) out.ConsumedCapacity = withTableName(capacity, spelled);
  return out;
}

function withTableName(entry: unknown, spelled: (name: string) => string): unknown {
  return isObject(entry) && typeof entry.TableName === "string" ? { ...entry, TableName: spelled(entry.TableName) } : entry;
}

function renameKeys(object: JsonObject, rename: (key: string) => string): JsonObject {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [rename(key), value]));
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
