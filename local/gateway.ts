/**
 * The gateway: the one loopback port (4010 by default) every client talks to. It answers the AWS
 * APIs of every local service — routed by `X-Amz-Target`, the SigV4 credential scope, the REST path
 * or a query-protocol `Action` — by forwarding the request unchanged (the `Host` header included, so
 * URLs the engines build point back at the gateway) to that engine's own loopback endpoint, or by
 * answering in process (EventBridge). The admin API, the dashboard and the webhook bridge are routes.
 *
 * The functions' SDK clients reach the same pipeline without a socket: their worker threads hand
 * each request over a message port ({@link Gateway.serveDetached}, `local/lambda-transport.ts`), and
 * it goes through everything a request on the port does (classification, readiness, observers,
 * local IAM, the services, timeouts) except HTTP parsing and socket writes.
 *
 * It is also the runtime's front door, so it enforces what protects a developer's machine: every
 * request must name a loopback `Host` (DNS rebinding), browsers may only reach it from its own
 * origin, state-changing admin calls must be JSON, a failing route answers 500 for that request
 * only, and an engine that does not answer gets the client an AWS-shaped error, never a hang.
 */
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { AnswerSink } from "./answer-sink.ts";
import { AwsServiceError, answerAwsJson, close, listen, readBody, type Operations } from "./aws-json.ts";
import { accessKeyIdOf } from "./function-credentials.ts";
import { forward } from "./gateway-forward.ts";
import { relayAnswer, sendAwsError, sendJsonError, type RelayedAnswer, type ServedRequest, type ServeHandler } from "./gateway-answers.ts";
import { classify, isFormRequest, restService, routingTable, type Classified, type Protocol, type RequestHead, type RoutingTable, type ServiceName, type ServiceRouting } from "./gateway-routing.ts";
import { crossOriginReason, isJsonContentType, isLoopbackHost, refuseForeignHost } from "./loopback.ts";

export { crossOriginReason, isJsonContentType, isLoopbackHost, relayAnswer, sendAwsError, classify, routingTable };
export type { AnswerSink, Classified, Protocol, RelayedAnswer, RequestHead, RoutingTable, ServedRequest, ServeHandler, ServiceName, ServiceRouting };

export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export class ForbiddenRequestError extends Error {
  override name = "ForbiddenRequestError";
}

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
  readonly onInternalError?: (error: Error, req: RequestHead) => void;
  /**
   * Checks an AWS request before it is served (local IAM, `local/iam/`): returns true when it
   * answered the request itself (a refusal), false to let it through.
   */
  readonly authorize?: (request: AuthorizableRequest, res: AnswerSink) => boolean;
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

