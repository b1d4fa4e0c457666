/**
 * The awsJson1.0 transport: a loopback HTTP server that routes `X-Amz-Target: <service>.<Op>`
 * POSTs to operation functions and writes AWS's JSON error shape (`__type`, `message`).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { JsonObject } from "./definition.ts";
import { SerializationError, StepFunctionsApiError, UnknownOperationError } from "./errors.ts";

/** Handles one operation call; throws `StepFunctionsApiError` for client errors. */
export type Dispatch = (operation: string, request: JsonObject) => JsonObject;

/** A running JSON API server. */
export interface JsonApiServer {
  /** `http://<host>:<port>`, for an SDK `endpoint` override. */
  readonly endpoint: string;
  close(): Promise<void>;
}

const CONTENT_TYPE = "application/x-amz-json-1.0";

/** Serves `dispatch` for targets `<targetPrefix>.<Operation>` on `host:port` (0 picks a free port). */
export async function serveJsonApi(host: string, port: number, targetPrefix: string, dispatch: Dispatch): Promise<JsonApiServer> {
  const server = createServer((request, response) => {
    void handle(request, targetPrefix, dispatch).then(({ status, body }) => send(response, status, body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host.includes(":") ? `[${host}]` : host}:${boundPort}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The SDK keeps connections alive; without this, close() waits for them to idle out.
        server.closeAllConnections();
      }),
  };
}

async function handle(request: IncomingMessage, targetPrefix: string, dispatch: Dispatch): Promise<{ status: number; body: JsonObject }> {
  try {
    const operation = operationName(request.headers["x-amz-target"], targetPrefix);
    return { status: 200, body: dispatch(operation, parseBody(await readBody(request))) };
  } catch (error) {
    if (error instanceof StepFunctionsApiError) return { status: 400, body: { __type: error.type, message: error.message } };
    // Anything else is a bug of this endpoint, reported as AWS reports its own failures.
    return { status: 500, body: { __type: "InternalFailure", message: (error as Error).message } };
  }
}

function operationName(target: string | string[] | undefined, targetPrefix: string): string {
  const prefix = `${targetPrefix}.`;
  if (typeof target !== "string" || !target.startsWith(prefix)) {
    throw new UnknownOperationError(`Missing or foreign X-Amz-Target: ${String(target)}`);
  }
  return target.slice(prefix.length);
}

function parseBody(text: string): JsonObject {
  if (text.trim() === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SerializationError("The request body is not valid JSON");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new SerializationError("The request body must be a JSON object");
  }
  return body as JsonObject;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(response: ServerResponse, status: number, body: JsonObject): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": CONTENT_TYPE,
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": randomUUID(),
  });
  response.end(text);
}
