/**
 * The functions' settings a stage (or, locally, the developer's environment) gives them, each with
 * the check the function itself applies when it reads it. A function reads its settings when it
 * handles an event, so a malformed one would otherwise surface only as every event failing into a
 * DLQ: `validateStageConfig` refuses it before a deploy, and the local runtime says so when it starts.
 */
import { EMAIL_FROM_ENV, EXPECTED_LIVEMODE_ENV } from "../functions/common/environment.ts";
import { TIER_REWARDS_ENV, loadTierRewardsConfig } from "../functions/engagement-offer/rewards.ts";
import { checkBridgeSettings } from "../functions/ingest/config.ts";
import { enabledNotices } from "../functions/lifecycle/config.ts";
import { lifecycleNotices } from "../functions/lifecycle/notices/index.ts";
import { LOYALTY_CONFIG_ENV, parseLoyaltyConfig } from "../functions/loyalty/config.ts";
import { notificationSettings } from "../functions/notifications/config.ts";

type Settings = Readonly<Record<string, string | undefined>>;

/** Per setting, the check of the function that reads it (it throws what the function would). */
const checks: ReadonlyArray<readonly [readonly string[], (env: Settings) => unknown]> = [
  [[LOYALTY_CONFIG_ENV], (env) => parseLoyaltyConfig(env[LOYALTY_CONFIG_ENV])],
  [[TIER_REWARDS_ENV], (env) => loadTierRewardsConfig(env)],
  [["PAYBUS_LIFECYCLE_NOTICES"], (env) => enabledNotices(lifecycleNotices, env.PAYBUS_LIFECYCLE_NOTICES)],
  [[EMAIL_FROM_ENV, "PAYBUS_BILLING_PORTAL_URL", "PAYBUS_DEFAULT_LOCALE", "PAYBUS_NOTIFICATIONS_RETENTION_DAYS"], (env) => notificationSettings(env)],
  [[EXPECTED_LIVEMODE_ENV, "PAYBUS_FORWARD_THIN_EVENTS", "PAYBUS_MAX_ENTRY_BYTES"], (env) => checkBridgeSettings(env)],
];

/** What is wrong with the settings `env` gives (those it sets; an unset one takes its default), one line each. */
export function settingProblems(env: Settings): string[] {
  const problems: string[] = [];
  for (const [names, check] of checks) {
    if (!names.some((name) => env[name] !== undefined)) continue;
    try {
      check(env);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return problems;
}
