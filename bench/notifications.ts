/**
 * Notifications throughput and latency: the core (`notify`) on distinct paid invoices, each with an
 * email and one push, against the local runtime's DynamoDB, SES and SNS through the real SDK
 * clients; then the same messages again, which the send records turn into duplicates.
 *
 * Run with `npx tsx bench/notifications.ts` (prints and writes `bench/results/notifications.json`),
 * or import {@link run}.
 */
import { performance } from "node:perf_hooks";
import { awsChannels } from "../functions/notifications/channels.ts";
import { notify, type NotifyDependencies } from "../functions/notifications/core.ts";
import { dynamoNotificationStore } from "../functions/notifications/store.ts";
import { startNotificationEngines } from "../test/support/notification-engines.ts";
import { invoiceMessage } from "../test/support/invoice-events.ts";
import { getProfile, putProfile } from "../functions/common/profiles.ts";
import { dynamoContactStore } from "../functions/customers/contact.ts";
import { latencySummary } from "./stats.ts";
import { runStandalone } from "./standalone.ts";

const NOTICES = 400;
const CONCURRENCY = 10;

/** Measures first deliveries and redeliveries; returns notices per second and latency percentiles. */
export async function run(): Promise<Record<string, unknown>> {
  const engines = await startNotificationEngines();
  try {
    const profiles = { client: engines.documents, tableName: engines.profilesTable };
    const deps: NotifyDependencies = {
      store: dynamoNotificationStore({
        client: engines.documents,
        tableName: engines.notificationsTable,
        retentionSeconds: 86_400,
        leaseSeconds: 60,
        now: Date.now,
      }),
      profiles: (customerId) => getProfile(customerId, profiles),
      channels: awsChannels({ ses: engines.sesClient, sns: engines.snsClient }, "billing@example.com"),
      config: { billingPortalUrl: "https://billing.example.com/payment-method", defaultLocale: "en-US" },
      now: Date.now,
      report: () => undefined,
      contacts: dynamoContactStore(profiles),
    };
    const device = engines.device("bench");
    const messages: string[] = [];
    for (let i = 0; i < NOTICES; i += 1) {
      const customer = `cus_bench${i}`;
      await putProfile({ customerId: customer, pushEndpoints: [device] }, profiles);
      messages.push(invoiceMessage("01", { invoice: { id: `in_bench${i}`, customer } }));
    }

    const first = await measure(messages, (body) => notify(body, deps));
    const again = await measure(messages, (body) => notify(body, deps));
    const figures = {
      notices: NOTICES,
      concurrency: CONCURRENCY,
      emailsSent: (await engines.ses.emails()).length,
      pushesSent: engines.sns.outbox.length,
      firstDelivery: first,
      redelivery: again,
    };
    console.log("notifications (%d paid invoices, email + push each, %d concurrent):", NOTICES, CONCURRENCY);
    console.table({ "first delivery": first, "redelivery (all duplicates)": again });
    return figures;
  } finally {
    await engines.close();
  }
}

async function measure(
  messages: readonly string[],
  operation: (body: string) => Promise<unknown>,
): Promise<{ perSecond: number; p50Ms: number; p95Ms: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < messages.length) {
      const body = messages[next++]!;
      const begun = performance.now();
      await operation(body);
      latencies.push(performance.now() - begun);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  const { p50, p95 } = latencySummary(latencies);
  return { perSecond: Math.round(messages.length / seconds), p50Ms: p50, p95Ms: p95 };
}

await runStandalone(import.meta.url, "notifications", run);
