/** The DynamoDB JSON protocol (awsJson1.0): requests in, answers out, over `http-server.ts`. */
import { randomUUID } from "node:crypto";
import { crc32 } from "node:zlib";
import { DynamoServiceError, SerializationError, type JsonObject } from "./errors.ts";
import type { HttpAnswer } from "./http-server.ts";

/** DynamoDB's own limit on a request body. */
export const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

const TARGET_PREFIX = "DynamoDB_20120810.";

/** The operation named by an `X-Amz-Target` header, e.g. `TransactWriteItems`. */
export function targetOperation(target: string | string[] | undefined): string | undefined {
  return typeof target === "string" && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
}

/** An answer too large to read: DynamoDB's 413. */
export function tooLargeAnswer(): HttpAnswer {
  return errorAnswer(new DynamoServiceError("RequestEntityTooLarge", "Request body too large", 413));
}

/** Reads a request body as a JSON object. */
export function parseBody(bytes: Buffer): JsonObject {
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

/** An answer with the headers DynamoDB sends (the SDK reads the request id; some clients check the CRC). */
export function jsonAnswer(status: number, body: JsonObject): HttpAnswer {
  const payload = Buffer.from(JSON.stringify(body));
  return {
    status,
    headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": randomUUID(), "x-amz-crc32": crc32(payload) },
    body: payload,
  };
}

/** An error answer; anything that is not a DynamoDB wire error becomes a 500 `InternalServerError`. */
export function errorAnswer(error: unknown): HttpAnswer {
  const wire =
    error instanceof DynamoServiceError
      ? error
      : new DynamoServiceError("InternalServerError", error instanceof Error ? error.message : String(error), 500);
  return jsonAnswer(wire.status, wire.toWire());
}
