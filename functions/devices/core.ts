/**
 * The device API's logic: register a device token for a customer (an enabled SNS platform
 * endpoint, recorded on the profile), list a customer's devices, remove one.
 */
import * as z from "zod";
import { deviceKey, PUSH_PLATFORMS, type PushPlatform, type RegisteredDevice } from "../common/profiles.ts";
import type { EndpointRegistry } from "./endpoints.ts";
import { DeviceNotFoundError, DeviceRequestError, InvalidTokenError, UnknownCustomerError, UnknownPlatformError } from "./errors.ts";
import type { DeviceStore } from "./store.ts";

const customerId = z.string().regex(/^cus_[A-Za-z0-9]+$/, "expected a Stripe customer id (cus_…)");

/** `POST /devices` body. */
export const registerRequest = z.object({ customerId, platform: z.string().min(1), token: z.string() });
/** `DELETE /devices` body. */
export const removeRequest = z.object({ customerId, token: z.string().min(1) });

export type RegisterRequest = z.infer<typeof registerRequest>;
export type RemoveRequest = z.infer<typeof removeRequest>;

/** A device as the API shows it: the token stays with the app, the key identifies it. */
export interface DeviceView {
  readonly deviceId: string;
  readonly platform: PushPlatform;
  readonly endpointArn: string;
  /** ISO 8601. */
  readonly registeredAt: string;
}

export interface DeviceDependencies {
  readonly store: DeviceStore;
  readonly endpoints: EndpointRegistry;
  /** The SNS platform application per platform this deployment accepts. */
  readonly applications: Readonly<Partial<Record<PushPlatform, string>>>;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

/** Parses a body with `schema`, or refuses it naming the field. */
export function parseBody<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new DeviceRequestError(`${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`, 400, "InvalidRequest");
}

// APNs device tokens are 32 bytes as 64 hex characters (Apple may lengthen them); FCM registration
// tokens are long URL-safe strings, often with a colon after the instance id.
const TOKEN_FORMATS: Readonly<Record<PushPlatform, { pattern: RegExp; describe: string }>> = {
  APNS: { pattern: /^[0-9a-fA-F]{64,200}$/, describe: "an APNs device token is 64 or more hexadecimal characters" },
  APNS_SANDBOX: { pattern: /^[0-9a-fA-F]{64,200}$/, describe: "an APNs device token is 64 or more hexadecimal characters" },
  GCM: { pattern: /^[A-Za-z0-9_:-]{32,4096}$/, describe: "an FCM registration token is 32 to 4096 characters of A-Z a-z 0-9 _ : -" },
};

function platformOf(name: string, deps: DeviceDependencies): { platform: PushPlatform; applicationArn: string } {
  const known = PUSH_PLATFORMS.filter((platform) => deps.applications[platform]);
  const platform = known.find((candidate) => candidate === name.toUpperCase());
  if (!platform) throw new UnknownPlatformError(name, known);
  return { platform, applicationArn: deps.applications[platform]! };
}

function view(key: string, device: RegisteredDevice): DeviceView {
  return { deviceId: key, platform: device.platform, endpointArn: device.endpointArn, registeredAt: new Date(device.registeredAt).toISOString() };
}

async function liveDevices(id: string, deps: DeviceDependencies) {
  const state = await deps.store.profile(id);
  if (state.kind !== "active") throw new UnknownCustomerError(id, state.kind === "deleted");
  return state.devices;
}

/**
 * Registers `token` for the customer: an enabled endpoint (the same one for the same token), on
 * the profile. Safe to repeat.
 *
 * @throws UnknownPlatformError, InvalidTokenError (400), UnknownCustomerError (404).
 */
export async function registerDevice(request: RegisterRequest, deps: DeviceDependencies): Promise<DeviceView> {
  const { platform, applicationArn } = platformOf(request.platform, deps);
  const format = TOKEN_FORMATS[platform];
  if (!format.pattern.test(request.token)) throw new InvalidTokenError(format.describe);
  const key = deviceKey(request.token);
  const known = (await liveDevices(request.customerId, deps))[key];
  const endpointArn = await deps.endpoints.ensure(applicationArn, request.token, known?.platform === platform ? known.endpointArn : undefined);
  const device: RegisteredDevice = { platform, token: request.token, endpointArn, registeredAt: known?.registeredAt ?? deps.now() };
  if (!(await deps.store.put(request.customerId, key, device))) {
    // Deleted in Stripe while we registered: nothing may keep an endpoint for this customer.
    await deps.endpoints.remove(endpointArn);
    throw new UnknownCustomerError(request.customerId, true);
  }
  return view(key, device);
}

/** The customer's devices. @throws UnknownCustomerError (404). */
export async function listDevices(id: string, deps: DeviceDependencies): Promise<DeviceView[]> {
  const devices = await liveDevices(parseBody(customerId, id), deps);
  return Object.entries(devices).map(([key, device]) => view(key, device));
}

/**
 * Removes the device with `token`: its endpoint is deleted, then the profile forgets it (in that
 * order, so a failure leaves a record to retry with, never an orphan endpoint).
 *
 * @throws UnknownCustomerError, DeviceNotFoundError (404).
 */
export async function removeDevice(request: RemoveRequest, deps: DeviceDependencies): Promise<DeviceView> {
  const key = deviceKey(request.token);
  const device = (await liveDevices(request.customerId, deps))[key];
  if (!device) throw new DeviceNotFoundError(request.customerId);
  await deps.endpoints.remove(device.endpointArn);
  await deps.store.remove(request.customerId, key);
  return view(key, device);
}
