/**
 * `UpdateTimeToLive` / `DescribeTimeToLive`, which dynalite lacks, and a sweeper deleting expired
 * items. Settings live in memory and, with a data directory, in a small JSON file next to the
 * LevelDB store, so they survive restarts with the tables they describe.
 *
 * Like DynamoDB, expiry is not a read filter: an expired item stays visible until swept. An item
 * expires when its TTL attribute is a number of epoch seconds below the current time; items whose
 * attribute is missing or not a number never expire.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { Constraints, objectMember } from "./constraints.ts";
import { ValidationError, hasErrorCode, type JsonObject } from "./errors.ts";
import { keyOf, type TableSchemas, type WireItem } from "./schemas.ts";

/** Table name -> TTL attribute, for tables with TTL enabled. */
export class TimeToLiveSettings {
  private constructor(
    private readonly file: string | undefined,
    private readonly attributes: Map<string, string>,
  ) {}

  /** Loads the settings saved in `file` (none when it does not exist); memory-only without a file. */
  static async load(file?: string): Promise<TimeToLiveSettings> {
    const saved = file ? await readSaved(file) : {};
    return new TimeToLiveSettings(file, new Map(Object.entries(saved)));
  }

  /** The TTL attribute of `tableName`, when TTL is enabled. */
  attributeOf(tableName: string): string | undefined {
    return this.attributes.get(tableName);
  }

  /** Tables with TTL enabled, with their attribute. */
  enabled(): [tableName: string, attribute: string][] {
    return [...this.attributes];
  }

  /** Enables (with an attribute) or disables (`undefined`) TTL on a table. */
  async set(tableName: string, attribute: string | undefined): Promise<void> {
    if (attribute === undefined) this.attributes.delete(tableName);
    else this.attributes.set(tableName, attribute);
    if (!this.file) return;
    // Write-then-rename: a crash mid-write must not leave a torn file that fails the next start.
    const temporary = `${this.file}.tmp`;
    await writeFile(temporary, JSON.stringify(Object.fromEntries(this.attributes), null, 2));
    await rename(temporary, this.file);
  }
}

async function readSaved(file: string): Promise<Record<string, string>> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as Record<string, string>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
}

/** What the TTL handlers need. */
export interface TimeToLiveContext {
  readonly settings: TimeToLiveSettings;
  readonly schemas: TableSchemas;
}

/** The specification an `UpdateTimeToLive` request carries. */
interface TimeToLiveSpecification {
  readonly Enabled: boolean;
  readonly AttributeName: string;
}

/** Handles `UpdateTimeToLive`. The caller must hold the table lock exclusively. */
export async function updateTimeToLive(body: JsonObject, context: TimeToLiveContext): Promise<JsonObject> {
  const specification = readSpecification(body);
  const tableName = body.TableName as string;
  await context.schemas.get(tableName);
  const next = nextAttribute(context.settings.attributeOf(tableName), specification);
  await context.settings.set(tableName, next);
  return { TimeToLiveSpecification: specification };
}

/** Handles `DescribeTimeToLive`. */
export async function describeTimeToLive(body: JsonObject, context: TimeToLiveContext): Promise<JsonObject> {
  const constraints = new Constraints();
  constraints.notNull(body.TableName, "tableName");
  constraints.check();
  const tableName = String(body.TableName);
  await context.schemas.get(tableName);
  const attribute = context.settings.attributeOf(tableName);
  return {
    TimeToLiveDescription: attribute ? { TimeToLiveStatus: "ENABLED", AttributeName: attribute } : { TimeToLiveStatus: "DISABLED" },
  };
}

function readSpecification(body: JsonObject): TimeToLiveSpecification {
  const specification = objectMember(body.TimeToLiveSpecification, "TimeToLiveSpecification");
  const constraints = new Constraints();
  constraints.notNull(body.TableName, "tableName");
  constraints.notNull(specification, "timeToLiveSpecification");
  if (specification) {
    constraints.notNull(specification.Enabled, "timeToLiveSpecification.enabled");
    constraints.notNull(specification.AttributeName, "timeToLiveSpecification.attributeName");
    if (typeof specification.AttributeName === "string") {
      constraints.length(specification.AttributeName, "timeToLiveSpecification.attributeName", 1, 255);
    }
  }
  constraints.check();
  return { Enabled: specification?.Enabled === true, AttributeName: String(specification?.AttributeName) };
}

/**
 * The TTL attribute after applying `specification` to a table whose current one is `current`.
 * DynamoDB refuses no-op changes and switching attributes without disabling first.
 * @throws ValidationError
 */
function nextAttribute(current: string | undefined, specification: TimeToLiveSpecification): string | undefined {
  if (current !== undefined && current !== specification.AttributeName) {
    throw new ValidationError(`TimeToLive is active on a different AttributeName: current AttributeName is ${current}`);
  }
  if (specification.Enabled === (current !== undefined)) {
    throw new ValidationError(`TimeToLive is already ${specification.Enabled ? "enabled" : "disabled"}`);
  }
  return specification.Enabled ? specification.AttributeName : undefined;
}

/** What the sweeper needs. */
export interface SweepContext extends TimeToLiveContext {
  /** Runs an operation through the front server's locks (the scan reads many items, the delete locks one). */
  readonly call: (operation: string, body: JsonObject) => Promise<JsonObject>;
  /** Current time, epoch milliseconds. */
  readonly now: () => number;
}

/**
 * Deletes the items whose TTL has passed, in every table with TTL enabled; returns how many.
 * Reads page by page and deletes one item at a time, each under its item's lock, with the expiry as
 * the delete's condition: an item whose TTL was extended meanwhile stays.
 */
export async function sweepExpiredItems(context: SweepContext): Promise<number> {
  const nowSeconds = { N: String(Math.floor(context.now() / 1000)) };
  let deleted = 0;
  for (const [tableName, attribute] of context.settings.enabled()) {
    const table = await context.schemas.get(tableName);
    const expired = {
      ConditionExpression: "#ttl < :now",
      ExpressionAttributeNames: { "#ttl": attribute },
      ExpressionAttributeValues: { ":now": nowSeconds },
    };
    let startKey: JsonObject | undefined;
    do {
      const page = await context.call("Scan", {
        TableName: tableName,
        FilterExpression: expired.ConditionExpression,
        ExpressionAttributeNames: expired.ExpressionAttributeNames,
        ExpressionAttributeValues: expired.ExpressionAttributeValues,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      });
      for (const item of (page.Items ?? []) as WireItem[]) {
        if (await deleteIfExpired(context, { TableName: tableName, Key: keyOf(item, table), ...expired })) deleted++;
      }
      startKey = page.LastEvaluatedKey as JsonObject | undefined;
    } while (startKey);
  }
  return deleted;
}

async function deleteIfExpired(context: SweepContext, request: JsonObject): Promise<boolean> {
  try {
    await context.call("DeleteItem", request);
    return true;
  } catch (error) {
    if (hasErrorCode(error, "ConditionalCheckFailedException")) return false;
    throw error;
  }
}
