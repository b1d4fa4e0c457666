/** The device API's configuration, read from the environment once. */
import * as z from "zod";
import { PUSH_APPLICATIONS_ENV } from "../common/environment.ts";
import { PUSH_PLATFORMS, type PushPlatform } from "../common/profiles.ts";
import { tableName } from "../common/tables.ts";

export class DeviceConfigError extends Error {
  override name = "DeviceConfigError";
}

const applications = z.partialRecord(z.enum(PUSH_PLATFORMS), z.string().regex(/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:app\/[A-Z_]+\/.+$/, "expected an SNS platform application ARN"));

export interface DeviceConfig {
  readonly profilesTable: string;
  readonly idempotencyTable: string;
  /** `PAYBUS_PUSH_APPLICATIONS`: `{"GCM": "arn:aws:sns:…:app/GCM/<name>", "APNS": …}`. */
  readonly applications: Readonly<Partial<Record<PushPlatform, string>>>;
  /** How long a registration's answer is replayed for the same `Idempotency-Key`. */
  readonly idempotencySeconds: number;
}

export function loadDeviceConfig(env: NodeJS.ProcessEnv = process.env): DeviceConfig {
  let json: unknown = {};
  try {
    json = JSON.parse(env[PUSH_APPLICATIONS_ENV] || "{}");
  } catch (cause) {
    throw new DeviceConfigError(`${PUSH_APPLICATIONS_ENV} is not JSON: ${(cause as Error).message}`, { cause });
  }
  const parsed = applications.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DeviceConfigError(`${PUSH_APPLICATIONS_ENV}.${issue?.path.join(".")}: ${issue?.message}`);
  }
  return {
    profilesTable: tableName("profiles", env),
    idempotencyTable: tableName("idempotency", env),
    applications: parsed.data,
    idempotencySeconds: 24 * 3600,
  };
}
