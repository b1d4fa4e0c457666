import { describe, expect, it } from "vitest";
import { BridgeConfigError, DEFAULT_MAX_ENTRY_BYTES, EVENTBRIDGE_MAX_ENTRY_BYTES, loadBridgeConfig } from "./config.ts";

const minimal = { STRIPE_WEBHOOK_SECRETS: "whsec_abc", PAYBUS_EVENT_BUS_NAME: "paybus" };

function configError(env: NodeJS.ProcessEnv): BridgeConfigError {
  let caught: unknown;
  try {
    loadBridgeConfig(env);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(BridgeConfigError);
  return caught as BridgeConfigError;
}

describe("loadBridgeConfig", () => {
  it("defaults to test mode, no thin events and the 256 KiB entry limit", () => {
    const config = loadBridgeConfig(minimal);

    expect(config).toEqual({
      webhookSecrets: ["whsec_abc"],
      eventBusName: "paybus",
      expectedLivemode: false,
      forwardThinEvents: false,
      maxEntryBytes: 262_144,
    });
    expect(DEFAULT_MAX_ENTRY_BYTES).toBe(256 * 1024);
  });

  it("reads every setting, with several secrets separated by commas", () => {
    const config = loadBridgeConfig({
      STRIPE_WEBHOOK_SECRETS: " whsec_old , whsec_new,",
      PAYBUS_EVENT_BUS_NAME: "stripe-bridge",
      PAYBUS_EXPECTED_LIVEMODE: "true",
      PAYBUS_FORWARD_THIN_EVENTS: "true",
      PAYBUS_MAX_ENTRY_BYTES: String(EVENTBRIDGE_MAX_ENTRY_BYTES),
    });

    expect(config).toEqual({
      webhookSecrets: ["whsec_old", "whsec_new"],
      eventBusName: "stripe-bridge",
      expectedLivemode: true,
      forwardThinEvents: true,
      maxEntryBytes: 1_048_576,
    });
  });

  it("treats empty optional variables as unset", () => {
    const config = loadBridgeConfig({ ...minimal, PAYBUS_EXPECTED_LIVEMODE: "", PAYBUS_MAX_ENTRY_BYTES: "" });

    expect(config.expectedLivemode).toBe(false);
    expect(config.maxEntryBytes).toBe(DEFAULT_MAX_ENTRY_BYTES);
  });

  it("names a missing secret clearly", () => {
    const error = configError({ PAYBUS_EVENT_BUS_NAME: "paybus" });

    expect(error.message).toMatch(/^webhook bridge misconfigured: STRIPE_WEBHOOK_SECRETS is not set/);
  });

  it("refuses a list with no secret in it", () => {
    expect(configError({ ...minimal, STRIPE_WEBHOOK_SECRETS: " , " }).message).toContain("STRIPE_WEBHOOK_SECRETS holds no secret");
  });

  it("refuses something that is not a signing secret without repeating its value", () => {
    const error = configError({ ...minimal, STRIPE_WEBHOOK_SECRETS: "whsec_fine,sk_live_51Hsupersecretvalue" });

    expect(error.message).toContain("must be a signing secret starting with whsec_");
    expect(error.message).not.toContain("supersecret");
    expect(error.message).not.toContain("whsec_fine");
  });

  it("lists every problem at once", () => {
    const error = configError({ PAYBUS_EXPECTED_LIVEMODE: "yes", PAYBUS_MAX_ENTRY_BYTES: "256KB" });

    expect(error.message).toContain("STRIPE_WEBHOOK_SECRETS is not set");
    expect(error.message).toContain("PAYBUS_EVENT_BUS_NAME is not set");
    expect(error.message).toContain('PAYBUS_EXPECTED_LIVEMODE must be "true" or "false"');
    expect(error.message).toContain("PAYBUS_MAX_ENTRY_BYTES must be a whole number of bytes");
  });

  it.each([
    ["above EventBridge's own limit", String(EVENTBRIDGE_MAX_ENTRY_BYTES + 1), "cannot exceed EventBridge's 1048576-byte entry limit"],
    ["zero", "0", "must be at least 1"],
  ])("refuses an entry limit %s", (_, value, message) => {
    expect(configError({ ...minimal, PAYBUS_MAX_ENTRY_BYTES: value }).message).toContain(message);
  });

  it("refuses a thin-event switch that is not a boolean", () => {
    expect(configError({ ...minimal, PAYBUS_FORWARD_THIN_EVENTS: "1" }).message).toContain(
      'PAYBUS_FORWARD_THIN_EVENTS must be "true" or "false"',
    );
  });
});
