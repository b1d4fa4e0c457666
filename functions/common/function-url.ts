/**
 * What the function-URL APIs (devices, loyalty, promotions) share: JSON answers, the refusal body
 * (`{error: {code, message, …}}`), the request body (a function URL base64-encodes a body it
 * cannot pass as text) and the class of their 4xx refusals.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/** An answer as a function URL (payload format 2.0) returns it. */
export type FunctionUrlAnswer = APIGatewayProxyStructuredResultV2;

/** `body` as JSON with the given status. */
export function json(statusCode: number, body: unknown): FunctionUrlAnswer {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** A refusal: a stable `code` a client can branch on, a message a developer can act on, and extra fields. */
export function refuse(statusCode: number, code: string, message: string, details: Readonly<Record<string, unknown>> = {}): FunctionUrlAnswer {
  return json(statusCode, { error: { code, message, ...details } });
}

/** A request an API cannot accept as it is (HTTP 4xx): its status, stable code and extra fields of the error body. */
export class ApiRequestError extends Error {
  override name = "ApiRequestError";
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 | 422,
    readonly code: string,
    /** Extra fields of the error body (`field`, `balance`). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

/** The request's body is not JSON (400 `InvalidRequest`). */
export class InvalidJsonBodyError extends ApiRequestError {
  override name = "InvalidJsonBodyError";
  constructor() {
    super("the body is not valid JSON", 400, "InvalidRequest");
  }
}

/**
 * The request's JSON body, `undefined` without one.
 *
 * @throws InvalidJsonBodyError when it is not JSON.
 */
export function jsonBody(event: Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded">): unknown {
  if (!event.body) return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidJsonBodyError();
  }
}
