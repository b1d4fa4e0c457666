/**
 * The `source` of the Stripe events paybus acts on: part of the event contract, read by the webhook
 * bridge (which stamps it) and by the routing declaration (whose patterns accept it).
 */

/** Source used by the webhook bridge. AWS rejects `aws.`-prefixed sources on PutEvents. */
export const WEBHOOK_SOURCE = "paybus.stripe";

/** Prefix of every source the Stripe partner integration uses: `aws.partner/stripe.com/<ed_…>`. */
export const PARTNER_SOURCE_PREFIX = "aws.partner/stripe.com/";
