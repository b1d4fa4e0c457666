/**
 * The Customers view's read model: each profile of the `profiles` table with its devices and where
 * each device's SNS endpoint stands. Addresses leave the server redacted (as log lines do): the
 * page needs to show that a customer can be reached, not whom to write to.
 */
import { redactEmail } from "../functions/common/redact.ts";
import type { DeviceView, ProfileView } from "./protocol.ts";

/** A stored item of the profiles table, as DynamoDB returns it (unvalidated: the view shows what is there). */
export type ProfileItem = Record<string, unknown>;

/** `Enabled` of an endpoint in the local SNS, or undefined when SNS no longer has it. */
export type EndpointEnabled = (endpointArn: string) => boolean | undefined;

/** `arn:…:endpoint/GCM/paybus-demo/0b1c…` -> `{platform: "GCM", endpoint: "paybus-demo/0b1c…"}`. */
function endpointParts(arn: string): { platform: string; endpoint: string } {
  const [, platform = "?", app = "?", id = "?"] = arn.split(":").pop()?.split("/") ?? [];
  return { platform, endpoint: `${app}/${id}` };
}

function devicesOf(item: ProfileItem, enabled: EndpointEnabled): DeviceView[] {
  const registered = Object.values((item.devices ?? {}) as Record<string, { platform?: unknown; endpointArn?: unknown }>).filter(
    (device): device is { platform?: unknown; endpointArn: string } => typeof device?.endpointArn === "string",
  );
  const seeded = Array.isArray(item.pushEndpoints) ? item.pushEndpoints.filter((arn): arn is string => typeof arn === "string") : [];
  const byArn = new Map<string, DeviceView>();
  const add = (arn: string, platform: string | undefined, viaApi: boolean) => {
    if (byArn.has(arn)) return;
    const parts = endpointParts(arn);
    const state = enabled(arn);
    byArn.set(arn, { endpoint: parts.endpoint, platform: platform ?? parts.platform, state: state === undefined ? "missing" : state ? "enabled" : "disabled", registered: viaApi });
  };
  // Devices from the device API first: they know their platform; plain endpoints (seeded) follow.
  for (const device of registered) add(device.endpointArn, typeof device.platform === "string" ? device.platform : undefined, true);
  for (const arn of seeded) add(arn, undefined, false);
  return [...byArn.values()];
}

/** The profiles, sorted by customer id, ready for the page. */
export function profileViews(items: readonly ProfileItem[], enabled: EndpointEnabled): ProfileView[] {
  return items
    .map((item): ProfileView => {
      const deleted = item.deleted === true;
      return {
        customerId: String(item.pk),
        email: typeof item.email === "string" && !deleted ? redactEmail(item.email) : undefined,
        locale: typeof item.locale === "string" ? item.locale : undefined,
        account: typeof item.account === "string" ? item.account : undefined,
        deleted,
        devices: devicesOf(item, enabled),
      };
    })
    .sort((a, b) => a.customerId.localeCompare(b.customerId));
}
