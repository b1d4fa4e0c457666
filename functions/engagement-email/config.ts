/** Where engagement emails come from and go through, from the environment. */
import { dynamo } from "../common/clients/dynamodb.ts";
import { ses } from "../common/clients/ses.ts";
import { EMAIL_FROM_ENV } from "../common/environment.ts";
import { tableName } from "../common/tables.ts";
import { loyaltyTable } from "../common/task.ts";
import type { EmailDeps } from "./core.ts";

/** The sender of engagement emails (`PAYBUS_EMAIL_FROM`, a verified SES identity). */
export const DEFAULT_EMAIL_FROM = "rewards@example.com";

/**
 * The email dependencies of the engagement functions, through the shared clients. `leaseSeconds`
 * is the calling function's declared timeout (functions/common/timeouts.ts): a send claim must outlive the
 * invocation that holds it.
 */
export function emailDepsFromEnvironment(leaseSeconds: number, env: NodeJS.ProcessEnv = process.env): EmailDeps {
  return {
    ses: ses(),
    profiles: { client: dynamo(), tableName: tableName("profiles", env) },
    claims: loyaltyTable(env),
    from: env[EMAIL_FROM_ENV] || DEFAULT_EMAIL_FROM,
    leaseSeconds,
  };
}
