/**
 * What an AWS API request asks IAM for: the actions, resource ARNs and context keys AWS authorizes
 * it as, read from the request the SDK sent (JSON body, query form or SES v2 REST path).
 *
 * Sources (Service Authorization Reference and developer guides):
 * - DynamoDB: every item action is authorized on the table ARN (`…:table/<name>`, an index query on
 *   `…:table/<name>/index/<index>`); `dynamodb:LeadingKeys` holds the partition key values the request
 *   touches ("Using IAM policy conditions for fine-grained access control"). BatchGetItem and
 *   BatchWriteItem are authorized once per table as `dynamodb:BatchGetItem` / `dynamodb:BatchWriteItem`
 *   with every key of that table in LeadingKeys. Transactions have no action of their own: "Using IAM
 *   with DynamoDB transactions" says each Put, Update, Delete and Get is authorized as PutItem,
 *   UpdateItem, DeleteItem, GetItem, and ConditionCheck as `dynamodb:ConditionCheckItem`, per item.
 * - SES: `ses:SendEmail` / `ses:SendRawEmail` on the sending identity's ARN
 *   (`…:identity/<domain or address>`), with `ses:FromAddress` (SES v1 `Source`, v2 `FromEmailAddress`).
 * - SNS: Publish on the topic or target endpoint ARN; CreatePlatformEndpoint on the application ARN;
 *   Get/SetEndpointAttributes and DeleteEndpoint on the endpoint ARN.
 * - Step Functions: StartExecution on the state machine ARN; SendTask* on the state machine of the
 *   token's execution.
 * - EventBridge: PutEvents on each entry's event bus ARN (the `default` bus when it names none).
 * - SQS: each action on the queue ARN (`arn:aws:sqs:<region>:<account>:<queue name>`).
 */
import type { AuthorizationRequest } from "./policy.ts";

/** What the mapping needs to know about the local account. */
export interface RequestContext {
  readonly region: string;
  readonly accountId: string;
  /** The partition key attribute of a table, by physical name (undefined: unknown table). */
  readonly partitionKeyOf: (tableName: string) => string | undefined;
  /** The verified SES identity a sender address uses (its address or its domain). */
  readonly sesIdentityOf?: (address: string) => string | undefined;
  /** The state machine ARN of a task token's execution, while the runtime knows the token. */
  readonly taskTokenStateMachine?: (token: string) => string | undefined;
}

/** The request, as the gateway has it. */
export interface AwsRequest {
  readonly service: "events" | "sqs" | "dynamodb" | "states" | "ses" | "sns";
  readonly protocol: "json" | "query" | "rest";
  /** `X-Amz-Target`, for the JSON protocols. */
  readonly target?: string;
  readonly method: string;
  readonly url: URL;
  readonly body: Buffer;
}

/** The request cannot be read (malformed JSON): left to the engine, which answers as AWS does. */
export class UnreadableRequestError extends Error {
  override name = "UnreadableRequestError";
}

type Json = Record<string, any>;

const arn = (ctx: RequestContext, service: string, resource: string, sep = ":") => `arn:aws:${service}:${ctx.region}:${ctx.accountId}${sep}${resource}`;

