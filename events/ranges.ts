/**
 * The ranges every value a consumer reads must fall in, checked once at decode time: a value
 * outside them is refused there as poison, with the field named, instead of passing one layer and
 * failing the next (a negative amount credited as zero points and then refused by the workflow
 * input, a date that turns into `RangeError: Invalid time value`).
 */

/** The largest amount Stripe accepts in any currency: twelve digits of minor units. */
export const MAX_MINOR_UNITS = 999_999_999_999;

/** 9999-12-31T23:59:59Z: the last second `Date#toISOString` writes with a four-digit year. */
export const MAX_UNIX_SECONDS = 253_402_300_799;

/**
 * The longest email address SMTP can carry (RFC 5321: a 256-octet path less its angle brackets).
 * Longer "addresses" on a Stripe object cannot be delivered to and are read as absent.
 */
export const MAX_EMAIL_LENGTH = 254;
