/**
 * SES message tags that name what caused a send. SES passes message tags to event publishing
 * (CloudWatch, Firehose, SNS) in AWS; the local runtime records them in its journal, so views tie
 * each email to its Stripe event or workflow execution without re-deriving it.
 */

/** Tag naming the Stripe event (`evt_…`) a notification answers. */
export const STRIPE_EVENT_TAG = "paybus-stripe-event";
/** Tag naming the Step Functions execution that sent an engagement email. */
export const EXECUTION_TAG = "paybus-execution";

/** SES accepts only these characters in a tag value (and up to 256 of them). */
const TAG_VALUE = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * The message tags for a send's cause. A value SES would refuse is left out: a tag is telemetry,
 * and must never make a send fail.
 */
export function causeTags(cause: { stripeEventId?: string | undefined; executionName?: string | undefined }): Array<{ Name: string; Value: string }> {
  const tags: Array<{ Name: string; Value: string }> = [];
  if (cause.stripeEventId && TAG_VALUE.test(cause.stripeEventId)) tags.push({ Name: STRIPE_EVENT_TAG, Value: cause.stripeEventId });
  if (cause.executionName && TAG_VALUE.test(cause.executionName)) tags.push({ Name: EXECUTION_TAG, Value: cause.executionName });
  return tags;
}
