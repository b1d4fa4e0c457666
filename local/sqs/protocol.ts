/**
 * Serves the SQS engine over HTTP, in both protocols SQS clients speak:
 * - JSON (`POST /`, `X-Amz-Target: AmazonSQS.<Operation>`, `application/x-amz-json-1.0`): SDK v3,
 *   AWS CLI v2 ≥ 2.15, botocore ≥ 1.34;
 * - query (`Action=<Operation>` form-encoded, or in the query string; XML answers): older clients
 *   such as Debian's awscli 2.9 and boto3 1.26.
 * Queue URLs in answers use the request's `Host` (`http://<Host>/<account>/<queue>`), so they
 * resolve for whoever asked, through the gateway or directly.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "../aws-json.ts";
import type { SqsEngine, RequestContext } from "./engine.ts";
import { asSqsError, SqsError } from "./errors.ts";
import { queryError, queryInput, queryResponse } from "./query.ts";

const OPERATIONS = new Set([
  "CreateQueue",
  "GetQueueUrl",
  "ListQueues",
  "GetQueueAttributes",
  "SetQueueAttributes",
  "DeleteQueue",
  "PurgeQueue",
  "TagQueue",
  "UntagQueue",
  "ListQueueTags",
  "ListDeadLetterSourceQueues",
  "SendMessage",
  "SendMessageBatch",
  "ReceiveMessage",
  "DeleteMessage",
  "DeleteMessageBatch",
  "ChangeMessageVisibility",
  "ChangeMessageVisibilityBatch",
  "StartMessageMoveTask",
  "ListMessageMoveTasks",
]);

/** SQS operations AWS has that the local engine does not implement: answered at once, never hung. */
const NOT_EMULATED = new Set(["AddPermission", "RemovePermission", "CancelMessageMoveTask"]);

const TARGET_PREFIX = "AmazonSQS.";
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * Which SQS protocol a request speaks, from its headers alone (no body read), or undefined when it
 * is not an SQS request: `X-Amz-Target: AmazonSQS.*` is JSON; a form post or a query string signed
 * for the `sqs` service (SigV4 credential scope `…/sqs/aws4_request`) is the query protocol.
 */
export function sqsProtocolOf(req: IncomingMessage): "json" | "query" | undefined {
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") return target.startsWith(TARGET_PREFIX) ? "json" : undefined;
  const scope = `${req.headers.authorization ?? ""} ${req.url ?? ""}`;
  if (!/\/sqs\/aws4_request/.test(decodeURIComponent(scope))) return undefined;
  const type = String(req.headers["content-type"] ?? "");
  if (req.method === "POST" && type.startsWith("application/x-www-form-urlencoded")) return "query";
  if (req.method === "GET" && /[?&]Action=/.test(req.url ?? "")) return "query";
  return undefined;
}

function senderOf(req: IncomingMessage): string | undefined {
  return /Credential=([A-Za-z0-9]+)\//.exec(String(req.headers.authorization ?? ""))?.[1];
}

/** `http://<Host>` when the Host header is a plain host[:port], else the server's own origin. */
export function originOf(req: IncomingMessage, fallback: string): string {
  const host = req.headers.host;
  return typeof host === "string" && HOST.test(host) ? `http://${host}` : fallback;
}

const LOOPBACK_NAME = /^(?:localhost|[A-Za-z0-9-]+\.localhost|127(?:\.\d{1,3}){3}|\[::1\]|\[::ffff:127(?:\.\d{1,3}){3}\])$/i;

/**
 * Refuses what only a web page would send: a request carrying `Origin` or a cross-site
 * `Sec-Fetch-Site` (SDKs and CLIs send neither), and a `Host` that is not a loopback name (DNS
 * rebinding). Otherwise any page could post `Action=SendMessage` to the local SQS.
 */
