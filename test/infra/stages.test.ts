import { describe, expect, it } from "vitest";
import { buildPlan } from "../../stacks/plan.ts";
import { emailIdentitiesOf, resolveStage, StageConfigError, type StageConfig } from "../../stacks/stage-config.ts";
import { stages } from "../../stacks/stages.ts";
import { customStage } from "../support/stages.ts";

const base: StageConfig = { ...customStage, push: false };

describe("stage configuration", () => {
  it("plans every configured stage, and any other stage from the default entry", () => {
    for (const name of Object.keys(stages)) expect(() => buildPlan(resolveStage(name, stages))).not.toThrow();

    expect(resolveStage("alice", stages)).toBe(stages.default);
  });

  it("accepts Stripe partner event sources, live and sandbox", () => {
    for (const eventSourceName of [
      "aws.partner/stripe.com/ed_61RM8ltWcTW4mbsxf16RJyfa2xSQLHJJh1sxm7H0KVT6",
      "aws.partner/stripe.com/ed_test_61RM8ltWcTW4mbsxf16RJyfa2xSQLHJJh1sxm7H0KVT6",
    ]) {
      const config = { ...base, bus: { kind: "partner", eventSourceName } } as const;

      expect(resolveStage("production", { production: config })).toBe(config);
    }
  });

  it("declares the SES identity once: emailIdentity, else the From address, which it must cover", () => {
    const domain = { ...base, emailFrom: "billing@shop.example", emailIdentity: "shop.example" };
    const subdomain = { ...base, emailFrom: "billing@mail.shop.example", emailIdentity: "shop.example" };
    const foreign = { ...base, emailFrom: "billing@shop.example", emailIdentity: "other.example" };

    expect(emailIdentitiesOf(domain)).toEqual(["shop.example"]);
    expect(emailIdentitiesOf({ ...base, emailFrom: "billing@shop.example", emailIdentity: undefined })).toEqual(["billing@shop.example"]);
    expect(resolveStage("production", { production: subdomain })).toBe(subdomain);
    expect(() => resolveStage("production", { production: foreign })).toThrow(/emailFrom "billing@shop.example" is not covered by emailIdentity "other.example"/);
    expect(buildPlan(resolveStage("production", { production: domain })).email.identity).toBe("shop.example");
  });

  it("refuses a partner bus that is not a Stripe event source, naming the stage and the field", () => {
    const placeholder = { ...base, bus: { kind: "partner", eventSourceName: "aws.partner/stripe.com/ed_REPLACE_ME" } } as const;
    const arn = {
      ...base,
      bus: { kind: "partner", eventSourceName: "arn:aws:events:eu-west-1:111122223333:event-bus/aws.partner/stripe.com/ed_1" },
    } as const;

    expect(() => resolveStage("production", { production: placeholder })).toThrow(StageConfigError);
    expect(() => resolveStage("production", { production: placeholder })).toThrow(
      /stage "production": bus.eventSourceName "aws.partner\/stripe.com\/ed_REPLACE_ME"/,
    );
    expect(() => resolveStage("production", { production: arn })).toThrow(/is not a Stripe partner event source/);
  });

  it("refuses unusable addresses, retention and SLA", () => {
    expect(() => resolveStage("s", { s: { ...base, emailFrom: "billing" } })).toThrow(/emailFrom "billing"/);
    expect(() => resolveStage("s", { s: { ...base, alarmEmail: "ops at shop" } })).toThrow(/alarmEmail/);
    expect(() => resolveStage("s", { s: { ...base, archiveRetentionDays: 1.5 } })).toThrow(/archiveRetentionDays/);
    expect(() => resolveStage("s", { s: { ...base, notificationSlaSeconds: 0 } })).toThrow(/notificationSlaSeconds/);
  });

  it("refuses a stage with neither an entry nor a default", () => {
    expect(() => resolveStage("alice", { production: base })).toThrow(/stage "alice" has no configuration/);
  });
});
