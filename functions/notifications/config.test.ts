import { describe, expect, it } from "vitest";
import { ConfigurationError, loadConfig } from "./config.ts";

const tables = { PAYBUS_NOTIFICATIONS_TABLE: "paybus-notifications", PAYBUS_PROFILES_TABLE: "paybus-profiles" };

describe("loadConfig", () => {
  it("needs only the table names and defaults the rest", () => {
    // Act
    const config = loadConfig(tables);

    // Assert
    expect(config).toEqual({
      notificationsTable: "paybus-notifications",
      profilesTable: "paybus-profiles",
      emailFrom: "billing@example.com",
      billingPortalUrl: "https://billing.example.com/payment-method",
      defaultLocale: "en-US",
      retentionSeconds: 400 * 86_400,
      sendLeaseSeconds: 60,
    });
  });

  it("reads every variable", () => {
    // Act
    const config = loadConfig({
      ...tables,
      PAYBUS_EMAIL_FROM: "receipts@shop.example",
      PAYBUS_BILLING_PORTAL_URL: "https://shop.example/account/billing",
      PAYBUS_DEFAULT_LOCALE: "fr-FR",
      PAYBUS_NOTIFICATIONS_RETENTION_DAYS: "30",
    });

    // Assert
    expect(config).toMatchObject({
      emailFrom: "receipts@shop.example",
      billingPortalUrl: "https://shop.example/account/billing",
      defaultLocale: "fr-FR",
      retentionSeconds: 30 * 86_400,
    });
  });

  it.each([
    ["PAYBUS_EMAIL_FROM", "billing"],
    ["PAYBUS_BILLING_PORTAL_URL", "javascript:alert(1)"],
    ["PAYBUS_DEFAULT_LOCALE", "english!"],
    ["PAYBUS_NOTIFICATIONS_RETENTION_DAYS", "-1"],
  ])("refuses an invalid %s, naming it", (name, value) => {
    // Act
    const load = () => loadConfig({ ...tables, [name]: value });

    // Assert
    expect(load).toThrow(ConfigurationError);
    expect(load).toThrow(new RegExp(`^${name}: `));
  });

  it("refuses to start without the table names", () => {
    // Assert
    expect(() => loadConfig({ PAYBUS_PROFILES_TABLE: "p" })).toThrow(/PAYBUS_NOTIFICATIONS_TABLE is not set/);
  });
});
