import { IdempotencyAlreadyInProgressError, IdempotencyValidationError } from "@aws-lambda-powertools/idempotency";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { ApiRequestError, InvalidJsonBodyError, json, jsonBody } from "./function-url.ts";
import { idempotentApiHandler } from "./idempotent-api.ts";
import { createLogger } from "./logger.ts";

process.env.POWERTOOLS_LOG_LEVEL = "SILENT";

class TestConfigError extends Error {
  override name = "TestConfigError";
}

const event = { rawPath: "/x", requestContext: { http: { method: "POST" } }, headers: {} } as unknown as APIGatewayProxyEventV2;

/** The API's answer when its route throws `error`. */
async function answerTo(error: unknown) {
  const handler = idempotentApiHandler({
    logger: createLogger("function-url-test"),
    subject: "test",
    route: async () => {
      throw error;
    },
    configError: TestConfigError,
    messages: { keyReused: "key reused", inProgress: "in progress", failed: "retry later" },
  });
  const answer = await handler(event);
  return { status: answer.statusCode, body: JSON.parse(answer.body as string) as unknown };
}

describe("function URL bodies", () => {
  it("parses a JSON body, base64-encoded or not, and gives undefined without one", () => {
    expect(jsonBody({ body: '{"a":1}', isBase64Encoded: false })).toEqual({ a: 1 });
    expect(jsonBody({ body: Buffer.from('{"a":2}').toString("base64"), isBase64Encoded: true })).toEqual({ a: 2 });
    expect(jsonBody({ body: undefined, isBase64Encoded: false })).toBeUndefined();
  });

  it("refuses a body that is not JSON as a 400 InvalidRequest", () => {
    expect(() => jsonBody({ body: "{not json", isBase64Encoded: false })).toThrow(InvalidJsonBodyError);
    expect(new InvalidJsonBodyError()).toMatchObject({ status: 400, code: "InvalidRequest" });
  });
});

describe("an idempotent function-URL API's handler", () => {
  it("returns the route's answer", async () => {
    const handler = idempotentApiHandler({
      logger: createLogger("function-url-test"),
      subject: "test",
      route: async () => json(201, { ok: true }),
      configError: TestConfigError,
      messages: { keyReused: "", inProgress: "", failed: "" },
    });

    const answer = await handler(event);

    expect(answer).toMatchObject({ statusCode: 201, headers: { "content-type": "application/json" }, body: '{"ok":true}' });
  });

  it("answers a refusal with its status, code, message and extra fields", async () => {
    await expect(answerTo(new ApiRequestError("too few points", 409, "InsufficientPoints", { balance: 3 }))).resolves.toEqual({
      status: 409,
      body: { error: { code: "InsufficientPoints", message: "too few points", balance: 3 } },
    });
  });

  it("answers Powertools' reused key 422 and key in progress 409, with the API's messages", async () => {
    await expect(answerTo(new IdempotencyValidationError("payload differs"))).resolves.toEqual({ status: 422, body: { error: { code: "IdempotencyKeyReused", message: "key reused" } } });
    await expect(answerTo(new IdempotencyAlreadyInProgressError("busy"))).resolves.toEqual({ status: 409, body: { error: { code: "RequestInProgress", message: "in progress" } } });
  });

  it("answers its configuration error 500 Misconfigured with what to set, and anything else 500 without its message", async () => {
    await expect(answerTo(new TestConfigError("set PAYBUS_X"))).resolves.toEqual({ status: 500, body: { error: { code: "Misconfigured", message: "set PAYBUS_X" } } });
    await expect(answerTo(new Error("table arn:aws:dynamodb:… not found"))).resolves.toEqual({ status: 500, body: { error: { code: "InternalError", message: "retry later" } } });
  });
});
