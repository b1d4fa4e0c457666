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
  return parseText(bytes.toString("utf8"));
}

/**
 * Parses a body already read and decoded elsewhere (the gateway hands requests over without HTTP),
 * with the same size limit and errors as the HTTP server's.
 */
export function parseJsonText(text: string): JsonObject {
  // Only a text that may exceed the limit is measured (a UTF-16 unit is at most 3 bytes of UTF-8).
  if (text.length * 3 > MAX_REQUEST_BYTES && Buffer.byteLength(text) > MAX_REQUEST_BYTES) {
    throw new DynamoServiceError("RequestEntityTooLarge", "Request body too large", 413);
  }
  return parseText(text);
}

function parseText(text: string): JsonObject {
  let body: unknown;
  try {
    body = JSON.parse(text);
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

/** An answer as the HTTP server would write it, ready to cross threads: status, every header, the body's text. */
export interface WireAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

/** The {@link WireAnswer} of an answer: its headers with `content-length`, its body as text (a Buffer would carry its whole, possibly pooled, ArrayBuffer across threads). */
export function wireAnswer(answer: HttpAnswer): WireAnswer {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer.headers)) headers[name] = String(value);
  headers["content-length"] = String(answer.body.length);
  return { status: answer.status, headers, text: answer.body.toString("utf8") };
}
