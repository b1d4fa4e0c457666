/**
 * The prefix of the device API's idempotency records (`devices.register#<hash>`). Set explicitly
 * rather than left to Powertools (which would use the deployed function's generated name) so the
 * keys have a fixed shape that IAM can confine the function to (`dynamodb:LeadingKeys`).
 */
export const REGISTRATION_KEY_PREFIX = "devices.register";
