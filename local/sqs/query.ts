/**
 * The SQS query protocol (form-encoded `Action=…`, XML answers) that older clients speak — Debian's
 * awscli 2.9 and boto3 1.26 among them: decodes a form into the JSON protocol's input shapes and
 * encodes the JSON output shapes as SQS's XML. Member names follow the query model of SQS
 * (2012-11-05): flattened lists and maps (`Attribute.1.Name`, `MessageAttribute.1.Value.DataType`,
 * `SendMessageBatchRequestEntry.2.Id`).
 */
import { xmlEscape } from "../aws-query.ts";

export const QUERY_NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/";

type Tree = { [key: string]: Tree | string };

/** `a.1.b=x` -> `{a: {1: {b: "x"}}}` (values are never split). */
function treeOf(params: URLSearchParams): Tree {
  const root: Tree = {};
  for (const [key, value] of params) {
    const parts = key.split(".");
    let node = root;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (typeof next === "object") node = next;
      else node = node[part] = {};
    }
    node[parts.at(-1)!] = value;
  }
  return root;
}

const indexed = (node: Tree | string | undefined): Array<Tree | string> =>
  node && typeof node === "object"
    ? Object.keys(node)
        .filter((key) => /^\d+$/.test(key))
        .sort((a, b) => Number(a) - Number(b))
        .map((key) => node[key]!)
    : [];

const list = (node: Tree | string | undefined) => (node === undefined ? undefined : indexed(node).filter((v): v is string => typeof v === "string"));

function map(node: Tree | string | undefined, keyName: string, valueName: string): Record<string, string> | undefined {
  if (node === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const entry of indexed(node)) if (typeof entry === "object" && typeof entry[keyName] === "string") out[entry[keyName] as string] = typeof entry[valueName] === "string" ? (entry[valueName] as string) : "";
  return out;
}

function messageAttributes(node: Tree | string | undefined): Record<string, unknown> | undefined {
  if (node === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const entry of indexed(node)) {
    if (typeof entry !== "object" || typeof entry.Name !== "string") continue;
    const value = typeof entry.Value === "object" ? entry.Value : {};
    out[entry.Name] = Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === "string"));
  }
  return out;
}

const int = (value: Tree | string | undefined) => (typeof value === "string" && value !== "" ? (/^-?\d+$/.test(value) ? Number(value) : value) : undefined);
const str = (value: Tree | string | undefined) => (typeof value === "string" ? value : undefined);

function entry(node: Tree | string): Record<string, unknown> {
  const e = typeof node === "object" ? node : {};
  return clean({
    Id: str(e.Id),
    MessageBody: str(e.MessageBody),
    DelaySeconds: int(e.DelaySeconds),
    MessageAttributes: messageAttributes(e.MessageAttribute),
    MessageSystemAttributes: messageAttributes(e.MessageSystemAttribute),
    MessageDeduplicationId: str(e.MessageDeduplicationId),
    MessageGroupId: str(e.MessageGroupId),
    ReceiptHandle: str(e.ReceiptHandle),
    VisibilityTimeout: int(e.VisibilityTimeout),
  });
}

function clean(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}

