/**
 * Local IAM enforcement at the gateway: identifies the caller by the access key in the SigV4
 * `Authorization` header, evaluates the request against the statements the plan grants that
 * function, records the decision, and refuses a denied request with the error AWS gives.
 *
 * Callers: `ADMIN_CREDENTIALS` (`local`: the CLI, dashboard, tests) may do everything; unsigned
 * requests are raw HTTP from tests and tools (the SDK always signs) and are let through unrecorded
 * by policy; a function key is checked; any other key is refused as AWS refuses an unknown key.
 * Signatures are not verified: the keys are derived from function names, so they identify a caller
 * (to catch a missing grant before deploy); they do not authenticate one.
 */
import { randomUUID } from "node:crypto";
import type { AnswerSink } from "../answer-sink.ts";
import { xmlEscape } from "../aws-query.ts";
import { accessKeyIdOf, ADMIN_CREDENTIALS } from "../function-credentials.ts";
import { CompiledPolicy, type AuthorizationRequest, type ContextValue, type Decision, type Statement } from "./policy.ts";
import { authorizationsOf, UnreadableRequestError, type AwsRequest, type RequestContext } from "./requests.ts";

/** A caller the gateway knows by its access key: one local function and what the plan grants it. */
export interface Principal {
  /** The local function name (the session name of its role). */
  readonly functionName: string;
  /** The plan's logical name of the function. */
  readonly logicalName: string;
  /** The execution role's name, as in `arn:aws:sts::<account>:assumed-role/<role>/<function>`. */
  readonly roleName: string;
  readonly statements: readonly Statement[];
}

/** One authorization the gateway made. */
export interface IamDecision {
  readonly at: string;
  /** The function's local name, `admin` for the local administrator key, or `unknown` for a key no one has. */
  readonly caller: string;
  readonly accessKeyId: string;
  readonly action: string;
  /** The resource ARN (`*` when the action has none, `?` when the runtime could not resolve it). */
  readonly resource: string;
  readonly allowed: boolean;
  /** The condition keys the request carried (`dynamodb:LeadingKeys`, `ses:FromAddress`), for function callers. */
  readonly context?: Readonly<Record<string, ContextValue>>;
  /** False when the runtime runs with `enforceIam: false`: the request went through whatever `allowed` says. */
  readonly enforced: boolean;
}

/** What the gateway answers instead of forwarding a refused request. */
export interface IamRefusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** The exception name for JSON protocols (`__type`); may carry a namespace, as AWS's do. */
  readonly type?: string;
  /** Headers AWS adds (SQS's query-compatibility `x-amzn-query-error`). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LocalIamOptions {
  /** Refuse denied requests (default true). When false, decisions are still made and recorded. */
  readonly enabled?: boolean;
  /** The most recent decisions kept in {@link LocalIam.decisions} (default 20,000). */
  readonly maxDecisions?: number;
  /**
   * Told once per caller, action and resource that is denied (the runtime prints it): a handler
   * usually turns the refusal into a failed record, and the grant to add is easier to see here.
   */
  readonly onDenied?: (message: string) => void;
}

const INVALID_TOKEN = "The security token included in the request is invalid.";

/** The gateway's IAM: principals by access key, the request mapping, and the decision log. */
export class LocalIam {
  /** Every decision, oldest first (at least the most recent {@link LocalIamOptions.maxDecisions}, at most 10% more). */
  readonly decisions: IamDecision[] = [];
  readonly enabled: boolean;
  private readonly max: number;
  private readonly told = new Set<string>();
  private principals = new Map<string, Principal>();
  /** Each principal's statements prepared for evaluation (built at its first request after {@link configure}). */
  private policies = new Map<Principal, CompiledPolicy>();
  private context: RequestContext | undefined;
  /**
   * Decisions by access key, action, resource and context keys: a function makes the same few
   * calls over and over, and a decision depends on nothing else (the statements change only with
   * {@link configure}, which empties it). Every request is still recorded.
   */
  private readonly cache = new Map<string, Decision>();
  /** How many authorizations were answered from {@link cache} (for `npm run bench -- iam`). */
  cacheHits = 0;

  constructor(private readonly options: LocalIamOptions = {}) {
    this.enabled = options.enabled ?? true;
    this.max = options.maxDecisions ?? 20_000;
  }

  /** Sets the principals (by access key id) and the account the requests are mapped in. */
  configure(principals: ReadonlyMap<string, Principal>, context: RequestContext): void {
    this.principals = new Map(principals);
    this.policies = new Map();
    this.context = context;
    this.cache.clear();
  }

  /** The principal an access key belongs to. */
  principal(accessKeyId: string): Principal | undefined {
    return this.principals.get(accessKeyId);
  }

