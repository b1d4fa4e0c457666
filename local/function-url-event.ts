/**
 * What the local runtime needs to serve the bridge the way a Lambda function URL does, so
 * `stripe listen --forward-to localhost:<port>/stripe/webhook` reaches the very same handler.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { APIGatewayProxyEventV2 } from "aws-lambda";

/** The path the local runtime serves the webhook bridge at. */
export const WEBHOOK_PATH = "/stripe/webhook";

/**
 * The largest request body a function URL passes on: Lambda's 6 MB invocation payload quota.
 * Larger requests are answered 413 by the URL itself; the function never runs.
 */
export const FUNCTION_URL_MAX_BODY_BYTES = 6 * 1024 * 1024;

/** The answer a function URL gives a request whose body is over {@link FUNCTION_URL_MAX_BODY_BYTES}. */
export const PAYLOAD_TOO_LARGE = { status: 413, body: JSON.stringify({ message: "Request Entity Too Large" }) } as const;

/**
 * The function URL event for `req`, reading its body up to {@link FUNCTION_URL_MAX_BODY_BYTES};
 * `"too-large"` as soon as the body goes over it (the rest is never buffered), for the caller to
 * answer {@link PAYLOAD_TOO_LARGE} as the function URL would.
 */
export async function readFunctionUrlRequest(
  req: IncomingMessage,
  limitBytes = FUNCTION_URL_MAX_BODY_BYTES,
): Promise<APIGatewayProxyEventV2 | "too-large"> {
  const body = await readFunctionUrlBody(req, limitBytes);
  return body === "too-large" ? body : toFunctionUrlEvent(req, body);
}

/** The raw request body, or `"too-large"` past the function URL quota (without reading the rest). */
export async function readFunctionUrlBody(req: IncomingMessage, limitBytes = FUNCTION_URL_MAX_BODY_BYTES): Promise<Buffer | "too-large"> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limitBytes) return "too-large";
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) return "too-large";
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `requestContext.time` as function URLs write it: `12/Mar/2020:19:03:58 +0000`. */
function requestTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/**
 * The function URL event (payload format 2.0) for a node HTTP request whose body has been read
 * into `rawBody`, arriving now. Header names are lower-case and repeated values joined with
 * commas, as function URLs pass them; the body is always base64-encoded so the signed bytes reach
 * the handler intact.
 */
export function toFunctionUrlEvent(req: IncomingMessage, rawBody: Buffer): APIGatewayProxyEventV2 {
  const receivedAt = new Date();
  const url = new URL(req.url ?? "/", "http://localhost");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  // Function URLs move cookies out of the headers into their own list.
  const cookies = headers.cookie?.split(/;\s*/);
  delete headers.cookie;
  const queryStringParameters: Record<string, string> = {};
  for (const name of new Set(url.searchParams.keys())) {
    queryStringParameters[name] = url.searchParams.getAll(name).join(",");
  }
  const domainName = headers.host ?? "localhost";
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies,
    headers,
    queryStringParameters: url.search ? queryStringParameters : undefined,
    requestContext: {
      accountId: "anonymous",
      apiId: "paybus-local",
      domainName,
      domainPrefix: domainName.split(".")[0] ?? domainName,
      http: {
        method: req.method ?? "GET",
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: requestTime(receivedAt),
      timeEpoch: receivedAt.getTime(),
    },
    body: rawBody.length > 0 ? rawBody.toString("base64") : undefined,
    isBase64Encoded: rawBody.length > 0,
  };
}
