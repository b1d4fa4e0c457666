/**
 * SQS input rules, from the SQS API reference: queue names and attributes, message bodies and
 * message attributes, batch entry ids — and the MD5 digests SQS returns for them.
 */
import { createHash } from "node:crypto";
import { invalidValue, missing, SqsError } from "./errors.ts";

/** A message attribute as the JSON protocol carries it (binary values base64-encoded). */
export interface MessageAttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

export const md5 = (text: string | Buffer) => createHash("md5").update(text).digest("hex");

/** MD5 of message attributes as SQS computes it (name-sorted, length-prefixed, typed). */
export function md5OfAttributes(attributes: Readonly<Record<string, MessageAttributeValue>>): string {
  const hash = createHash("md5");
  const lengthPrefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name]!;
    lengthPrefixed(Buffer.from(name, "utf8"));
    lengthPrefixed(Buffer.from(value.DataType, "utf8"));
    if (value.BinaryValue !== undefined && value.DataType.startsWith("Binary")) {
      hash.update(Buffer.from([2]));
      lengthPrefixed(Buffer.from(value.BinaryValue, "base64"));
    } else {
      hash.update(Buffer.from([1]));
      lengthPrefixed(Buffer.from(value.StringValue ?? "", "utf8"));
    }
  }
  return hash.digest("hex");
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FIFO_NAME = /^[A-Za-z0-9_-]{1,75}\.fifo$/;

/** Refuses a name AWS refuses; FIFO queues are a documented difference of the local SQS. */
export function checkQueueName(name: unknown, attributes: Readonly<Record<string, string>>): string {
  if (typeof name !== "string" || name === "") throw missing("QueueName");
  const fifo = attributes.FifoQueue === "true";
  if (fifo || name.endsWith(".fifo")) {
    if (!FIFO_NAME.test(name) || !fifo) {
      throw new SqsError(
        "InvalidParameterValue",
        "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
      );
    }
    throw new SqsError("UnsupportedOperation", "FIFO queues are not emulated by the paybus local SQS (paybus uses standard queues); see the README.");
  }
  if (!QUEUE_NAME.test(name)) throw new SqsError("InvalidParameterValue", "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
  return name;
}

/** Integer attribute ranges (inclusive). */
const RANGES: Record<string, readonly [number, number]> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, 1_048_576],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43_200],
  KmsDataKeyReusePeriodSeconds: [60, 86_400],
};

export const DEFAULT_ATTRIBUTES: Readonly<Record<string, string>> = {
  DelaySeconds: "0",
  MaximumMessageSize: "1048576",
  MessageRetentionPeriod: "345600",
  ReceiveMessageWaitTimeSeconds: "0",
  VisibilityTimeout: "30",
  SqsManagedSseEnabled: "true",
};

const SETTABLE = new Set([...Object.keys(RANGES), "Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId", "SqsManagedSseEnabled"]);
const FIFO_ONLY = new Set(["FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"]);

/**
 * Checks attribute names and plain values (RedrivePolicy/RedriveAllowPolicy need the other queues
 * and are checked by the engine). Returns the attributes normalised.
 */
export function checkQueueAttributes(attributes: unknown, creating: boolean): Record<string, string> {
  if (attributes === undefined || attributes === null) return {};
  if (typeof attributes !== "object" || Array.isArray(attributes)) throw invalidValue("Attributes", attributes, "must be a map of attribute names to values.");
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(attributes)) {
    if (FIFO_ONLY.has(name)) {
      if (name === "FifoQueue" && creating && raw === "false") continue;
      throw new SqsError("InvalidAttributeName", `Unknown Attribute ${name}.`);
    }
    if (!SETTABLE.has(name)) throw new SqsError("InvalidAttributeName", `Unknown Attribute ${name}.`);
    if (typeof raw !== "string") throw new SqsError("InvalidAttributeValue", `Invalid value for the parameter ${name}.`);
    const range = RANGES[name];
    if (range) {
      const value = Number(raw);
      if (!/^-?\d+$/.test(raw.trim()) || value < range[0] || value > range[1]) throw new SqsError("InvalidAttributeValue", `Invalid value for the parameter ${name}.`);
      out[name] = String(value);
    } else if (name === "SqsManagedSseEnabled") {
      if (raw !== "true" && raw !== "false") throw new SqsError("InvalidAttributeValue", `Invalid value for the parameter ${name}.`);
      out[name] = raw;
    } else if (name === "Policy" && raw !== "") {
      try {
        JSON.parse(raw);
      } catch {
        throw new SqsError("InvalidAttributeValue", "Invalid value for the parameter Policy.");
      }
      out[name] = raw;
    } else {
      out[name] = raw;
    }
  }
  if (out.KmsMasterKeyId && out.SqsManagedSseEnabled === "true") {
    throw new SqsError("InvalidAttributeName", "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.");
  }
  return out;
}

