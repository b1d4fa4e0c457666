import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { PoisonRecordError, RetryableError } from "./errors.ts";
import { quietLogger } from "../../test/support/quiet-logger.ts";
import { TaskInputError, taskHandler } from "./task.ts";

const logger = quietLogger("task-test");
const input = z.object({ customerId: z.string().min(1) });

/** A handler whose work fails with `error` (or returns the customer id). */
function handlerFailingWith(error?: Error) {
  return taskHandler(logger, input, async ({ customerId }) => {
    if (error) throw error;
    return { customerId };
  });
}

describe("task handlers", () => {
  it("passes the validated payload to the work and returns its result", async () => {
    await expect(handlerFailingWith()({ customerId: "C-1", extra: true })).resolves.toEqual({ customerId: "C-1" });
  });

  it("refuses a payload the ASL should never send as TaskInputError, naming the field", async () => {
    const refused = handlerFailingWith()({ customerId: "" });

    await expect(refused).rejects.toBeInstanceOf(TaskInputError);
    await expect(handlerFailingWith()({})).rejects.toThrow(/task input customerId/);
  });

  it("renames faults that may pass to RetryableError, which the ASL retries", async () => {
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });

    const error = await handlerFailingWith(throttled)({ customerId: "C-1" }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ name: "RetryableError", message: "Rate exceeded", cause: throttled });
  });

  it("lets a Stripe refusal through under its own name, so that the ASL does not call Stripe again for it", async () => {
    const refused = new Stripe.errors.StripeIdempotencyError({ message: "Keys for idempotent requests can only be used with the same parameters", statusCode: 400, type: "idempotency_error" });

    await expect(handlerFailingWith(refused)({ customerId: "C-1" })).rejects.toBe(refused);
  });

  it("lets poison through under its own name, which only the failure path catches", async () => {
    const poison = new PoisonRecordError("stored profile is invalid");

    await expect(handlerFailingWith(poison)({ customerId: "C-1" })).rejects.toBe(poison);
  });
});
