/** Stage configurations the infra tests plan and deploy (a helper, not a test file). */
import type { StageConfig } from "../../stacks/stage-config.ts";

/** A webhook-bridge stage with push, the widest plan. */
export const customStage: StageConfig = {
  bus: { kind: "custom" },
  livemode: false,
  emailFrom: "billing@shop.example",
  push: { platform: "GCM" },
  archiveRetentionDays: 7,
  notificationSlaSeconds: 60,
  retain: false,
};

/** The name of the Stripe partner event bus `partnerStage` reads from. */
export const PARTNER_BUS = "aws.partner/stripe.com/ed_61RM8ltWcTW4mbsxf16RJyfa2xSQLHJJh1sxm7H0KVT6";

/** A production-like stage on Stripe's partner bus, without push. */
export const partnerStage: StageConfig = {
  ...customStage,
  bus: { kind: "partner", eventSourceName: PARTNER_BUS },
  livemode: true,
  push: false,
  retain: true,
};