/** A RedrivePolicy parsed (not yet checked against the queues). */
export interface RedrivePolicy {
  readonly deadLetterTargetArn: string;
  readonly maxReceiveCount: number;
}

/** Valid policies by their text: every receive reads its queue's policy, and a queue has one. */
const redrivePolicies = new Map<string, RedrivePolicy>();

export function parseRedrivePolicy(raw: string): RedrivePolicy {
  const known = redrivePolicies.get(raw);
  if (known) return known;
  const policy = Object.freeze(readRedrivePolicy(raw));
  // Bounded: a process that keeps changing policies must not grow it without end.
  if (redrivePolicies.size >= 1_000) redrivePolicies.clear();
  redrivePolicies.set(raw, policy);
  return policy;
}

function readRedrivePolicy(raw: string): RedrivePolicy {
  const bad = (reason: string) => invalidValue("RedrivePolicy", raw, reason);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw bad("Redrive policy is not a valid JSON map.");
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw bad("Redrive policy is not a valid JSON map.");
  const { deadLetterTargetArn, maxReceiveCount } = parsed as Record<string, unknown>;
  if (deadLetterTargetArn === undefined) throw bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.");
  if (maxReceiveCount === undefined) throw bad("Redrive policy does not contain mandatory attribute: maxReceiveCount.");
  if (typeof deadLetterTargetArn !== "string" || !/^arn:aws[\w-]*:sqs:[\w-]+:\d{12}:[\w-]{1,80}(\.fifo)?$/.test(deadLetterTargetArn)) {
    throw bad("Invalid value for deadLetterTargetArn.");
  }
  const count = typeof maxReceiveCount === "string" && /^\d+$/.test(maxReceiveCount) ? Number(maxReceiveCount) : maxReceiveCount;
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1 || count > 1000) {
    throw bad(`Invalid value for maxReceiveCount: ${String(maxReceiveCount)}, valid values are from 1 to 1000 both inclusive.`);
  }
  return { deadLetterTargetArn, maxReceiveCount: count };
}

export interface RedriveAllowPolicy {
  readonly redrivePermission: "allowAll" | "denyAll" | "byQueue";
  readonly sourceQueueArns?: readonly string[];
}

export function parseRedriveAllowPolicy(raw: string): RedriveAllowPolicy {
  const bad = (reason: string) => invalidValue("RedriveAllowPolicy", raw, reason);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw bad("Redrive allow policy is not a valid JSON map.");
  }
  const { redrivePermission, sourceQueueArns } = (parsed ?? {}) as Record<string, unknown>;
  if (redrivePermission !== "allowAll" && redrivePermission !== "denyAll" && redrivePermission !== "byQueue") {
    throw bad("Invalid value for redrivePermission.");
  }
  if (redrivePermission !== "byQueue") {
    if (sourceQueueArns !== undefined) throw bad("sourceQueueArns can be specified only when redrivePermission is byQueue.");
    return { redrivePermission };
  }
  if (!Array.isArray(sourceQueueArns) || sourceQueueArns.length === 0 || sourceQueueArns.length > 10 || sourceQueueArns.some((arn) => typeof arn !== "string")) {
    throw bad("sourceQueueArns must list 1 to 10 queue ARNs when redrivePermission is byQueue.");
  }
  return { redrivePermission, sourceQueueArns: sourceQueueArns as string[] };
}

