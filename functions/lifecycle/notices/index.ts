/**
 * Every subscription lifecycle notice paybus sends. Add yours here; `declarations/rules.ts` routes it and
 * the `lifecycle` consumer sends it.
 */
import type { LifecycleNotice } from "../notice.ts";
import { cancellationConfirmed, cancellationScheduled } from "./cancellation.ts";
import { paymentActionRequired } from "./payment-action-required.ts";
import { renewalReminder } from "./renewal-reminder.ts";
import { trialEnding } from "./trial-ending.ts";

export const lifecycleNotices: readonly LifecycleNotice<any, any>[] = [
  trialEnding,
  paymentActionRequired,
  renewalReminder,
  cancellationScheduled,
  cancellationConfirmed,
];
