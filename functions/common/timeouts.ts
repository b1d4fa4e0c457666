/**
 * Timeouts of the functions whose code depends on its own timeout (a send claim or lease must
 * outlive the invocation that took it), declared once, here: the declarations (`declarations/rules.ts`,
 * `workflows/index.ts`) set each function's timeout from these constants and the function reads the
 * same constant, never the declarations (which sit above the functions and import them).
 *
 * A leaf module (no imports), so the declarations reading it pull no code along.
 */

/** `EngagementEmail` (engagement workflow task). */
export const ENGAGEMENT_EMAIL_TIMEOUT_SECONDS = 15;
/** `FollowupDispatch` (scheduled). */
export const FOLLOWUP_DISPATCH_TIMEOUT_SECONDS = 60;
/** `LoyaltyExpiry` (scheduled). */
export const LOYALTY_EXPIRY_TIMEOUT_SECONDS = 120;
/** The `loyaltyVip` queue's consumer. */
export const LOYALTY_VIP_TIMEOUT_SECONDS = 20;
/** The `loyaltyMilestones` queue's consumer. */
export const LOYALTY_MILESTONES_TIMEOUT_SECONDS = 20;
/** The loyalty API (a function URL): the loyalty outbox's grace time must outlive it. */
export const LOYALTY_API_TIMEOUT_SECONDS = 10;
