/**
 * The gateway: the one loopback port (4010 by default) every client talks to. It answers the AWS
 * APIs of every local service — routed by `X-Amz-Target`, the SigV4 credential scope, the REST path
 * or a query-protocol `Action` — by forwarding the request unchanged (the `Host` header included, so
 * URLs the engines build point back at the gateway) to that engine's own loopback endpoint, or by
 * answering in process (EventBridge). The admin API, the dashboard and the webhook bridge are routes.
 *
 * It is also the runtime's front door, so it enforces what protects a developer's machine: every
 * request must name a loopback `Host` (DNS rebinding), browsers may only reach it from its own
 * origin, state-changing admin calls must be JSON, a failing route answers 500 for that request
 * only, and an engine that does not answer gets the client an AWS-shaped error, never a hang.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { writeJsonError, writeQueryError, writeRestError } from "./aws-error.ts";
import { AwsServiceError, answerAwsJson, close, listen, readBody, type Operations } from "./aws-json.ts";
import { accessKeyIdOf } from "./function-credentials.ts";
import { isLoopbackHost, refuseForeignHost } from "./loopback.ts";

export { isLoopbackHost };

/** The AWS services the local runtime emulates, by SigV4 signing name. */
export type ServiceName = "events" | "sqs" | "dynamodb" | "states" | "ses" | "sns";

export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

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

export class ForbiddenRequestError extends Error {
  override name = "ForbiddenRequestError";
}

/**
 * Why a browser request comes from another origin, or undefined when it is same-origin or not from a
 * browser. Browsers send `Sec-Fetch-Site` (`same-site` includes another port of the same host, which
 * is another origin) and `Origin` on every POST, form posts included; the CLI and SDKs send neither.
 */
export function crossOriginReason(req: IncomingMessage): string | undefined {
  const site = req.headers["sec-fetch-site"];
  if (typeof site === "string" && site !== "same-origin" && site !== "none") return `Sec-Fetch-Site: ${site}`;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let host: string | undefined;
    try {
      const parsed = new URL(origin);
      host = parsed.protocol === "http:" ? parsed.host : undefined;
    } catch {
      host = undefined;
    }
    if (host === undefined || host.toLowerCase() !== String(req.headers.host ?? "").toLowerCase()) return `Origin: ${origin}`;
  }
  return undefined;
}

/** True for `application/json` (with or without parameters such as `charset`). */
export function isJsonContentType(value: string | undefined): boolean {
  return (value ?? "").split(";")[0]!.trim().toLowerCase() === "application/json";
}

function credentialScopeService(authorization: string | undefined): string | undefined {
  // AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, SignedHeaders=…, Signature=…
  return authorization ? /Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/([^/,\s]+)\/aws4_request/.exec(authorization)?.[1] : undefined;
}

/** The service whose REST API serves `path`, if any (SES v2's `/v2/email/…`). */
function restService(table: RoutingTable, path: string): ServiceName | undefined {
  return table.rest.find(([prefix]) => path.startsWith(prefix))?.[1];
}

/** Decides which service a request is for, from its headers, path and (form) body. */
export function classify(req: IncomingMessage, url: URL, body: Buffer | undefined, table: RoutingTable): Classified {
  const target = req.headers["x-amz-target"];
  const contentType = String(req.headers["content-type"] ?? "").toLowerCase();
  const isForm = contentType.startsWith("application/x-www-form-urlencoded");
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

/** Writes an error the client of `protocol` parses into a named exception. */
export function sendAwsError(res: ServerResponse, protocol: Protocol, status: number, code: string, message: string): void {
  const error = new AwsServiceError(code, message, status);
  if (protocol === "query") writeQueryError(res, error);
  else if (protocol === "json") writeJsonError(res, error);
  else writeRestError(res, error);
}

function sendJsonError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: message });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** Headers that describe one hop, not the request (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "content-length"]);

export interface GatewayOptions {
  readonly host: string;
  readonly port: number;
  /** How each service's requests are recognised (the `routing` of each local service). */
  readonly routing: readonly ServiceRouting[];
  /** Loopback endpoints of the engines, read per request (engines start before the gateway). */
  readonly upstreams: () => Partial<Record<ServiceName, string>>;
  /** False while the engines start: AWS requests get a retryable 503 until then. */
  readonly ready?: () => boolean;
  /** Services answered in this process, by their JSON target prefix. */
  readonly inProcess?: () => Partial<Record<ServiceName, { prefix: string; operations: Operations; contentType?: string }>>;
  /** Services whose own handlers answer in this process the requests the gateway read (no second HTTP hop). */
  readonly served?: () => Partial<Record<ServiceName, ServeHandler>>;
  /**
   * How long an engine may take to answer before the client gets an AWS-shaped timeout error;
   * default 60 s (above SQS's 20 s long polls and Step Functions' 60 s `GetActivityTask`).
   */
  readonly upstreamTimeoutMs?: number;
  /** Called with each request that failed inside the gateway (a bug), for the terminal. */
  readonly onInternalError?: (error: Error, req: IncomingMessage) => void;
  /**
   * Checks an AWS request before it is served (local IAM, `local/iam/`): returns true when it
   * answered the request itself (a refusal), false to let it through.
   */
  readonly authorize?: (request: AuthorizableRequest, res: ServerResponse) => boolean;
}

