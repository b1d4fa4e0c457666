/**
 * Lambda entry point of `LoyaltyExpiry` (scheduled, see workflows/index.ts). The scheduled event's
 * `time` is "now", so invoking it with a later `time` expires what is due by then (how tests and
 * the local runtime move through a year of expiry in seconds).
 */
import type { Context, ScheduledEvent } from "aws-lambda";
import { dynamo } from "../common/clients/dynamodb.ts";
import { eventBridge } from "../common/clients/eventbridge.ts";
import { ses } from "../common/clients/ses.ts";
import { EMAIL_FROM_ENV } from "../common/environment.ts";
import { createLogger } from "../common/logger.ts";
import { tableName } from "../common/tables.ts";
import { LOYALTY_EXPIRY_TIMEOUT_SECONDS } from "../common/timeouts.ts";
import { loadLoyaltyConfig } from "../loyalty/config.ts";
import { eventBusName } from "../loyalty/publish.ts";
import { DEFAULT_EMAIL_FROM } from "../engagement-email/config.ts";
import { runExpiry, type ExpiryDeps } from "./core.ts";
import { invocationOf } from "../common/invocation.ts";

const logger = createLogger("loyalty-expiry");

/** Built per run (a run is hourly): the shared clients stay cached, and a restarted local runtime's new endpoints are picked up. */
function dependencies(): ExpiryDeps {
  const { expiry } = loadLoyaltyConfig();
  return {
    client: dynamo(),
    tableName: tableName("loyalty"),
    // Expiry switched off later still expires the lots written while it was on (their index items
    // carry their own expiry time); it only stops warning.
    warnSeconds: (expiry?.warnDays ?? 0) * 86_400,
    email: {
      ses: ses(),
      profiles: { client: dynamo(), tableName: tableName("profiles") },
      from: process.env[EMAIL_FROM_ENV] || DEFAULT_EMAIL_FROM,
      leaseSeconds: LOYALTY_EXPIRY_TIMEOUT_SECONDS,
    },
    events: { eventBridge: eventBridge(), eventBusName: eventBusName() },
  };
}

export async function handler(event: Partial<Pick<ScheduledEvent, "time">>, context?: Context) {
  const at = event.time ? Date.parse(event.time) : Date.now();
  const summary = await runExpiry(Number.isNaN(at) ? Date.now() : at, { ...dependencies(), invocation: invocationOf(context) });
  logger.info("points expiry ran", { ...summary });
  return summary;
}
