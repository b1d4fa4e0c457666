/**
 * The names of paybus's own CloudWatch metrics (EMF, through Powertools), declared once: the
 * functions emit them and the plan's alarms (`stacks/plan/alarms.ts`) watch them, so an alarm can
 * never watch a metric under a name nothing emits.
 *
 * A leaf module (no imports): the plan reading it pulls no code along.
 */

/** The CloudWatch namespace of every paybus metric. */
export const METRICS_NAMESPACE = "paybus";

/** Seconds from Stripe's `detail.created` to a sent notification, per `channel` (email, push). */
export const NOTIFICATION_DELAY_METRIC = "NotificationDelay";

/** Milliseconds from Stripe's `detail.created` to the committed loyalty balance (functions/loyalty/core.ts). */
export const POINTS_COMMIT_DELAY_METRIC = "PointsCommitDelay";

/** Stripe events the webhook bridge refused as too large for EventBridge (they never reached the bus). */
export const OVERSIZED_WEBHOOK_EVENTS_METRIC = "OversizedWebhookEvents";