  /** Decisions about one function (by local name). */
  decisionsOf(functionName: string): IamDecision[] {
    return this.decisions.filter((decision) => decision.caller === functionName);
  }

  /** Authorizes one request; returns the refusal to send, or undefined to let it through. */
  authorize(request: AwsRequest & { readonly authorization: string | undefined }): IamRefusal | undefined {
    const accessKeyId = accessKeyIdOf(request.authorization);
    if (accessKeyId === undefined) return undefined;
    // The operation's name alone is recorded for the administrator and unknown keys (a query
    // request's is in its form body: read only for them, a function's request is mapped below).
    if (accessKeyId === ADMIN_CREDENTIALS.accessKeyId) {
      this.record({ caller: "admin", accessKeyId, action: operationOf(request), resource: "*", allowed: true });
      return undefined;
    }
    const principal = this.principals.get(accessKeyId);
    if (!principal || !this.context) {
      this.record({ caller: "unknown", accessKeyId, action: operationOf(request), resource: "*", allowed: false });
      return this.enabled ? unrecognizedKey(request) : undefined;
    }
    let checks;
    try {
      checks = authorizationsOf(request, this.context);
    } catch (error) {
      // A body the engine will refuse (SerializationException) authorizes nothing: let the engine say so.
      if (error instanceof UnreadableRequestError) return undefined;
      throw error;
    }
    for (const check of checks) {
      const decision = this.evaluate(accessKeyId, principal, check);
      this.record({ caller: principal.functionName, accessKeyId, action: check.action, resource: check.resource ?? "?", allowed: decision.allowed, ...(check.context ? { context: check.context } : {}) });
      if (decision.allowed) continue;
      const refusal = accessDenied(request, principal, check.action, check.resource ?? "*", this.context.accountId);
      this.tell(`${principal.functionName}|${check.action}|${check.resource}`, () =>
        `IAM: ${this.enabled ? "denied" : "would deny (enforceIam off)"}: ${principal.functionName} (${principal.logicalName}) ${check.action} on ${check.resource ?? "*"}: ` +
        `not granted by its declared access (declarations/rules.ts, workflows/)`,
      );
      if (this.enabled) return refusal;
    }
    return undefined;
  }

  private evaluate(accessKeyId: string, principal: Principal, check: AuthorizationRequest): Decision {
    // Context values are strings or lists of strings: JSON tells them apart without ambiguity.
    const key = `${accessKeyId}\n${check.action}\n${check.resource ?? ""}\n${check.context ? JSON.stringify(check.context) : ""}`;
    const cached = this.cache.get(key);
    if (cached) {
      this.cacheHits++;
      return cached;
    }
    let policy = this.policies.get(principal);
    if (!policy) this.policies.set(principal, (policy = new CompiledPolicy(principal.statements)));
    const decision = policy.evaluate(check);
    // Bounded: LeadingKeys make one entry per customer and table; a long run starts it over.
    if (this.cache.size >= 50_000) this.cache.clear();
    this.cache.set(key, decision);
    return decision;
  }

  private tell(key: string, message: () => string): void {
    if (!this.options.onDenied || this.told.has(key)) return;
    // Bounded: denials on ever-new resources (endpoint ids) must not grow it without end.
    if (this.told.size >= 1_000) this.told.clear();
    this.told.add(key);
    this.options.onDenied(message());
  }

  private record(decision: Omit<IamDecision, "at" | "enforced">): void {
    // Written into the record itself (no spread of a second object), with the time's text made
    // once per millisecond: a function's calls come many to a millisecond in a busy pipeline.
    const record = decision as { -readonly [K in keyof IamDecision]?: IamDecision[K] };
    record.at = isoNow();
    record.enforced = this.enabled;
    this.decisions.push(record as IamDecision);
    // Trimmed in chunks, not one element per request (a splice moves the whole array).
    if (this.decisions.length >= this.max + Math.max(1, Math.floor(this.max / 10))) this.decisions.splice(0, this.decisions.length - this.max);
  }
}

let isoMs = Number.NaN;
let isoText = "";

/** `new Date().toISOString()`, made once per millisecond. */
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

/** `dynamodb:PutItem`, `sns:Publish`, … from the target, the query Action or the REST path, without parsing the body. */
function operationOf(request: AwsRequest): string {
  if (request.protocol === "json") return `${request.service}:${(request.target ?? "").split(".").slice(1).join(".")}`;
  if (request.protocol === "query") {
    const action = request.url.searchParams.get("Action") ?? new URLSearchParams(request.body.toString("utf8")).get("Action") ?? "";
    return `${request.service}:${action}`;
  }
  return `${request.service}:${request.method} ${request.url.pathname}`;
}