/** Characters SQS accepts in a body: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. */
export function checkBody(body: unknown): string {
  if (body === undefined || body === null || body === "") throw missing("MessageBody");
  if (typeof body !== "string") throw invalidValue("MessageBody", body, "must be a string.");
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c >= 0x20 && c <= 0xd7ff) continue;
    if (c === 0x9 || c === 0xa || c === 0xd || (c >= 0xe000 && c <= 0xfffd)) continue;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = body.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    throw new SqsError(
      "InvalidMessageContents",
      `Invalid binary character '#x${c.toString(16).toUpperCase()}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
    );
  }
  return body;
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;

/** Validates message attributes; returns them and their size in bytes (name + type + value). */
export function checkMessageAttributes(attributes: unknown): { attributes?: Record<string, MessageAttributeValue>; bytes: number } {
  if (attributes === undefined || attributes === null) return { bytes: 0 };
  if (typeof attributes !== "object" || Array.isArray(attributes)) throw invalidValue("MessageAttributes", attributes, "must be a map.");
  const entries = Object.entries(attributes as Record<string, unknown>);
  if (entries.length === 0) return { bytes: 0 };
  if (entries.length > 10) throw new SqsError("InvalidParameterValue", `Number of message attributes [${entries.length}] exceeds the allowed maximum [10].`);
  const out: Record<string, MessageAttributeValue> = {};
  let bytes = 0;
  for (const [name, raw] of entries) {
    if (!ATTRIBUTE_NAME.test(name) || name.startsWith(".") || name.endsWith(".") || name.includes("..") || /^(aws\.|amazon\.)/i.test(name)) {
      throw new SqsError("InvalidParameterValue", `Message (user) attribute '${name}' name is invalid.`);
    }
    const value = (raw ?? {}) as Record<string, unknown>;
    const dataType = value.DataType;
    if (typeof dataType !== "string" || dataType === "") throw new SqsError("InvalidParameterValue", `The message attribute '${name}' must contain non-empty message attribute type.`);
    const base = dataType.split(".")[0];
    if (base !== "String" && base !== "Number" && base !== "Binary") {
      throw new SqsError("InvalidParameterValue", `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
    }
    if (value.StringListValues !== undefined || value.BinaryListValues !== undefined) {
      throw new SqsError("InvalidParameterValue", `Message attribute list values in SendMessage operation are not supported.`);
    }
    if (base === "Binary") {
      if (typeof value.BinaryValue !== "string" || value.BinaryValue === "") {
        throw new SqsError("InvalidParameterValue", `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`);
      }
      out[name] = { DataType: dataType, BinaryValue: value.BinaryValue };
      bytes += Buffer.from(value.BinaryValue, "base64").length;
    } else {
      if (typeof value.StringValue !== "string" || value.StringValue === "") {
        throw new SqsError("InvalidParameterValue", `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`);
      }
      if (base === "Number" && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.StringValue.trim())) {
        throw new SqsError("InvalidParameterValue", `Can't cast the value of message (user) attribute '${name}' to a number.`);
      }
      out[name] = { DataType: dataType, StringValue: value.StringValue };
      bytes += Buffer.byteLength(value.StringValue);
    }
    bytes += Buffer.byteLength(name) + Buffer.byteLength(dataType);
  }
  return { attributes: out, bytes };
}

const BATCH_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** Batch request rules shared by the three batch operations. */
export function checkBatch<T extends { Id?: unknown }>(entries: unknown, entryName: string): T[] {
  if (entries === undefined || entries === null || (Array.isArray(entries) && entries.length === 0)) {
    throw new SqsError("EmptyBatchRequest", `There should be at least one ${entryName} in the request.`);
  }
  if (!Array.isArray(entries)) throw invalidValue("Entries", entries, "must be a list.");
  if (entries.length > 10) {
    throw new SqsError("TooManyEntriesInBatchRequest", `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
  }
  const seen = new Set<string>();
  for (const entry of entries as T[]) {
    const id = (entry as { Id?: unknown } | null)?.Id;
    if (typeof id !== "string" || !BATCH_ID.test(id)) {
      throw new SqsError("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.");
    }
    if (seen.has(id)) throw new SqsError("BatchEntryIdsNotDistinct", `Id ${id} repeated.`);
    seen.add(id);
  }
  return entries as T[];
}

/** An optional integer parameter within [min, max]. */
export function optionalInt(value: unknown, parameter: string, min: number, max: number, reason: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) throw invalidValue(parameter, value, reason);
  return n;
}
