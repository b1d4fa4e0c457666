/** The DynamoDB JSON protocol (awsJson1.0) on plain `node:http`. */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { crc32 } from "node:zlib";
import { DynamoServiceError, SerializationError, type JsonObject } from "./errors.ts";

/** DynamoDB's own limit on a request body. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

const TARGET_PREFIX = "DynamoDB_20120810.";

/** The operation named by an `X-Amz-Target` header, e.g. `TransactWriteItems`. */
export function targetOperation(target: string | string[] | undefined): string | undefined {
  return typeof target === "string" && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
}

/** Reads a request body as a JSON object. */
export function readJsonBody(req: IncomingMessage): Promise<JsonObject> {
  // Plain stream events: an async iterator per request cost more than the rest of the reading.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        failed = true;
        reject(new DynamoServiceError("RequestEntityTooLarge", "Request body too large", 413));
        return;
      }
      chunks.push(chunk);
    });
    req.once("error", reject);
    req.once("end", () => {
      if (failed) return;
      try {
        resolve(parseBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
  });
}

function parseBody(bytes: Buffer): JsonObject {
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new SerializationError("The request body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new SerializationError("Start of structure or map found where not expected");
  }
  return body as JsonObject;
}

/** Sends a body with the headers DynamoDB sends (the SDK reads the request id; some clients check the CRC). */
export function sendJson(res: ServerResponse, status: number, body: JsonObject): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.0",
    "content-length": payload.length,
    "x-amzn-requestid": randomUUID(),
    "x-amz-crc32": String(crc32(payload)),
  });
  res.end(payload);
}

/** Sends an error; anything that is not a DynamoDB wire error becomes a 500 `InternalServerError`. */
export function sendError(res: ServerResponse, error: unknown): void {
  const wire =
    error instanceof DynamoServiceError
      ? error
      : new DynamoServiceError("InternalServerError", error instanceof Error ? error.message : String(error), 500);
  sendJson(res, wire.status, wire.toWire());
}