/** What {@link GatewayOptions.authorize} sees of an AWS request: the body is read, nothing is forwarded yet. */
export interface AuthorizableRequest {
  readonly service: ServiceName;
  readonly protocol: Protocol;
  readonly target: string | undefined;
  readonly method: string;
  readonly url: URL;
  readonly body: Buffer;
  readonly authorization: string | undefined;
}

/**
 * An AWS request the gateway read and let through, handed to the handler of a service answered in
 * this process ({@link GatewayOptions.served}): the body is read, nothing is answered yet.
 */
export interface ServedRequest {
  readonly req: IncomingMessage;
  readonly url: URL;
  readonly body: Buffer;
  readonly protocol: Protocol;
  readonly service: ServiceName;
  /** How long the service may take before the client gets an AWS-shaped timeout, as for a forwarded request. */
  readonly timeoutMs: number;
}

/** Answers one {@link ServedRequest}; must answer every request (or let the error escape: a 500). */
export type ServeHandler = (request: ServedRequest, res: ServerResponse) => Promise<void>;

/** An answer a service computed away from the response (another thread): status, headers, body. */
export interface RelayedAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

/**
 * Writes the answer `work` resolves with, as {@link Gateway} writes a forwarded engine's: a
 * `RequestTimeout` (504) when it takes longer than the request's timeout, `ServiceUnavailable`
 * (502) when the engine fails, nothing when the client has gone.
 */
export function relayAnswer(request: ServedRequest, res: ServerResponse, work: Promise<RelayedAnswer>): Promise<void> {
  return new Promise<void>((resolve) => {
    let settled = false;
    const settle = (write: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!res.headersSent && !res.destroyed) write();
      resolve();
    };
    const timer = setTimeout(
      () => settle(() => sendAwsError(res, request.protocol, 504, "RequestTimeout", `the local ${request.service} did not answer within ${Math.round(request.timeoutMs / 1000)} s (an operation it does not implement?)`)),
      request.timeoutMs,
    );
    work.then(
      (answer) =>
        settle(() => {
          res.writeHead(answer.status, answer.headers);
          res.end(answer.text);
        }),
      (error: Error) => settle(() => sendAwsError(res, request.protocol, 502, "ServiceUnavailable", `the local ${request.service} could not be reached: ${error.message}`)),
    );
  });
}

/** One AWS API request the gateway serves, as {@link Gateway.observe} observers see it. */
export interface AwsRequest {
  readonly service: ServiceName;
  /** The JSON protocol's `X-Amz-Target` operation or the query protocol's `Action` (SES v2 REST: the path). */
  readonly operation: string;
  /** The parsed JSON body or query parameters; `{}` when unreadable. */
  readonly input: Record<string, unknown>;
  /** The caller's access key id (SigV4 `Credential=`), if signed. */
  readonly accessKeyId: string | undefined;
}

export type AwsRequestObserver = (request: AwsRequest) => void;

