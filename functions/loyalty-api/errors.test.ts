import { describe, expect, it } from "vitest";
import { UnknownLoyaltyCustomerError } from "./errors.ts";

describe("UnknownLoyaltyCustomerError", () => {
  it("says, for a Stripe customer id, that a payment's metadata.customer_id is credited instead", () => {
    expect(new UnknownLoyaltyCustomerError("cus_Qul9Qa3lJkatBi").message).toBe(
      "unknown customer cus_Qul9Qa3lJkatBi: no points were ever credited to them (a payment whose metadata has customer_id credits that id, not the Stripe customer)",
    );
    expect(new UnknownLoyaltyCustomerError("C-100877").message).toBe("unknown customer C-100877: no points were ever credited to them");
  });
});
