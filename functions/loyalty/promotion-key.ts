/** The partition key of the one item holding the promotion set (a leaf module: `events/rules.ts` imports it for the grants). */
export const PROMOTIONS_KEY = "PROMOTIONS";
