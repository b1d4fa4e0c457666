/**
 * The demo scenario `npm start` plays: customers with emails and devices, then the fixtures (with a
 * few redeliveries and two larger purchases), so a newcomer sees notifications, points, a tier
 * promotion and engagement workflows within seconds.
 */
import { fixtureNames, loadFixture, redelivery } from "../fixtures/index.ts";
import { getProfile, putProfile } from "../functions/common/profiles.ts";
import type { Runtime } from "./runtime.ts";

/** Demo customers: the Stripe customers of the invoice fixtures, plus one without a device. */
const DEMO_CUSTOMERS = [
  { customerId: "cus_AbIItO38LiTlry", email: "jenny.rosen@example.com", name: "Jenny Rosen", locale: "en-US", devices: 1 },
  { customerId: "cus_rr45S67CzesPOY", email: "sam.lee@example.com", name: "Sam Lee", locale: "en-GB", devices: 1 },
  { customerId: "cus_61BSXNh6V2pQ3q", email: "hana.sato@example.jp", name: "Hana Sato", locale: "ja-JP", devices: 1 },
  { customerId: "cus_Qul9Qa3lJkatBi", email: "alex.martin@example.com", name: "Alex Martin", locale: "fr-FR", devices: 0 },
] as const;

/** Seeds the profile table and registers a push endpoint per device in the local SNS. */
export async function seedDemoCustomers(runtime: Runtime): Promise<void> {
  for (const customer of DEMO_CUSTOMERS) {
    // The same devices as an earlier run: each push counts once per device, so new endpoints on
    // every start would send the demo's pushes again. The local SNS forgets endpoints on restart,
    // so the stored ones are registered again under their ARNs.
    // Only endpoints of the runtime's push application: the notifications function may publish to
    // no other (its IAM grant), so a data directory from before keeps none of its old demo app's.
    const stored = ((await getProfile(customer.customerId, runtime.profileTable))?.pushEndpoints ?? []).filter((arn) => arn.includes(`/${runtime.prefix}-app/`));
    const pushEndpoints = Array.from({ length: customer.devices }, (_, i) =>
      runtime.sns.createEndpoint(`${runtime.prefix}-app`, `device-token-${customer.customerId}-${i}`, true, ...(stored[i] ? [stored[i]] : [])),
    );
    await putProfile({ customerId: customer.customerId, email: customer.email, name: customer.name, locale: customer.locale, pushEndpoints }, runtime.profileTable);
  }
}

/** A copy of a purchase fixture as a new purchase: new ids, another amount and customer. */
function purchaseLike(base: string, suffix: string, amount: number, customerId: string): Record<string, any> {
  const event = loadFixture(base);
  const object = event.detail.data.object;
  event.id = `${event.id.slice(0, -4)}${suffix}`;
  event.detail.id = `evt_demo${suffix}${event.detail.id.slice(8 + suffix.length)}`;
  object.id = `pi_demo${suffix}${object.id.slice(7 + suffix.length)}`;
  object.amount = object.amount_received = amount;
  object.metadata = { ...object.metadata, customer_id: customerId, order_id: `ORD-DEMO-${suffix}` };
  return event;
}

/**
 * The demo events in two waves: first deliveries, then redeliveries of two of them. `paybus dev`
 * sends the second wave once the first has settled, so the redeliveries meet finished sends (and are
 * suppressed) rather than sends still in flight, which SQS would hand back only after the queue's
 * visibility timeout (two minutes at `--time-scale 1`).
 */
export function demoWaves(): [first: Array<Record<string, any>>, redeliveries: Array<Record<string, any>>] {
  const fixtures = fixtureNames.map((name) => loadFixture(name));
  return [
    [
      ...fixtures,
      // $600 of premium items: 1,200 points, a Silver promotion and the tier-upgrade workflow.
      purchaseLike("03", "0600", 60_000, "C-100877"),
      // $300 of premium items: 600 points, a high-value purchase.
      purchaseLike("03", "0300", 30_000, "C-424242"),
    ],
    ["01", "03"].map(redelivery),
  ];
}

/** Every demo event at once (tests that want duplicates in flight together). */
export function demoEvents(): Array<Record<string, any>> {
  return demoWaves().flat();
}
