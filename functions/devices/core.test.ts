import { describe, expect, it } from "vitest";
import { registerDevice, type DeviceDependencies } from "./core.ts";
import { InvalidTokenError, UnknownPlatformError } from "./errors.ts";

/** Dependencies for requests refused before any I/O: touching the store or SNS fails the test. */
const refusedBeforeIo = (applications: DeviceDependencies["applications"]): DeviceDependencies => {
  const untouched = () => {
    throw new Error("a refused request must not reach the store or SNS");
  };
  return {
    store: { profile: untouched, put: untouched, remove: untouched },
    endpoints: { ensure: untouched, remove: untouched },
    applications,
    now: () => 0,
  };
};

const APPS = { GCM: "arn:aws:sns:us-east-1:111122223333:app/GCM/shop", APNS: "arn:aws:sns:us-east-1:111122223333:app/APNS/shop" };

describe("device registration refuses what SNS could not use", () => {
  it("names the platforms this deployment accepts", async () => {
    const attempt = registerDevice({ customerId: "cus_A1", platform: "APNS_SANDBOX", token: "a".repeat(64) }, refusedBeforeIo(APPS));

    await expect(attempt).rejects.toThrow(UnknownPlatformError);
    await expect(attempt).rejects.toThrow('unknown platform "APNS_SANDBOX" (this deployment accepts: APNS, GCM)');
  });

  it("says when no push application is configured at all", async () => {
    await expect(registerDevice({ customerId: "cus_A1", platform: "GCM", token: "x".repeat(40) }, refusedBeforeIo({}))).rejects.toThrow(/no push application/);
  });

  it.each([
    ["APNS", "abc", /64 or more hexadecimal/],
    ["APNS", "g".repeat(64), /64 or more hexadecimal/],
    ["GCM", "short", /32 to 4096 characters/],
    ["GCM", `${"x".repeat(40)} spaces`, /32 to 4096 characters/],
  ])("refuses a malformed %s token (%s)", async (platform, token, message) => {
    const attempt = registerDevice({ customerId: "cus_A1", platform, token }, refusedBeforeIo(APPS));

    await expect(attempt).rejects.toThrow(InvalidTokenError);
    await expect(attempt).rejects.toThrow(message);
  });

  it("accepts the platform name in any case", async () => {
    const deps = refusedBeforeIo(APPS);
    const accepting: DeviceDependencies = {
      ...deps,
      store: { profile: async () => ({ kind: "missing" }), put: deps.store.put, remove: deps.store.remove },
    };

    // Past the platform and token checks, it looks the customer up (and finds none).
    await expect(registerDevice({ customerId: "cus_A1", platform: "gcm", token: "x".repeat(40) }, accepting)).rejects.toThrow(/unknown customer cus_A1/);
  });
});
