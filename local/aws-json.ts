/**
 * The AWS JSON protocol (awsJson1.0 / 1.1), served once for every local engine that speaks it:
 * `POST /` with `X-Amz-Target: <Service>.<Operation>`, JSON in, JSON out, errors as
 * `{__type, message}` — which the SDK turns into named exceptions (`local/aws-error.ts`).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { AnswerSink } from "./answer-sink.ts";
import { asAwsError, AwsServiceError, writeJsonError } from "./aws-error.ts";
import { guardLoopbackHost } from "./loopback.ts";

export { AwsServiceError };

export type Operations = Record<string, (input: any) => unknown>;

export async function readBody(req: IncomingMessage, limitBytes = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new AwsServiceError("RequestEntityTooLargeException", "Request body too large", 413);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: AnswerSink, status: number, body: unknown, contentType: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text), "x-amzn-requestid": randomUUID() });
  res.end(text);
}

function parseInput(body: Buffer): Record<string, unknown> {
  const text = body.toString("utf8");
  if (text.trim() === "") return {};
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    throw new AwsServiceError("SerializationException", "The request body is not valid JSON");
  }
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new AwsServiceError("SerializationException", "The request body must be a JSON object");
  }
  return input as Record<string, unknown>;
}

/**
 * Handles one AWS JSON request for `service` (the target prefix, e.g. `AWSEvents`); returns false
 * when the request is not for this service so a shared server can try another handler.
 */
export async function handleAwsJson(
  req: IncomingMessage,
  res: ServerResponse,
  service: string,
  operations: Operations,
  contentType = "application/x-amz-json-1.1",
): Promise<boolean> {
  const target = req.headers["x-amz-target"];
  if (typeof target !== "string" || !target.startsWith(`${service}.`)) return false;
  let body: Buffer;
  try {
    body = await readBody(req);
  } catch (error) {
    writeJsonError(res, asAwsError(error, service), contentType);
    return true;
  }
  await answerAwsJson(res, target.slice(service.length + 1), body, operations, contentType, service);
  return true;
}

/** Answers one AWS JSON `operation` whose request body was already read (by the gateway). */
export async function answerAwsJson(
  res: AnswerSink,
  operation: string,
  body: Buffer,
  operations: Operations,
  contentType = "application/x-amz-json-1.1",
  service = "service",
): Promise<void> {
  try {
    const input = parseInput(body);
    if (!Object.hasOwn(operations, operation)) {
      throw new AwsServiceError("UnknownOperationException", `Operation not supported by the local ${service}: ${operation}`);
    }
    send(res, 200, (await operations[operation]!(input)) ?? {}, contentType);
  } catch (error) {
    writeJsonError(res, asAwsError(error, service), contentType);
  }
}

/**
 * Listens on `host:port` (0 picks a free port) and resolves with the bound `http://host:port`;
 * requests naming a foreign `Host` are refused (403, AccessDenied).
 */
export async function listen(server: Server, host: string, port = 0): Promise<string> {
  // Every local engine is reachable by any page whose DNS name rebinds to 127.0.0.1: refuse those.
  guardLoopbackHost(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return `http://${host.includes(":") ? `[${host}]` : host}:${bound}`;
}

/** Closes a server without waiting for the SDK's kept-alive connections to idle out. */
export function close(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Serves one AWS JSON service on loopback; resolves with its endpoint. */
export async function serveAwsJson(
  service: string,
  operations: Operations,
  options: { host?: string; port?: number; contentType?: string } = {},
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void handleAwsJson(req, res, service, operations, options.contentType).then((handled) => {
      if (!handled) {
        writeJsonError(res, new AwsServiceError("UnknownOperationException", `Missing or foreign X-Amz-Target: ${String(req.headers["x-amz-target"])}`), "application/json");
      }
    }).catch(() => {
      // Only writing the answer can fail here (the client went away): nothing left to tell it.
      res.destroy();
    });
  });
  const endpoint = await listen(server, options.host ?? "127.0.0.1", options.port ?? 0);
  return { endpoint, close: () => close(server) };
}
