/**
 * How the gateway tells which AWS service a request is for: the services' routing declarations
 * (`X-Amz-Target` prefixes, SigV4 signing names, query actions, REST paths) indexed once, and the
 * classification of one request from its head (and, for query-protocol form posts, its body).
 * Shared by both of the gateway's entries: requests on its port and requests a function's worker
 * thread hands over without a socket (`local/gateway.ts`).
 */
import type { IncomingHttpHeaders } from "node:http";

/** The AWS services the local runtime emulates, by SigV4 signing name. */
export type ServiceName = "events" | "sqs" | "dynamodb" | "states" | "ses" | "sns";

/**
 * What the gateway reads of a request before its body: an `IncomingMessage` is one, and so is a
 * request a function's SDK client handed over a message port (`local/lambda-transport.ts`).
 */
export interface RequestHead {
  readonly method?: string | undefined;
  /** The request target: path and query. */
  readonly url?: string | undefined;
  /** Lower-case names, as node's HTTP parser gives them. */
  readonly headers: IncomingHttpHeaders;
}

/**
 * What the gateway routes one service's requests by, declared with the service (`local/services/`):
 * the JSON protocol's `X-Amz-Target` prefixes, the SigV4 signing names of the credential scope, the
 * query-protocol actions (for unsigned requests, which have no scope) and REST path prefixes.
 */
export interface ServiceRouting {
  readonly service: ServiceName;
  readonly targetPrefixes?: readonly string[];
  readonly signingNames?: readonly string[];
  readonly queryActions?: readonly string[];
  readonly restPaths?: readonly string[];
}

/** The routing of every service, indexed for classification. */
export interface RoutingTable {
  readonly targets: ReadonlyMap<string, ServiceName>;
  readonly signing: ReadonlyMap<string, ServiceName>;
  readonly actions: ReadonlyMap<string, ServiceName>;
  readonly rest: ReadonlyArray<readonly [prefix: string, service: ServiceName]>;
}

/** Indexes the services' routing; two services claiming one prefix, name or action is a mistake, refused. */
export function routingTable(routings: readonly ServiceRouting[]): RoutingTable {
  const targets = new Map<string, ServiceName>();
  const signing = new Map<string, ServiceName>();
  const actions = new Map<string, ServiceName>();
  const claim = (map: Map<string, ServiceName>, what: string, key: string, service: ServiceName) => {
    const owner = map.get(key);
    if (owner !== undefined && owner !== service) throw new Error(`the local services ${owner} and ${service} both claim the ${what} ${key}`);
    map.set(key, service);
  };
  for (const routing of routings) {
    for (const prefix of routing.targetPrefixes ?? []) claim(targets, "X-Amz-Target prefix", prefix, routing.service);
    for (const name of routing.signingNames ?? []) claim(signing, "signing name", name, routing.service);
    for (const action of routing.queryActions ?? []) claim(actions, "query action", action, routing.service);
  }
  const rest = routings.flatMap((routing) => (routing.restPaths ?? []).map((prefix) => [prefix, routing.service] as const));
  return { targets, signing, actions, rest };
}

/** The wire protocol a request speaks, which decides the shape of the errors it can read. */
export type Protocol = "json" | "query" | "rest";

/** What the gateway decided a request is. */
export type Classified =
  | { kind: "aws"; service: ServiceName; protocol: Protocol }
  | { kind: "aws-unknown"; protocol: Protocol; what: string }
  | { kind: "local" };

function credentialScopeService(authorization: string | undefined): string | undefined {
  // AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, SignedHeaders=…, Signature=…
  return authorization ? /Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/([^/,\s]+)\/aws4_request/.exec(authorization)?.[1] : undefined;
}

/** The service whose REST API serves `path`, if any (SES v2's `/v2/email/…`). */
export function restService(table: RoutingTable, path: string): ServiceName | undefined {
  return table.rest.find(([prefix]) => path.startsWith(prefix))?.[1];
}

/** True when the request's body is a form (a query-protocol request names its action there). */
export function isFormRequest(req: RequestHead): boolean {
  return String(req.headers["content-type"] ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded");
}

/** Decides which service a request is for, from its headers, path and (form) body. */
export function classify(req: RequestHead, url: URL, body: Buffer | undefined, table: RoutingTable): Classified {
  const target = req.headers["x-amz-target"];
  const isForm = isFormRequest(req);
  const restTarget = restService(table, url.pathname);
  const rest = restTarget !== undefined;
  const queryAction = url.searchParams.has("Action") || (isForm && req.method === "POST");
  const protocol: Protocol = typeof target === "string" ? "json" : !rest && queryAction ? "query" : "rest";
  if (typeof target === "string") {
    const prefix = target.split(".")[0]!;
    const service = table.targets.get(prefix);
    return service ? { kind: "aws", service, protocol } : { kind: "aws-unknown", protocol, what: `X-Amz-Target ${target}` };
  }
  const scope = credentialScopeService(typeof req.headers.authorization === "string" ? req.headers.authorization : undefined);
  if (scope !== undefined) {
    const service = table.signing.get(scope);
    return service ? { kind: "aws", service, protocol } : { kind: "aws-unknown", protocol, what: `service "${scope}"` };
  }
  if (restTarget) return { kind: "aws", service: restTarget, protocol };
  const action = url.searchParams.get("Action") ?? (isForm && body ? new URLSearchParams(body.toString("utf8")).get("Action") : null);
  if (action !== null && (url.pathname === "/" || /^\/\d{12}\/[^/]+$/.test(url.pathname))) {
    const service = table.actions.get(action);
    if (service) return { kind: "aws", service, protocol: "query" };
    return { kind: "aws-unknown", protocol: "query", what: `Action ${action}` };
  }
  return { kind: "local" };
}
