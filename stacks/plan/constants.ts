/**
 * Fixed values of the plan: the Lambda runtime, metric and component names, retention. Declared
 * here once; the stacks, the local runtime and the tests read them through `stacks/plan.ts`.
 */

/** Lambda runtime and architecture of every paybus function. */
export const LAMBDA_RUNTIME = "nodejs22.x";
export const LAMBDA_ARCHITECTURE = "arm64";

// The metrics the alarms watch are named where the functions emit them.
export {
  METRICS_NAMESPACE,
  NOTIFICATION_DELAY_METRIC,
  OVERSIZED_WEBHOOK_EVENTS_METRIC,
  POINTS_COMMIT_DELAY_METRIC,
} from "../../functions/common/metrics.ts";
export const NOTIFICATION_CHANNELS = ["email", "push"] as const;

/** Component name of the webhook bridge function (deployed on custom-bus stages only). */
export const WEBHOOK_BRIDGE = "WebhookBridge";

/** Component name of the device API function (deployed where push is configured). */
export const DEVICE_API = "DeviceApi";

/** Component name of the promotions API function (every stage). */
export const PROMOTIONS_API = "PromotionsApi";

/**
 * The `PointsCommitDelay` p95 alarm threshold, in ms. The promise is 200 ms from the Stripe event to
 * the committed balance, but Stripe's `created` has whole seconds: the measured figure is the true
 * delay plus up to 1,000 ms. 1,200 ms is the lowest threshold that never fires while the promise
 * holds; above it, at least 5% of commits certainly took longer than 200 ms. (It cannot detect a
 * breach hidden inside the 1 s uncertainty: `bench/loyalty.ts` measures the consumer's own part.)
 */
export const POINTS_COMMIT_ALARM_MS = 1_200;
/** Component name of the loyalty API function (every stage). */
export const LOYALTY_API = "LoyaltyApi";

/** The maximum SQS retention: a dead letter waits as long as possible for a human. */
export const DLQ_RETENTION_SECONDS = 14 * 86_400;

/** Reserved concurrency of the webhook bridge unless its declaration says otherwise. */
export const WEBHOOK_RESERVED_CONCURRENCY = 10;

// The variables the plan sets are named where the functions read them.
export {
  EMAIL_FROM_ENV,
  EVENT_BUS_NAME_ENV,
  EXPECTED_LIVEMODE_ENV,
  PUSH_APPLICATIONS_ENV,
  STRIPE_API_KEY_SECRET_ID_ENV,
  WEBHOOK_SECRET_ID_ENV,
} from "../../functions/common/environment.ts";
