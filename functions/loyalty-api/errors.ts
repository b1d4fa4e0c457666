/** The loyalty API's refusals: a status, a stable code and a message an integrator can act on. */
import { ApiRequestError } from "../common/function-url.ts";

/** A request the API cannot accept as it is (HTTP 4xx). */
export class LoyaltyRequestError extends ApiRequestError {
  override name = "LoyaltyRequestError";
}

/** A field of the request is missing or invalid (400, with the field's path). */
export class LoyaltyValidationError extends LoyaltyRequestError {
  override name = "LoyaltyValidationError";
  constructor(field: string, message: string) {
    super(`${field}: ${message}`, 400, "ValidationError", { field });
  }
}

/** No balance exists for the customer: paybus has never credited them (404). */
export class UnknownLoyaltyCustomerError extends LoyaltyRequestError {
  override name = "UnknownLoyaltyCustomerError";
  constructor(customerId: string) {
    // A Stripe customer id is the likeliest mix-up: a payment with `metadata.customer_id` credits that id.
    const hint = customerId.startsWith("cus_") ? " (a payment whose metadata has customer_id credits that id, not the Stripe customer)" : "";
    super(`unknown customer ${customerId}: no points were ever credited to them${hint}`, 404, "UnknownCustomer");
  }
}

/** The balance does not cover the debit (409, with the balance as it is now). */
export class InsufficientPointsError extends LoyaltyRequestError {
  override name = "InsufficientPointsError";
  constructor(
    customerId: string,
    requested: number,
    readonly balance: number,
  ) {
    super(`customer ${customerId} has ${balance} points: ${requested} cannot be taken (the balance never goes below zero)`, 409, "InsufficientPoints", {
      balance,
      requested,
    });
  }
}
