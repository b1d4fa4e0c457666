/**
 * The prefixes of the loyalty API's idempotency records (`loyalty.redeem#<hash>`,
 * `loyalty.adjust#<hash>`), fixed rather than left to Powertools (which would use the deployed
 * function's generated name) so that IAM can confine the function to its own records
 * (`dynamodb:LeadingKeys`).
 */
export const REDEMPTION_KEY_PREFIX = "loyalty.redeem";
export const ADJUSTMENT_KEY_PREFIX = "loyalty.adjust";
