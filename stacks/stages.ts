/**
 * Per-stage configuration (`npx sst deploy --stage <stage>`): a stage uses its own entry, or
 * `default`. Add an entry per real environment; see docs/deploy.md for every field.
 */
import type { StageConfig } from "./stage-config.ts";

export const stages: Readonly<Record<string, StageConfig>> = {
  /**
   * Personal and preview stages: paybus creates its own bus, fed by the webhook bridge (point a
   * Stripe sandbox webhook endpoint at the `webhookUrl` output); no push; nothing retained.
   */
  default: {
    bus: { kind: "custom" },
    livemode: false,
    emailFrom: "billing@example.com",
    // The SES identity the stack creates, and what the local runtime treats as verified: the domain
    // covers both of paybus's default senders (billing@, rewards@). example.com is reserved and
    // cannot be verified in AWS: set your own domain before a real deploy (docs/deploy.md).
    emailIdentity: "example.com",
    push: false,
    archiveRetentionDays: 7,
    notificationSlaSeconds: 60,
    retain: false,
  },
};