/** The IAM authorizations `request` needs; all must be allowed for the request to be. */
export function authorizationsOf(request: AwsRequest, ctx: RequestContext): AuthorizationRequest[] {
  if (request.protocol === "json") {
    const target = request.target ?? "";
    const operation = target.includes(".") ? target.slice(target.indexOf(".") + 1) : "";
    let input: Json;
    try {
      input = request.body.length === 0 ? {} : (JSON.parse(request.body.toString("utf8")) as Json);
    } catch {
      throw new UnreadableRequestError("request body is not JSON");
    }
    if (typeof input !== "object" || input === null) throw new UnreadableRequestError("request body is not a JSON object");
    switch (request.service) {
      case "dynamodb":
        return dynamodb(operation, input, ctx);
      case "states":
        return states(operation, input, ctx);
      case "events":
        return events(operation, input, ctx);
      case "sqs":
        return [{ action: `sqs:${operation}`, resource: queueArn(input.QueueUrl, ctx) }];
      default:
        return [{ action: `${request.service}:${operation}`, resource: "*" }];
    }
  }
  if (request.protocol === "query") {
    const params = new URLSearchParams(request.url.search);
    for (const [key, value] of new URLSearchParams(request.body.toString("utf8"))) params.set(key, value);
    const action = params.get("Action") ?? "";
    if (request.service === "sns") return [sns(action, params, ctx)];
    if (request.service === "ses") return [sesSend(`ses:${action}`, params.get("Source") ?? undefined, ctx)];
    if (request.service === "sqs") return [{ action: `sqs:${action}`, resource: queueArn(params.get("QueueUrl") ?? request.url.pathname, ctx) }];
    return [{ action: `${request.service}:${action}`, resource: "*" }];
  }
  // SES v2 REST (the only REST API served): POST /v2/email/outbound-emails is SendEmail.
  if (request.service === "ses" && request.method === "POST" && request.url.pathname === "/v2/email/outbound-emails") {
    let input: Json = {};
    try {
      input = request.body.length === 0 ? {} : (JSON.parse(request.body.toString("utf8")) as Json);
    } catch {
      throw new UnreadableRequestError("request body is not JSON");
    }
    return [sesSend("ses:SendEmail", typeof input.FromEmailAddress === "string" ? input.FromEmailAddress : undefined, ctx)];
  }
  // Any other SES v2 call (identities, templates): an account-level action no function is granted.
  const name = request.url.pathname.replace(/^\/v2\/email\//, "").split("/")[0] ?? "";
  return [{ action: `ses:${request.method}:${name}`, resource: "*" }];
}

// ---------------------------------------------------------------------------------------------
// DynamoDB

/** A key attribute's value as IAM sees it in LeadingKeys: its string or number text. */
function scalar(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const v = value as { S?: unknown; N?: unknown; B?: unknown };
  if (typeof v.S === "string") return v.S;
  if (typeof v.N === "string") return v.N;
  if (typeof v.B === "string") return v.B;
  return undefined;
}

/** The partition key value of an item or key (marshalled), if the table's key attribute is known and present. */
function partitionValue(tableName: string, item: Json | undefined, ctx: RequestContext): string | undefined {
  const name = ctx.partitionKeyOf(tableName);
  return name === undefined || !item ? undefined : scalar(item[name]);
}

/** The partition key a Query names: `pk = :v` (or `#n = :v`) in its KeyConditionExpression, or legacy KeyConditions. */
function queryPartitionValue(input: Json, ctx: RequestContext): string | undefined {
  const name = ctx.partitionKeyOf(String(input.TableName));
  if (name === undefined) return undefined;
  if (input.KeyConditions && typeof input.KeyConditions === "object") return scalar(input.KeyConditions[name]?.AttributeValueList?.[0]);
  const expression = typeof input.KeyConditionExpression === "string" ? input.KeyConditionExpression : "";
  const aliases = Object.entries((input.ExpressionAttributeNames ?? {}) as Record<string, string>).filter(([, value]) => value === name).map(([alias]) => alias);
  const names = [name, ...aliases].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
  const match = new RegExp(`(?:^|[^\\w#])(?:${names})\\s*=\\s*(:[A-Za-z0-9_]+)`).exec(expression) ?? new RegExp(`(:[A-Za-z0-9_]+)\\s*=\\s*(?:${names})(?![\\w])`).exec(expression);
  return match ? scalar(input.ExpressionAttributeValues?.[match[1]!]) : undefined;
}

const tableArn = (name: unknown, ctx: RequestContext) => arn(ctx, "dynamodb", `table/${String(name)}`);

/** LeadingKeys as a set: absent when the request's keys could not be read (the condition then fails closed, see below). */
function leadingKeys(values: ReadonlyArray<string | undefined>): Record<string, string[]> {
  // A key we could not read must not vanish from the set (ForAllValues over fewer values is more
  // permissive): an unreadable key becomes a value no LeadingKeys pattern but `*` matches.
  return { "dynamodb:LeadingKeys": values.map((value) => value ?? "\u0000unreadable-partition-key") };
}

const TRANSACT_WRITE_ACTIONS: Record<string, string> = { Put: "PutItem", Update: "UpdateItem", Delete: "DeleteItem", ConditionCheck: "ConditionCheckItem" };

function dynamodb(operation: string, input: Json, ctx: RequestContext): AuthorizationRequest[] {
  const single = (key: Json | undefined) => [
    { action: `dynamodb:${operation}`, resource: tableArn(input.TableName, ctx), context: leadingKeys([partitionValue(String(input.TableName), key, ctx)]) },
  ];
  switch (operation) {
    case "GetItem":
    case "UpdateItem":
    case "DeleteItem":
      return single(input.Key);
    case "PutItem":
      return single(input.Item);
    case "Query":
      return [
        {
          action: "dynamodb:Query",
          resource: typeof input.IndexName === "string" ? `${tableArn(input.TableName, ctx)}/index/${input.IndexName}` : tableArn(input.TableName, ctx),
          context: leadingKeys([queryPartitionValue(input, ctx)]),
        },
      ];
    case "BatchGetItem":
      return Object.entries((input.RequestItems ?? {}) as Record<string, Json>).map(([table, request]) => ({
        action: "dynamodb:BatchGetItem",
        resource: tableArn(table, ctx),
        context: leadingKeys(((request.Keys ?? []) as Json[]).map((key) => partitionValue(table, key, ctx))),
      }));
    case "BatchWriteItem":
      return Object.entries((input.RequestItems ?? {}) as Record<string, Json[]>).map(([table, writes]) => ({
        action: "dynamodb:BatchWriteItem",
        resource: tableArn(table, ctx),
        context: leadingKeys(writes.map((write) => partitionValue(table, write.PutRequest?.Item ?? write.DeleteRequest?.Key, ctx))),
      }));
    case "TransactWriteItems":
    case "TransactGetItems":
      return ((input.TransactItems ?? []) as Json[]).flatMap((item) =>
        Object.entries(item).map(([kind, request]: [string, Json]) => ({
          action: `dynamodb:${kind === "Get" ? "GetItem" : (TRANSACT_WRITE_ACTIONS[kind] ?? kind)}`,
          resource: tableArn(request.TableName, ctx),
          context: leadingKeys([partitionValue(String(request.TableName), request.Key ?? request.Item, ctx)]),
        })),
      );
    case "ListTables":
      return [{ action: "dynamodb:ListTables", resource: "*" }];
    default:
      // Scan, DescribeTable, CreateTable, …: authorized on the table (no LeadingKeys: a Scan has none,
      // so a LeadingKeys-restricted grant would still not list Scan, which the plan never grants).
      return [{ action: `dynamodb:${operation}`, resource: input.TableName === undefined ? "*" : tableArn(input.TableName, ctx) }];
  }
}

// ---------------------------------------------------------------------------------------------
// Step Functions, EventBridge, SQS, SNS, SES

function states(operation: string, input: Json, ctx: RequestContext): AuthorizationRequest[] {
  if (typeof input.stateMachineArn === "string") return [{ action: `states:${operation}`, resource: input.stateMachineArn }];
  if (typeof input.taskToken === "string") {
    return [{ action: `states:${operation}`, resource: ctx.taskTokenStateMachine?.(input.taskToken) }];
  }
  if (typeof input.executionArn === "string") {
    // arn:aws:states:<region>:<account>:execution:<machine>:<name> is authorized on that execution.
    return [{ action: `states:${operation}`, resource: input.executionArn }];
  }
  return [{ action: `states:${operation}`, resource: "*" }];
}

/** A bus name or ARN as the bus ARN. */
function busArn(nameOrArn: unknown, ctx: RequestContext): string {
  if (typeof nameOrArn === "string" && nameOrArn.startsWith("arn:")) return nameOrArn;
  return arn(ctx, "events", `event-bus/${typeof nameOrArn === "string" && nameOrArn !== "" ? nameOrArn : "default"}`);
}

function events(operation: string, input: Json, ctx: RequestContext): AuthorizationRequest[] {
  if (operation === "PutEvents") {
    const buses = new Set(((input.Entries ?? []) as Json[]).map((entry) => busArn(entry.EventBusName, ctx)));
    return [...buses].map((resource) => ({ action: "events:PutEvents", resource }));
  }
  if (typeof input.EventBusName === "string" || typeof input.Name === "string") {
    return [{ action: `events:${operation}`, resource: busArn(input.EventBusName ?? input.Name, ctx) }];
  }
  return [{ action: `events:${operation}`, resource: "*" }];
}

/** `http://host/000000000000/paybus-loyalty` → `arn:aws:sqs:<region>:000000000000:paybus-loyalty`. */
function queueArn(queueUrl: unknown, ctx: RequestContext): string {
  if (typeof queueUrl !== "string") return "*";
  const match = /\/(\d{12})\/([^/?]+)/.exec(queueUrl);
  return match ? `arn:aws:sqs:${ctx.region}:${match[1]}:${match[2]}` : "*";
}

function sns(action: string, params: URLSearchParams, ctx: RequestContext): AuthorizationRequest {
  const resource =
    params.get("TargetArn") ?? params.get("TopicArn") ?? params.get("EndpointArn") ?? params.get("PlatformApplicationArn") ?? params.get("SubscriptionArn") ?? "*";
  void ctx;
  return { action: `sns:${action}`, resource };
}

/** `"Billing <billing@example.com>"` → `billing@example.com`. */
function addressOf(text: string): string {
  return (/<([^>]+)>\s*$/.exec(text)?.[1] ?? text).trim();
}

function sesSend(action: string, from: string | undefined, ctx: RequestContext): AuthorizationRequest {
  if (from === undefined) return { action, resource: arn(ctx, "ses", "identity/*") };
  const address = addressOf(from);
  const identity = ctx.sesIdentityOf?.(address) ?? address;
  return { action, resource: arn(ctx, "ses", `identity/${identity}`), context: { "ses:FromAddress": address } };
}
