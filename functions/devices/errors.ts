/** The device API's refusals: each one a status and a message the app's developers can act on. */
import { ApiRequestError } from "../common/function-url.ts";

/** A request the API cannot accept as it is (HTTP 4xx). */
export class DeviceRequestError extends ApiRequestError {
  override name = "DeviceRequestError";
}

export class UnknownPlatformError extends DeviceRequestError {
  override name = "UnknownPlatformError";
  constructor(platform: string, known: readonly string[]) {
    super(
      known.length === 0
        ? `platform "${platform}" is not configured: this deployment has no push application (PAYBUS_PUSH_APPLICATIONS is empty)`
        : `unknown platform "${platform}" (this deployment accepts: ${known.join(", ")})`,
      400,
      "UnknownPlatform",
    );
  }
}

export class InvalidTokenError extends DeviceRequestError {
  override name = "InvalidTokenError";
  constructor(reason: string) {
    super(`invalid device token: ${reason}`, 400, "InvalidToken");
  }
}

export class UnknownCustomerError extends DeviceRequestError {
  override name = "UnknownCustomerError";
  constructor(customerId: string, deleted = false) {
    super(
      deleted
        ? `customer ${customerId} was deleted in Stripe: no device can be registered`
        : `unknown customer ${customerId}: paybus has no profile for it yet (it is created from Stripe's customer.created event)`,
      404,
      "UnknownCustomer",
    );
  }
}

export class DeviceNotFoundError extends DeviceRequestError {
  override name = "DeviceNotFoundError";
  constructor(customerId: string) {
    super(`customer ${customerId} has no device with this token`, 404, "DeviceNotFound");
  }
}