function describeRequest(service: ServiceName, req: RequestHead, url: URL, body: Buffer): AwsRequest {
  const target = req.headers["x-amz-target"];
  const accessKeyId = accessKeyIdOf(typeof req.headers.authorization === "string" ? req.headers.authorization : undefined);
  if (typeof target === "string") {
    // Parsed when an observer reads it, once: one that counts calls by caller (backtests) parses nothing.
    let input: Record<string, unknown> | undefined;
    return {
      service,
      operation: target.slice(target.indexOf(".") + 1),
      accessKeyId,
      get input() {
        if (input === undefined) {
          try {
            input = JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>;
          } catch {
            // An unreadable body: the engine answers it.
            input = {};
          }
        }
        return input;
      },
    };
  }
  const params = new URLSearchParams(url.search);
  if (body.length > 0 && isFormRequest(req)) {
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

/** Bodies the gateway read before routing (form POSTs, to look for a query-protocol `Action`). */
const preRead = new WeakMap<IncomingMessage, Buffer>();

/** The body of a form POST the gateway already read, for a route (the stream is consumed). */
export function preReadBody(req: IncomingMessage): Buffer | undefined {
  return preRead.get(req);
}

/**
 * A request that did not arrive on the gateway's port (a function's SDK client handed it over a
 * message port): its head as the SDK built it and its whole body.
 */
export interface DetachedRequest extends RequestHead {
  readonly body: Buffer;
}

/** The running gateway. */
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

  /**
   * Serves an AWS request that did not arrive on the port: a function's SDK call handed over by its
   * worker thread (`local/lambda-transport.ts`). It takes the same path as one on the port — the
   * loopback `Host` check, classification, readiness, observers, local IAM, the services and their
   * timeouts — and answers in `res`; never throws (a failure inside is a 500 for this request only).
   * Requests for the gateway's own routes (the admin API, the Stripe API…) are not taken here.
   */
  async serveDetached(request: DetachedRequest, res: AnswerSink): Promise<void> {
    try {
      if (refuseForeignHost(request, res)) return;
      const url = new URL(request.url ?? "/", `http://${request.headers.host}`);
      const decision = classify(request, url, request.body, this.table);
      if (decision.kind === "local") return sendJsonError(res, 404, `only AWS API requests are served without a socket, not ${request.method ?? "GET"} ${url.pathname}`);
      await this.serveAws(request, url, decision, request.body, res);
    } catch (error) {
      this.options.onInternalError?.(error as Error, request);
      sendJsonError(res, 500, `internal error: ${(error as Error).message}`);
    }
  }

  /** A request on the port: the gateway's own routes, or an AWS request for the shared pipeline. */
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
    // Query-protocol requests name their action in the body; only those need reading before routing.
    const body = isFormRequest(req) && req.method === "POST" ? await readBody(req) : undefined;
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
    await this.serveAws(req, url, decision, body ?? (() => readBody(req)), res);
  }

  /**
   * The AWS request pipeline both entries share: refusals (cross-origin, unknown API, starting),
   * then the body (read only now, when it comes from a socket), the observers, local IAM, and the
   * service (answered in process, served by its handler, or forwarded to its engine).
   */
  private async serveAws(req: RequestHead, url: URL, decision: Exclude<Classified, { kind: "local" }>, body: Buffer | (() => Promise<Buffer>), res: AnswerSink): Promise<void> {
    const crossOrigin = crossOriginReason(req);
    if (crossOrigin) return sendAwsError(res, decision.protocol, 403, "AccessDeniedException", `cross-origin browser requests are refused (${crossOrigin})`);
    if (decision.kind === "aws-unknown") {
      return sendAwsError(res, decision.protocol, 400, decision.protocol === "query" ? "InvalidAction" : "UnknownOperationException", `the local runtime does not emulate ${decision.what}`);
    }
    if (this.options.ready && !this.options.ready()) return sendAwsError(res, decision.protocol, 503, "ServiceUnavailable", "the local runtime is starting");
    const input = typeof body === "function" ? await body() : body;
    if (this.observers.size > 0) {
      const request = describeRequest(decision.service, req, url, input);
      for (const observer of this.observers) observer(request);
    }
    const target = req.headers["x-amz-target"];
    if (this.options.authorize) {
      const authorization = req.headers.authorization;
      const request = { service: decision.service, protocol: decision.protocol, target: typeof target === "string" ? target : undefined, method: req.method ?? "GET", url, body: input, authorization };
      if (this.options.authorize(request, res)) return;
    }
    const local = this.options.inProcess?.()[decision.service];
    if (local) {
      const operation = typeof target === "string" ? target : "";
      if (!operation.startsWith(`${local.prefix}.`)) {
        return sendAwsError(res, decision.protocol, 400, "UnknownOperationException", `the local ${decision.service} speaks the JSON protocol only (X-Amz-Target ${local.prefix}.<Operation>)`);
      }
      return answerAwsJson(res, operation.slice(local.prefix.length + 1), input, local.operations, local.contentType, local.prefix);
    }
    const serve = this.options.served?.()[decision.service];
    if (serve) return serve({ req, url, body: input, protocol: decision.protocol, service: decision.service, timeoutMs: this.timeoutMs }, res);
    const upstream = this.options.upstreams()[decision.service];
    if (!upstream) return sendAwsError(res, decision.protocol, 400, "UnknownOperationException", `the local runtime does not serve ${decision.service}`);
    return forward({ req, res, upstream, body: input, protocol: decision.protocol, service: decision.service, agent: this.agent, timeoutMs: this.timeoutMs });
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
}

/** The gateway's port is taken, most likely by another `paybus dev`. */
export class GatewayPortInUseError extends Error {
  override name = "GatewayPortInUseError";
  constructor(readonly port: number) {
    super(`port ${port} is already in use (another paybus runtime?): stop the other process or pass --port <n> (0 picks a free one)`);
  }
}

export { AwsServiceError };
