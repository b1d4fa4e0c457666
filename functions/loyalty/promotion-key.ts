/**
 * The promotions' public constants, in a leaf module (no imports): `declarations/rules.ts` reads the key
 * for the grants, the local runtime the cache setting.
 */

/** The partition key of the one item holding the promotion set. */
export const PROMOTIONS_KEY = "PROMOTIONS";

/** Seconds the consumer keeps the promotion set before reading it again. */
export const PROMOTIONS_CACHE_ENV = "PAYBUS_PROMOTIONS_CACHE_SECONDS";
export const DEFAULT_PROMOTIONS_CACHE_SECONDS = 30;