function refuseWebPages(req: IncomingMessage, fallbackOrigin: string): void {
  const site = req.headers["sec-fetch-site"];
  if (req.headers.origin !== undefined || (typeof site === "string" && site !== "none")) {
    throw new SqsError("AccessDenied", "The local SQS does not accept requests from web pages.");
  }
  const host = String(req.headers.host ?? "").replace(/:\d{1,5}$/, "");
  if (host !== "" && !LOOPBACK_NAME.test(host) && host !== new URL(fallbackOrigin).hostname) {
    throw new SqsError("AccessDenied", `The local SQS answers loopback names only, not "${host}".`);
  }
}

async function run(engine: SqsEngine, operation: string, input: Record<string, unknown>, ctx: RequestContext): Promise<Record<string, unknown>> {
  if (OPERATIONS.has(operation)) return (await (engine as any)[operation](input, ctx)) as Record<string, unknown>;
  if (NOT_EMULATED.has(operation)) throw new SqsError("UnsupportedOperation", `${operation} is not implemented by the paybus local SQS.`);
  throw new SqsError("InvalidAction", `The action ${operation} is not valid for this endpoint.`);
}

/**
 * Answers one SQS request (JSON or query); `fallbackOrigin` is used for queue URLs when the Host
 * header is unusable. Never throws: every failure is an AWS-shaped error for this request only.
 */
export async function handleSqs(engine: SqsEngine, req: IncomingMessage, res: ServerResponse, fallbackOrigin: string): Promise<void> {
  const requestId = randomUUID();
  const abort = new AbortController();
  res.once("close", () => abort.abort());
  const ctx: RequestContext = { origin: originOf(req, fallbackOrigin), sender: senderOf(req), signal: abort.signal };
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = JSON.stringify(body);
      if (res.headersSent || res.destroyed) return;
      res.writeHead(status, { "content-type": "application/x-amz-json-1.0", "content-length": Buffer.byteLength(text), "x-amzn-requestid": requestId, ...headers });
      res.end(text);
    };
    try {
      refuseWebPages(req, fallbackOrigin);
      if (!target.startsWith(TARGET_PREFIX)) throw new SqsError("InvalidAction", `The action ${target} is not valid for this endpoint.`);
      const text = (await readBody(req, 4 * 1024 * 1024)).toString("utf8");
      let input: unknown = {};
      if (text.trim() !== "") {
        try {
          input = JSON.parse(text);
        } catch {
          throw new SqsError("SerializationException", "The request body is not valid JSON.");
        }
      }
      if (!input || typeof input !== "object" || Array.isArray(input)) throw new SqsError("SerializationException", "The request body must be a JSON object.");
      send(200, await run(engine, target.slice(TARGET_PREFIX.length), input as Record<string, unknown>, ctx));
    } catch (caught) {
      const error = asSqsError(caught);
      send(error.status, { __type: error.jsonType, message: error.message }, { "x-amzn-query-error": `${error.queryCode};${error.senderFault ? "Sender" : "Receiver"}` });
    }
    return;
  }
  const sendXml = (status: number, xml: string) => {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { "content-type": "text/xml", "content-length": Buffer.byteLength(xml), "x-amzn-requestid": requestId });
    res.end(xml);
  };
  try {
    refuseWebPages(req, fallbackOrigin);
    const url = new URL(req.url ?? "/", "http://local");
    const params = new URLSearchParams(url.search);
    if (req.method === "POST") for (const [key, value] of new URLSearchParams((await readBody(req, 4 * 1024 * 1024)).toString("utf8"))) params.append(key, value);
    const action = params.get("Action");
    if (!action) throw new SqsError("MissingAction", "The request must contain the parameter Action.");
    const input = queryInput(params);
    // Older clients post to the queue URL itself instead of naming it in QueueUrl.
    if (input.QueueUrl === undefined && /^\/\d{12}\/[^/]+$/.test(url.pathname)) input.QueueUrl = `${ctx.origin}${url.pathname}`;
    const output = await run(engine, action, input, ctx);
    sendXml(200, queryResponse(action, output, requestId));
  } catch (caught) {
    const error = asSqsError(caught);
    sendXml(error.status, queryError(error.queryCode, error.message, error.senderFault, requestId));
  }
}
