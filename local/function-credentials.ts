/**
 * Each local function signs its AWS calls with its own access key, as each Lambda function signs
 * with its execution role's session in AWS: the gateway tells callers apart by the access key id in
 * the SigV4 `Authorization` header, and can check the call against that function's grants.
 */
import { createHash } from "node:crypto";

/** Credentials of the CLI, the dashboard and tests: an administrator, allowed everything. */
export const ADMIN_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;

export interface FunctionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Deterministic credentials for a function name: `ASIA` + 16 characters, shaped like an AWS session key. */
export function functionCredentials(functionName: string): FunctionCredentials {
  const digest = createHash("sha256").update(functionName).digest("hex").toUpperCase();
  return { accessKeyId: `ASIA${digest.slice(0, 16)}`, secretAccessKey: `local-${digest.slice(16, 56)}` };
}

/** The access key id in a SigV4 `Authorization` header (`Credential=<key>/<scope>`), if any. */
export function accessKeyIdOf(authorization: string | undefined): string | undefined {
  return authorization?.match(/Credential=([^/,\s]+)\//)?.[1];
}