/**
 * The error AWS gives a signed request whose policy does not allow it:
 * - JSON protocols (DynamoDB, Step Functions, EventBridge): `AccessDeniedException`, HTTP 400 (the
 *   DynamoDB developer guide's "Error handling" lists it under 400; the common errors of the JSON APIs too).
 * - SES v1 (query): `AccessDenied`, HTTP 403, in an `ErrorResponse`.
 * - SNS (query): `AuthorizationError`, HTTP 403 ("Indicates that the user has been denied access to
 *   the requested resource", SNS API reference, Errors of Publish/CreatePlatformEndpoint/…).
 * - SQS: `AccessDenied`, HTTP 403 (query, as SDK errors from AWS show: `name: "AccessDenied"`,
 *   `httpStatusCode: 403`); the JSON protocol carries the same code in `x-amzn-query-error:
 *   AccessDenied;Sender`, which the SDK (awsQueryCompatible, `@aws-sdk/core` ProtocolLib) uses as the name.
 * - SES v2 (REST): `AccessDeniedException`, HTTP 403 (`x-amzn-errortype`).
 */
function accessDenied(request: AwsRequest, principal: Principal, action: string, resource: string, accountId: string): IamRefusal {
  const message =
    `User: arn:aws:sts::${accountId}:assumed-role/${principal.roleName}/${principal.functionName} is not authorized to perform: ${action} ` +
    `on resource: ${resource} because no identity-based policy allows the ${action} action`;
  if (request.protocol === "query") return { status: 403, code: request.service === "sns" ? "AuthorizationError" : "AccessDenied", message };
  if (request.protocol === "rest") return { status: 403, code: "AccessDeniedException", message };
  if (request.service === "sqs") {
    return { status: 403, code: "AccessDenied", type: "com.amazon.coral.service#AccessDeniedException", message, headers: { "x-amzn-query-error": "AccessDenied;Sender" } };
  }
  return { status: 400, code: "AccessDeniedException", type: "com.amazon.coral.service#AccessDeniedException", message };
}

/**
 * The error AWS gives a key it does not know: `UnrecognizedClientException` (HTTP 400) on the JSON
 * protocols (DynamoDB "Error handling": "The Access Key ID or security token is invalid"),
 * `InvalidClientTokenId` (HTTP 403) on the query protocols (AWS common errors: "The X.509 certificate
 * or AWS access key ID provided does not exist in our records").
 */
function unrecognizedKey(request: AwsRequest): IamRefusal {
  if (request.protocol === "query") return { status: 403, code: "InvalidClientTokenId", message: INVALID_TOKEN };
  if (request.protocol === "rest") return { status: 403, code: "UnrecognizedClientException", message: INVALID_TOKEN };
  if (request.service === "sqs") {
    return { status: 403, code: "InvalidClientTokenId", type: "com.amazon.coral.service#UnrecognizedClientException", message: INVALID_TOKEN, headers: { "x-amzn-query-error": "InvalidClientTokenId;Sender" } };
  }
  return { status: 400, code: "UnrecognizedClientException", type: "com.amazon.coral.service#UnrecognizedClientException", message: INVALID_TOKEN };
}

/** Writes `refusal` in the wire format of `request`'s protocol. */
export function sendRefusal(res: AnswerSink, request: Pick<AwsRequest, "protocol" | "service">, refusal: IamRefusal): void {
  const requestId = randomUUID();
  if (request.protocol === "query") {
    const body =
      `<ErrorResponse><Error><Type>Sender</Type><Code>${xmlEscape(refusal.code)}</Code><Message>${xmlEscape(refusal.message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`;
    res.writeHead(refusal.status, { "content-type": "text/xml", "content-length": Buffer.byteLength(body), "x-amzn-requestid": requestId });
    res.end(body);
    return;
  }
  const json = request.protocol === "json";
  const body = JSON.stringify(json ? { __type: refusal.type ?? refusal.code, message: refusal.message } : { message: refusal.message });
  res.writeHead(refusal.status, {
    "content-type": json ? (request.service === "dynamodb" || request.service === "sqs" ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1") : "application/json",
    "content-length": Buffer.byteLength(body),
    "x-amzn-requestid": requestId,
    ...(json ? {} : { "x-amzn-errortype": refusal.code }),
    ...refusal.headers,
  });
  res.end(body);
}


/** The gateway's `authorize` hook for `iam`: refuses (and answers) what `iam` denies. */
export function gatewayAuthorizer(iam: LocalIam): (request: AwsRequest & { readonly authorization: string | undefined }, res: AnswerSink) => boolean {
  return (request, res) => {
    const refusal = iam.authorize(request);
    if (refusal) sendRefusal(res, request, refusal);
    return refusal !== undefined;
  };
}