function describeRequest(service: ServiceName, req: IncomingMessage, url: URL, body: Buffer): AwsRequest {
  const target = req.headers["x-amz-target"];
  const accessKeyId = accessKeyIdOf(typeof req.headers.authorization === "string" ? req.headers.authorization : undefined);
  if (typeof target === "string") {
    let input: Record<string, unknown> = {};
    try {
      input = JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>;
    } catch {
      // An unreadable body: the engine answers it.
    }
    return { service, operation: target.slice(target.indexOf(".") + 1), input, accessKeyId };
  }
  const params = new URLSearchParams(url.search);
  if (body.length > 0 && String(req.headers["content-type"] ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    for (const [key, value] of new URLSearchParams(body.toString("utf8"))) params.append(key, value);
  }
  return { service, operation: params.get("Action") ?? `${req.method} ${url.pathname}`, input: Object.fromEntries(params), accessKeyId };
}

/** Paths where AWS APIs are served: the root, SQS queue URLs and Lambda's REST prefix (refused); the services' REST prefixes too. */
const AWS_PATHS = /^(?:\/|\/\d{12}\/[^/]+|\/2015-03-31\/.*)$/;

/** Path prefixes whose state-changing requests must be same-origin JSON. */
const GUARDED_PREFIXES = ["/_paybus/", "/dashboard"];
/** Path prefixes that a page from another origin may not even read (or open streams on). */
const READ_GUARDED_PREFIXES = ["/_paybus/", "/dashboard/api/"];

/** The running gateway. */
/** Bodies the gateway read before routing (form POSTs, to look for a query-protocol `Action`). */
const preRead = new WeakMap<IncomingMessage, Buffer>();

/** The body of a form POST the gateway already read, for a route (the stream is consumed). */
export function preReadBody(req: IncomingMessage): Buffer | undefined {
  return preRead.get(req);
}

export class Gateway {
  private server: Server | undefined;
  private readonly routes: Route[] = [];
  private readonly observers = new Set<AwsRequestObserver>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private readonly timeoutMs: number;
  private readonly table: RoutingTable;

  constructor(private readonly options: GatewayOptions) {
    this.timeoutMs = options.upstreamTimeoutMs ?? 60_000;
    this.table = routingTable(options.routing);
  }

  addRoute(route: Route): void {
    this.routes.push(route);
  }

  /** Calls `observer` with every AWS request about to be served; returns a function that stops it. */
  observe(observer: AwsRequestObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    const host = this.options.host.includes(":") ? `[${this.options.host}]` : this.options.host;
    return address ? `http://${host}:${address.port}` : "";
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => {
        // The last line of defence: whatever a route did, this request fails alone.
        this.options.onInternalError?.(error, req);
        sendJsonError(res, 500, `internal error: ${error.message}`);
      });
    });
    // A client that opens a connection and never finishes its headers cannot hold it forever.
    this.server.headersTimeout = 30_000;
    // The SDK's agents keep idle connections open indefinitely, so whichever side closes an idle
    // one races the other reusing it (a "socket hang up" for the request sent on it). Node's 5 s
    // default lost that race on a busy machine, where a turn of the event loop can take seconds;
    // a connection idle for a minute is closed here, as AWS endpoints do with theirs.
    this.server.keepAliveTimeout = 60_000;
    this.server.on("clientError", (_error, socket) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
      else socket.destroy();
    });
    try {
      return await listen(this.server, this.options.host, this.options.port);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
      throw new GatewayPortInUseError(this.options.port);
    }
  }

  async stop(): Promise<void> {
    await close(this.server);
    this.agent.destroy();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // This server does not serve that name (a DNS-rebinding page would use its own).
    if (refuseForeignHost(req, res)) return;
    let url: URL;
    try {
      // Routes see the URL the client used (the device API checks signatures over it); Host is loopback here.
      url = new URL(req.url ?? "/", `http://${req.headers.host}`);
    } catch {
      return sendJsonError(res, 400, "malformed request target");
    }
    const isForm = String(req.headers["content-type"] ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded");
    // Query-protocol requests name their action in the body; only those need reading before routing.
    let body = isForm && req.method === "POST" ? await readBody(req) : undefined;
    const decision = classify(req, url, body, this.table);
    if (decision.kind === "local") {
      // A form POST that is no AWS action (the local Stripe API's) was read already: routes find it here.
      if (body) preRead.set(req, body);
      await this.local(req, res, url);
      return;
    }
    // A signed request to a path of the runtime's own (the device API's function URL, with IAM auth)
    // is that route's, not an AWS API call: AWS APIs live at "/", a queue URL or their REST prefixes.
    if (req.headers["x-amz-target"] === undefined && !AWS_PATHS.test(url.pathname) && !restService(this.table, url.pathname) && !body && (await this.local(req, res, url, false))) return;

    const crossOrigin = crossOriginReason(req);
    if (crossOrigin) return sendAwsError(res, decision.protocol, 403, "AccessDeniedException", `cross-origin browser requests are refused (${crossOrigin})`);
    if (decision.kind === "aws-unknown") {
      return sendAwsError(res, decision.protocol, 400, decision.protocol === "query" ? "InvalidAction" : "UnknownOperationException", `the local runtime does not emulate ${decision.what}`);
    }
    if (this.options.ready && !this.options.ready()) return sendAwsError(res, decision.protocol, 503, "ServiceUnavailable", "the local runtime is starting");
    const input = body ?? (await readBody(req));
    body = input;
    if (this.observers.size > 0) {
      const request = describeRequest(decision.service, req, url, input);
      for (const observer of this.observers) observer(request);
    }
    if (this.options.authorize) {
      const target = req.headers["x-amz-target"];
      const authorization = req.headers.authorization;
      const request = { service: decision.service, protocol: decision.protocol, target: typeof target === "string" ? target : undefined, method: req.method ?? "GET", url, body: input, authorization };
      if (this.options.authorize(request, res)) return;
    }
    const local = this.options.inProcess?.()[decision.service];
    if (local) {
      const target = String(req.headers["x-amz-target"] ?? "");
      if (!target.startsWith(`${local.prefix}.`)) {
        return sendAwsError(res, decision.protocol, 400, "UnknownOperationException", `the local ${decision.service} speaks the JSON protocol only (X-Amz-Target ${local.prefix}.<Operation>)`);
      }
      return answerAwsJson(res, target.slice(local.prefix.length + 1), input, local.operations, local.contentType, local.prefix);
    }
    const serve = this.options.served?.()[decision.service];
    if (serve) return serve({ req, url, body: input, protocol: decision.protocol, service: decision.service, timeoutMs: this.timeoutMs }, res);
    const upstream = this.options.upstreams()[decision.service];
    if (!upstream) return sendAwsError(res, decision.protocol, 400, "UnknownOperationException", `the local runtime does not serve ${decision.service}`);
    return this.forward(req, res, upstream, input, decision.protocol, decision.service);
  }

  /** Serves a request with the routes; answers 404 when none does, or returns false (`orNotFound` off). */
  private async local(req: IncomingMessage, res: ServerResponse, url: URL, orNotFound = true): Promise<boolean> {
    const method = req.method ?? "GET";
    // Another site's page may link to the dashboard (a navigation), but not read the admin API or
    // hold the dashboard's live streams open from a script, an <img> or a hidden frame.
    if ((method === "GET" || method === "HEAD") && READ_GUARDED_PREFIXES.some((prefix) => url.pathname.startsWith(prefix)) && req.headers["sec-fetch-mode"] !== "navigate") {
      const crossOrigin = crossOriginReason(req);
      if (crossOrigin) return (sendJsonError(res, 403, `refused: cross-origin request (${crossOrigin})`), true);
    }
    if (method !== "GET" && method !== "HEAD" && GUARDED_PREFIXES.some((prefix) => url.pathname.startsWith(prefix))) {
      const crossOrigin = crossOriginReason(req);
      if (crossOrigin) return (sendJsonError(res, 403, `refused: cross-origin request (${crossOrigin}); use the dashboard or the paybus CLI`), true);
      if (!isJsonContentType(req.headers["content-type"] as string | undefined)) {
        return (sendJsonError(res, 415, "refused: state-changing requests need Content-Type: application/json"), true);
      }
    }
    for (const route of this.routes) if (await route(req, res, url)) return true;
    if (!orNotFound) return false;
    sendJsonError(res, 404, `no route for ${method} ${url.pathname}`);
    return true;
  }

  /** Sends the request to the engine unchanged and streams its answer back, within the timeout. */
  private forward(req: IncomingMessage, res: ServerResponse, upstream: string, body: Buffer, protocol: Protocol, service: ServiceName): Promise<void> {
    const target = new URL(upstream);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    headers["content-length"] = String(body.length);
    return new Promise<void>((resolve) => {
      let settled = false;
      const fail = (status: number, code: string, message: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outgoing.destroy();
        sendAwsError(res, protocol, status, code, message);
        resolve();
      };
      const outgoing = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent: this.agent },
        (answer) => {
          if (settled) return answer.resume();
          clearTimeout(timer);
          const out: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
          if (answer.headers["content-length"] !== undefined) out["content-length"] = answer.headers["content-length"];
          res.writeHead(answer.statusCode ?? 502, out);
          answer.pipe(res);
          answer.on("error", () => res.destroy());
          answer.on("end", () => {
            settled = true;
            resolve();
          });
        },
      );
      const timer = setTimeout(
        () => fail(504, "RequestTimeout", `the local ${service} did not answer within ${Math.round(this.timeoutMs / 1000)} s (an operation it does not implement?)`),
        this.timeoutMs,
      );
      outgoing.on("error", (error) => fail(502, "ServiceUnavailable", `the local ${service} could not be reached: ${error.message}`));
      // The client gave up (or the answer is complete): stop waiting for the engine on its behalf.
      res.on("close", () => {
        clearTimeout(timer);
        if (!res.writableFinished) outgoing.destroy();
        settled = true;
        resolve();
      });
      outgoing.end(body);
    });
  }
}

/** The gateway's port is taken, most likely by another `paybus dev`. */
export class GatewayPortInUseError extends Error {
  override name = "GatewayPortInUseError";
  constructor(readonly port: number) {
    super(`port ${port} is already in use (another paybus runtime?): stop the other process or pass --port <n> (0 picks a free one)`);
  }
}

export { AwsServiceError };
