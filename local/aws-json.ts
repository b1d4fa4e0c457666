/**
 * A minimal server for AWS JSON-protocol APIs (awsJson1.0 / 1.1): `POST /` with
 * `X-Amz-Target: <Service>.<Operation>`, JSON in, JSON out, errors as `{__type, message}`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** An error the client SDK turns into a named exception (`err.name === type`). */
export class AwsServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

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

function send(res: ServerResponse, status: number, body: unknown, contentType: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
  res.end(text);
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
  const operation = target.slice(service.length + 1);
  try {
    const body = await readBody(req);
    const implementation = operations[operation];
    if (!implementation) throw new AwsServiceError("UnknownOperationException", `Operation ${operation} is not supported by the local ${service}`);
    const input = body.length > 0 ? JSON.parse(body.toString("utf8")) : {};
    send(res, 200, (await implementation(input)) ?? {}, contentType);
  } catch (error) {
    const aws = error instanceof AwsServiceError ? error : new AwsServiceError("InternalException", (error as Error).message, 500);
    send(res, aws.status, { __type: aws.type, message: aws.message }, contentType);
  }
  return true;
}

/** Starts an HTTP server on loopback for one AWS JSON service; resolves with its endpoint. */
export async function serveAwsJson(
  service: string,
  operations: Operations,
  options: { host?: string; port?: number; contentType?: string } = {},
): Promise<{ server: Server; endpoint: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void handleAwsJson(req, res, service, operations, options.contentType).then((handled) => {
      if (!handled) send(res, 400, { __type: "UnknownOperationException", message: "Missing or foreign X-Amz-Target" }, "application/json");
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    endpoint: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
