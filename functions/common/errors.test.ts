/**
 * Retryable or poison, decided in one place (issue 13, point 3): an error a bad value raises —
 * zod's refusal, `RangeError: Invalid time value`, unparsable JSON — fails again on every delivery,
 * so it is poison, reported in one line.
 */
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import Stripe from "stripe";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as z from "zod";
import { engagementInput } from "../../events/engagement-input.ts";
import { sqsBatchHandler } from "./batch.ts";
import { PoisonRecordError, RetryableError, classifyError, describeError, toRecordError } from "./errors.ts";
import { createLogger } from "./logger.ts";
import { classifyStripeError } from "./stripe.ts";

function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

const negativeAmountInput = {
  purchaseId: "pi_1",
  customerId: "C-1",
  stripeCustomerId: null,
  pointsEarned: 0,
  amount: -500,
  currency: "usd",
  tierChanged: false,
  previousTier: null,
  newTier: null,
  occurredAt: "2026-08-01T10:00:00.000Z",
};

describe("classifyError", () => {
  it("classes the workflow input's ZodError as poison", () => {
    const error = thrownBy(() => engagementInput.parse(negativeAmountInput));

    expect(error).toBeInstanceOf(z.ZodError);
    expect(classifyError(error)).toBe("poison");
  });

  it("classes a ZodError from another copy of zod (matched by shape) as poison", () => {
    const foreign = Object.assign(new Error("[\n  {}\n]"), { name: "ZodError", issues: [{ path: ["a"], message: "bad" }] });

    expect(classifyError(foreign)).toBe("poison");
  });

  it.each([
    ["Invalid time value", () => new Date(9e15 * 1000).toISOString()],
    ["an invalid locale", () => new Intl.NumberFormat("not a locale!")],
    ["unparsable JSON", () => JSON.parse("{")],
  ])("classes the error of %s as poison", (_, act) => {
    expect(classifyError(thrownBy(act))).toBe("poison");
  });

  it("classes an SDK response it could not parse (a SyntaxError with $metadata) by the response's status", () => {
    const garbled = Object.assign(new SyntaxError("Unexpected token '<'"), { $metadata: { httpStatusCode: 502 } });

    expect(classifyError(garbled)).toBe("retryable");
    expect(toRecordError(garbled)).toBe(garbled);
  });

  it("classes Stripe's refusals of the request itself (4xx but 409 and 429) as poison, its passing faults as retryable", () => {
    const raw = (statusCode: number | undefined, type: Stripe.RawErrorType) => ({ message: "refused", statusCode, type });

    expect(classifyError(new Stripe.errors.StripeIdempotencyError(raw(400, "idempotency_error")))).toBe("poison");
    expect(classifyError(new Stripe.errors.StripeInvalidRequestError(raw(400, "invalid_request_error")))).toBe("poison");
    expect(classifyError(new Stripe.errors.StripeAuthenticationError(raw(401, "invalid_request_error")))).toBe("poison");
    expect(classifyError(new Stripe.errors.StripePermissionError(raw(403, "invalid_request_error")))).toBe("poison");
    expect(classifyError(new Stripe.errors.StripeIdempotencyError(raw(409, "idempotency_error")))).toBe("retryable");
    expect(classifyError(new Stripe.errors.StripeRateLimitError(raw(429, "rate_limit_error")))).toBe("retryable");
    expect(classifyError(new Stripe.errors.StripeAPIError(raw(500, "api_error")))).toBe("retryable");
    expect(classifyError(new Stripe.errors.StripeConnectionError(raw(undefined, "api_error")))).toBe("retryable");
    // Only Stripe's errors are read by their `statusCode`: another object carrying one stays unknown.
    expect(classifyError(Object.assign(new Error("refused"), { statusCode: 400 }))).toBe("retryable");
  });

  it("has the Stripe tasks retry what may pass and fail at once on a refusal (classifyStripeError)", () => {
    const raw = (statusCode: number | undefined, type: Stripe.RawErrorType) => ({ message: "refused", statusCode, type });
    const refused = new Stripe.errors.StripeInvalidRequestError(raw(400, "invalid_request_error"));

    for (const passing of [new Stripe.errors.StripeAPIError(raw(502, "api_error")), new Stripe.errors.StripeRateLimitError(raw(429, "rate_limit_error")), new Stripe.errors.StripeIdempotencyError(raw(409, "idempotency_error")), new Stripe.errors.StripeConnectionError(raw(undefined, "api_error"))]) {
      const classified = classifyStripeError(passing);
      expect(classified).toBeInstanceOf(RetryableError);
      expect((classified as RetryableError).cause).toBe(passing);
    }
    expect(classifyStripeError(refused)).toBe(refused);
    expect(classifyError(classifyStripeError(refused))).toBe("poison");
  });

  it("still classes throttling and unknown faults as retryable", () => {
    expect(classifyError(Object.assign(new Error("slow down"), { name: "ThrottlingException" }))).toBe("retryable");
    expect(classifyError(new Error("socket hang up"))).toBe("retryable");
  });
});

describe("toRecordError", () => {
  it("turns a ZodError into a one-line poison error naming the field, keeping the cause", () => {
    const zodError = thrownBy(() => engagementInput.parse(negativeAmountInput));

    const error = toRecordError(zodError) as PoisonRecordError;

    expect(error).toBeInstanceOf(PoisonRecordError);
    expect(error.message).toBe("ZodError: amount: Too small: expected number to be >=0");
    expect(error.cause).toBe(zodError);
  });

  it("leaves other errors as they are", () => {
    const error = new Error("socket hang up");

    expect(toRecordError(error)).toBe(error);
  });

  it("describes a multi-line message by its first line", () => {
    expect(describeError(new Error("first\nsecond"))).toBe("first");
  });
});

describe("sqsBatchHandler", () => {
  afterEach(() => vi.restoreAllMocks());

  it("reports a record failing on a bad value as poison with a one-line reason", async () => {
    const lines: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    }
    const handler = sqsBatchHandler(createLogger("errors-test"), async () => engagementInput.parse(negativeAmountInput));
    const record = { messageId: "m-1", body: "{}", attributes: { ApproximateReceiveCount: "1" } } as unknown as SQSRecord;

    const response = await handler({ Records: [record] } as SQSEvent, {} as Context);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m-1" }]);
    // The log line is the record of why (the local runtime reads it as CloudWatch Logs would hold it).
    const logged = lines.flatMap((text) => text.split("\n")).filter((line) => line.includes('"record failed"'));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]!)).toMatchObject({
      messageId: "m-1",
      errorClass: "poison",
      error: { name: "PoisonRecordError", message: "ZodError: amount: Too small: expected number to be >=0" },
    });
  });
});
