/**
 * Measures the local notification delay of the lifecycle notices: from the Stripe event's
 * `created` (and from the moment it is put on the bus) to the email and push sends, through the
 * embedded runtime. `npx tsx scripts/measure-lifecycle-delay.ts [customers=20]`.
 *
 * Each customer is synced from `customer.created` (French), gets a device through the signed
 * device API, then receives `invoice.payment_action_required` and `trial_will_end` at once.
 * Stripe's `created` has one-second resolution: the delay from it includes up to a second of
 * truncation, so the delay from PutEvents is printed too.
 */
import { loadFixture } from "../fixtures/index.ts";
import { devicesRoute } from "../local/devices.ts";
import { Runtime } from "../local/runtime.ts";
import { signRequest } from "../local/sigv4.ts";

const customers = Number(process.argv[2] ?? 20);
const runtime = await Runtime.start({ dataDir: null, port: 0, timeScale: 0.01, prefix: "delay" });
runtime.addRoute(devicesRoute(runtime));

function quantiles(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `n=${sorted.length} p50=${at(0.5).toFixed(0)} ms p95=${at(0.95).toFixed(0)} ms max=${sorted.at(-1)!.toFixed(0)} ms`;
}

try {
  const ids = Array.from({ length: customers }, (_, i) => `cus_Delay${String(i).padStart(6, "0")}`);
  const created = ids.map((id, i) => {
    const envelope = loadFixture("17");
    envelope.detail.id = `evt_delaycreated${i}`;
    envelope.detail.data.object.id = id;
    return envelope;
  });
  runtime.sendEnvelopes(created);
  await runtime.waitForQuiet(60_000, 100);
  for (const [i, id] of ids.entries()) {
    const url = new URL("/devices", runtime.gatewayUrl);
    const body = JSON.stringify({ customerId: id, platform: "GCM", token: `tok${i}:APA91b${"x".repeat(120)}` });
    const headers = await signRequest({ method: "POST", url, headers: { "content-type": "application/json", "idempotency-key": `k${i}` }, body }, { region: runtime.region, accessKeyId: "local", secretAccessKey: "local" });
    const response = await fetch(url, { method: "POST", headers, body });
    if (response.status !== 200) throw new Error(`registration failed: ${response.status} ${await response.text()}`);
  }
  const sentAt = new Map<string, number>();
  const createdSeconds = new Map<string, number>();
  const notices = ids.flatMap((id, i) => {
    const now = Math.floor(Date.now() / 1000);
    const action = loadFixture("20");
    action.detail.id = `evt_delayaction${i}`;
    Object.assign(action.detail.data.object, { id: `in_delay${i}`, customer: id, customer_email: null });
    const trial = loadFixture("21");
    trial.detail.id = `evt_delaytrial${i}`;
    Object.assign(trial.detail.data.object, { id: `sub_delay${i}`, customer: id });
    for (const envelope of [action, trial]) {
      envelope.detail.created = now;
      createdSeconds.set(envelope.detail.id, now);
    }
    return [action, trial];
  });
  // Warm-up: the first invocation imports the handler and builds its clients (a Lambda cold
  // start); the figures are for a warm consumer, as in steady operation.
  const warmup = notices.splice(0, 2);
  runtime.sendEnvelopes(warmup);
  await runtime.waitForQuiet(60_000, 100);
  const warm = new Set((await runtime.ses.emails()).map((email) => email.messageId));
  const warmPushes = runtime.sns.outbox.length;
  for (const envelope of notices) envelope.detail.created = Math.floor(Date.now() / 1000);
  const putAt = Date.now();
  runtime.sendEnvelopes(notices);
  for (const event of notices) sentAt.set(event.detail.id, putAt);
  await runtime.waitForQuiet(120_000, 100);

  const emails = (await runtime.ses.emails()).filter((email) => !warm.has(email.messageId));
  const pushes = runtime.sns.outbox.slice(warmPushes);
  const created0 = notices[0]!.detail.created * 1000;
  const emailTimes = emails.filter((email) => email.destination.to[0]?.startsWith("camille")).map((email) => email.at);
  const pushTimes = pushes.map((push) => Date.parse(push.at));
  const emailMs = emailTimes.map((at) => (at < 1e12 ? at * 1000 : at));
  process.stdout.write(`lifecycle notices for ${customers} customers (${notices.length} events), ${emails.length} emails, ${pushes.length} pushes\n`);
  process.stdout.write(`  from Stripe created → email: ${quantiles(emailMs.map((at) => at - created0))}\n`);
  process.stdout.write(`  from Stripe created → push:  ${quantiles(pushTimes.map((at) => at - created0))}\n`);
  process.stdout.write(`  from PutEvents → email:      ${quantiles(emailMs.map((at) => at - putAt))}\n`);
  process.stdout.write(`  from PutEvents → push:       ${quantiles(pushTimes.map((at) => at - putAt))}\n`);
} finally {
  await runtime.stop();
}