/** The JSON-protocol input of a query request. */
export function queryInput(params: URLSearchParams): Record<string, unknown> {
  const t = treeOf(params);
  const entriesOf = (name: string) => (t[name] === undefined ? undefined : indexed(t[name]).map(entry));
  return clean({
    QueueName: str(t.QueueName),
    QueueUrl: str(t.QueueUrl),
    QueueNamePrefix: str(t.QueueNamePrefix),
    QueueOwnerAWSAccountId: str(t.QueueOwnerAWSAccountId),
    NextToken: str(t.NextToken),
    MaxResults: int(t.MaxResults),
    Attributes: map(t.Attribute, "Name", "Value"),
    tags: map(t.Tag, "Key", "Value"),
    Tags: map(t.Tag, "Key", "Value"),
    TagKeys: list(t.TagKey),
    AttributeNames: list(t.AttributeName),
    MessageSystemAttributeNames: list(t.MessageSystemAttributeName),
    MessageAttributeNames: list(t.MessageAttributeName),
    MaxNumberOfMessages: int(t.MaxNumberOfMessages),
    VisibilityTimeout: int(t.VisibilityTimeout),
    WaitTimeSeconds: int(t.WaitTimeSeconds),
    ReceiptHandle: str(t.ReceiptHandle),
    MessageBody: str(t.MessageBody),
    DelaySeconds: int(t.DelaySeconds),
    MessageAttributes: messageAttributes(t.MessageAttribute),
    MessageSystemAttributes: messageAttributes(t.MessageSystemAttribute),
    MessageDeduplicationId: str(t.MessageDeduplicationId),
    MessageGroupId: str(t.MessageGroupId),
    SourceArn: str(t.SourceArn),
    DestinationArn: str(t.DestinationArn),
    MaxNumberOfMessagesPerSecond: int(t.MaxNumberOfMessagesPerSecond),
    TaskHandle: str(t.TaskHandle),
    Entries: entriesOf("SendMessageBatchRequestEntry") ?? entriesOf("DeleteMessageBatchRequestEntry") ?? entriesOf("ChangeMessageVisibilityBatchRequestEntry"),
  });
}

const el = (name: string, inner: string) => `<${name}>${inner}</${name}>`;

/** XML of one output member, following the query model's flattened member names. */
function member(action: string, key: string, value: unknown): string {
  if (value === undefined || value === null) return "";
  switch (key) {
    case "QueueUrls":
    case "queueUrls":
      return (value as string[]).map((url) => el("QueueUrl", xmlEscape(url))).join("");
    case "Attributes":
      return Object.entries(value as Record<string, string>).map(([name, v]) => el("Attribute", el("Name", xmlEscape(name)) + el("Value", xmlEscape(v)))).join("");
    case "Tags":
      return Object.entries(value as Record<string, string>).map(([name, v]) => el("Tag", el("Key", xmlEscape(name)) + el("Value", xmlEscape(v)))).join("");
    case "MessageAttributes":
      return Object.entries(value as Record<string, Record<string, string>>)
        .map(([name, v]) => el("MessageAttribute", el("Name", xmlEscape(name)) + el("Value", Object.entries(v).map(([k, x]) => el(k, xmlEscape(x))).join(""))))
        .join("");
    case "Messages":
      return (value as Array<Record<string, unknown>>).map((message) => el("Message", fields(action, message))).join("");
    case "Successful":
      return (value as Array<Record<string, unknown>>).map((item) => el(`${action}ResultEntry`, fields(action, item))).join("");
    case "Failed":
      return (value as Array<Record<string, unknown>>).map((item) => el("BatchResultErrorEntry", fields(action, item))).join("");
    case "Results":
      return (value as Array<Record<string, unknown>>).map((item) => el(`${action}ResultEntry`, fields(action, item))).join("");
    default:
      return el(key, xmlEscape(String(value)));
  }
}

function fields(action: string, object: Record<string, unknown>): string {
  return Object.entries(object)
    .map(([key, value]) => member(action, key, value))
    .join("");
}

/** Operations whose answer has no `<…Result>` element in the query protocol. */
const NO_RESULT = new Set(["DeleteMessage", "DeleteQueue", "PurgeQueue", "SetQueueAttributes", "ChangeMessageVisibility", "TagQueue", "UntagQueue", "AddPermission", "RemovePermission"]);

export function queryResponse(action: string, output: Record<string, unknown>, requestId: string): string {
  const result = NO_RESULT.has(action) ? "" : el(`${action}Result`, fields(action, output));
  return `<?xml version="1.0"?><${action}Response xmlns="${QUERY_NAMESPACE}">${result}${el("ResponseMetadata", el("RequestId", requestId))}</${action}Response>`;
}

export function queryError(code: string, message: string, senderFault: boolean, requestId: string): string {
  return (
    `<?xml version="1.0"?><ErrorResponse xmlns="${QUERY_NAMESPACE}"><Error><Type>${senderFault ? "Sender" : "Receiver"}</Type>` +
    `${el("Code", xmlEscape(code))}${el("Message", xmlEscape(message))}<Detail/></Error>${el("RequestId", requestId)}</ErrorResponse>`
  );
}
