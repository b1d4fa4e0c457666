/**
 * The lifecycle notices' configuration, read from the environment once (see
 * functions/lifecycle/README.md).
 */
import * as z from "zod";
import { ConfigurationError, loadConfig as loadNotificationsConfig, type NotificationsConfig } from "../notifications/config.ts";
import type { LifecycleNotice } from "./notice.ts";

/** The notifications' settings (the notices share their table, sender, portal, locale and lease) and the switches. */
export interface LifecycleConfig extends NotificationsConfig {
  /** Names of the notices to send. */
  readonly enabled: ReadonlySet<string>;
}

/** `PAYBUS_LIFECYCLE_NOTICES`: `{"renewal-reminder": true, "trial-ending": false}` overrides the defaults. */
const overrides = z.record(z.string(), z.boolean());

/** Which notices are on: the declared defaults, with `PAYBUS_LIFECYCLE_NOTICES` applied. */
export function enabledNotices(notices: readonly LifecycleNotice<any, any>[], raw: string | undefined): Set<string> {
  let parsed: Record<string, boolean> = {};
  if (raw) {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (cause) {
      throw new ConfigurationError(`PAYBUS_LIFECYCLE_NOTICES is not JSON: ${(cause as Error).message}`, { cause });
    }
    const result = overrides.safeParse(json);
    if (!result.success) throw new ConfigurationError('PAYBUS_LIFECYCLE_NOTICES must map notice names to true/false, e.g. {"renewal-reminder":true}');
    parsed = result.data;
  }
  const known = new Set(notices.map((notice) => notice.name));
  const unknown = Object.keys(parsed).filter((name) => !known.has(name));
  if (unknown.length > 0) throw new ConfigurationError(`PAYBUS_LIFECYCLE_NOTICES names unknown notices: ${unknown.join(", ")} (known: ${[...known].join(", ")})`);
  return new Set(notices.filter((notice) => parsed[notice.name] ?? notice.enabledByDefault).map((notice) => notice.name));
}

/** Reads the configuration: the notifications' settings (sender, portal, locale, retention) plus the switches. */
export function loadConfig(notices: readonly LifecycleNotice<any, any>[], env: NodeJS.ProcessEnv = process.env): LifecycleConfig {
  return { ...loadNotificationsConfig(env), enabled: enabledNotices(notices, env.PAYBUS_LIFECYCLE_NOTICES) };
}
