/**
 * The request-level checks EventBridge makes before it looks at any entry: the JSON protocol's
 * deserializer refuses a member of the wrong type with `SerializationException`, and the model's
 * constraints (Entries present, 1–10 members, no null member) fail with `ValidationException`. Either
 * refuses the whole request, so nothing of it is accepted — the SDK may then retry it safely.
 *
 * Error codes are AWS's; the serialization texts imitate the service's ("Start of structure or map
 * found where not expected.") and are not part of any contract.
 */
import { AwsServiceError } from "../aws-json.ts";
import type { PutEventsEntry } from "../eventbridge.ts";

export const PUT_EVENTS_MAX_ENTRIES = 10;

/** What the JSON deserializer says when a value has another JSON type than the model's. */
function wrongType(value: unknown): AwsServiceError {
  const found = Array.isArray(value)
    ? "Start of list found where not expected."
    : typeof value === "object"
      ? "Start of structure or map found where not expected."
      : typeof value === "number"
        ? "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"
        : typeof value === "boolean"
          ? "class java.lang.Boolean can not be converted to an String"
          : `Unexpected ${typeof value} value.`;
  return new AwsServiceError("SerializationException", found);
}

/** AWS lists every constraint violation of a request in one message. */
export function validation(...problems: string[]): AwsServiceError {
  const count = problems.length === 1 ? "1 validation error" : `${problems.length} validation errors`;
  return new AwsServiceError("ValidationException", `${count} detected: ${problems.join("; ")}`);
}

/** A string member: absent or null reads as absent; anything but a string is a serialization error. */
function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw wrongType(value);
  return value;
}

/** `Time` is a timestamp: epoch seconds on the wire (an ISO-8601 string is read too). */
function optionalTime(value: unknown): number | string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && !Number.isNaN(Date.parse(value))) return value;
  if (typeof value === "string") throw new AwsServiceError("SerializationException", `Invalid timestamp: ${value.slice(0, 64)}`);
  throw wrongType(value);
}

/** One entry, deserialized; null members are noted in `problems` (validated after deserialization). */
function entryOf(raw: unknown, position: number, problems: string[]): PutEventsEntry {
  if (raw === null || raw === undefined) {
    problems.push(`Value null at 'entries.${position}.member' failed to satisfy constraint: Member must not be null`);
    return {};
  }
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw Array.isArray(raw) ? wrongType(raw) : new AwsServiceError("SerializationException", "Expected a structure for each member of Entries.");
  }
  const fields = raw as Record<string, unknown>;
  let resources: string[] | undefined;
  if (fields.Resources !== undefined && fields.Resources !== null) {
    if (!Array.isArray(fields.Resources)) throw wrongType(fields.Resources);
    resources = fields.Resources.map((resource, index) => {
      if (resource === null) problems.push(`Value null at 'entries.${position}.member.resources.${index + 1}.member' failed to satisfy constraint: Member must not be null`);
      return optionalString(resource) ?? "";
    });
  }
  const entry: PutEventsEntry = {};
  const source = optionalString(fields.Source);
  const detailType = optionalString(fields.DetailType);
  const detail = optionalString(fields.Detail);
  const bus = optionalString(fields.EventBusName);
  const trace = optionalString(fields.TraceHeader);
  const time = optionalTime(fields.Time);
  if (source !== undefined) entry.Source = source;
  if (detailType !== undefined) entry.DetailType = detailType;
  if (detail !== undefined) entry.Detail = detail;
  if (bus !== undefined) entry.EventBusName = bus;
  if (trace !== undefined) entry.TraceHeader = trace;
  if (time !== undefined) entry.Time = time;
  if (resources !== undefined) entry.Resources = resources;
  return entry;
}

/**
 * The entries of a PutEvents request, typed, or the error that refuses the request whole.
 *
 * @throws AwsServiceError `SerializationException` for a member of the wrong JSON type,
 *   `ValidationException` for missing Entries, a null entry, or a count outside 1–10.
 */
export function parsePutEventsRequest(input: Record<string, unknown>): PutEventsEntry[] {
  optionalString(input.EndpointId);
  const entries = input.Entries;
  if (entries === undefined || entries === null) {
    throw validation("Value null at 'entries' failed to satisfy constraint: Member must not be null");
  }
  if (!Array.isArray(entries)) throw wrongType(entries);
  // The whole body is deserialized (type errors first), then the constraints are checked.
  const problems: string[] = [];
  const parsed = entries.map((raw, index) => entryOf(raw, index + 1, problems));
  if (parsed.length === 0 || parsed.length > PUT_EVENTS_MAX_ENTRIES) {
    problems.unshift(
      `Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${PUT_EVENTS_MAX_ENTRIES} and greater than or equal to 1`,
    );
  }
  if (problems.length > 0) throw validation(...problems);
  return parsed;
}

/** A required member absent or null, as AWS words it (`path` as on the wire, camelCase: `destination.arn`). */
export function missingMember(path: string): AwsServiceError {
  return validation(`Value null at '${path}' failed to satisfy constraint: Member must not be null`);
}

const memberPath = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

/** The string members of a request other than PutEvents (e.g. TestEventPattern's), checked the same way. */
export function stringMember(input: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = optionalString(input[name]);
  if (value === undefined && required) throw missingMember(memberPath(name));
  return value;
}

/** A required timestamp member (epoch seconds on the wire; an ISO-8601 string is read too), checked as `Time` is. */
export function timestampMember(input: Record<string, unknown>, name: string): Date {
  const value = optionalTime(input[name]);
  if (value === undefined) throw missingMember(memberPath(name));
  return new Date(typeof value === "number" ? value * 1000 : value);
}
