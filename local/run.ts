/**
 * `paybus run`: start a runtime, feed it events, wait until every queue and workflow is quiet,
 * and report what happened to each input.
 */
import { environmentsForCores } from "./lambda.ts";
import { formatNotificationDelay, formatPointsCommitDelay, notificationDelay, pointsCommitDelay } from "./points-delay.ts";
import { buildReport, type RunReport, type SentInput } from "./report.ts";
import { queueStatus, Runtime } from "./runtime.ts";
import { loyaltySnapshot, type LoyaltySnapshot } from "./state.ts";

export interface RunOptions {
  readonly dataDir: string;
  readonly timeoutMs?: number;
  /** Where progress lines go (stderr for humans); none when omitted. */
  readonly progress?: NodeJS.WritableStream | undefined;
  readonly timeScale?: number;
  /** Tables and queues in memory (the data directory then holds only the archive): for throw-away runs. */
  readonly inMemory?: boolean;
}

/** Sends every input event and returns the report once the pipeline is quiet. */
export async function runEvents(
  inputs: ReadonlyArray<{ file: string; events: Record<string, unknown>[] }>,
  options: RunOptions,
): Promise<RunReport> {
  const runtime = await Runtime.start({ dataDir: options.dataDir, inMemory: options.inMemory ?? false, port: 0, timeScale: options.timeScale ?? 0.01, workflowTimeScale: 0.0001, maxEnvironmentsPerFunction: environmentsForCores() });
  // A data directory may hold earlier runs' journal: this run's effects are those recorded after it.
  const since = runtime.journal.lastSeq;
  // Lines redrawn in place (`\r`) only on a terminal: in a CI log or a file each would be kept.
  const live = (options.progress as { isTTY?: boolean } | undefined)?.isTTY === true ? options.progress : undefined;
  try {
    const sent: SentInput[] = [];
    for (const { file, events } of inputs) {
      const results = runtime.sendEnvelopes(events);
      results.forEach((result, index) => {
        const detail = events[index]?.detail as { id?: unknown } | undefined;
        sent.push({
          label: events.length > 1 ? `${file}[${index}]` : file,
          result,
          stripeEventId: typeof detail?.id === "string" ? detail.id : undefined,
          detailType: typeof events[index]?.["detail-type"] === "string" ? (events[index]!["detail-type"] as string) : undefined,
        });
      });
      live?.write(`sent ${sent.length} event(s)\r`);
    }
    options.progress?.write(`${live ? "\n" : `sent ${sent.length} event(s)\n`}waiting for the pipeline to settle…\n`);
    const ticker = live && setInterval(() => live.write(`${liveSummary(runtime, since)}\r`), 1000);
    try {
      await runtime.waitForQuiet(options.timeoutMs ?? 120_000);
    } finally {
      if (ticker) {
        clearInterval(ticker);
        live.write("\r\x1b[K");
      }
    }
    const loyalty = await loyaltySnapshot(runtime);
    const report = await buildReport(runtime, sent, loyalty, since);
    return { ...report, delays: { notification: notificationDelay(runtime.journal.list(undefined, since)), pointsCommit: pointsCommitDelay(loyalty.purchases) } };
  } finally {
    await runtime.stop();
  }
}

/** One status line while a run settles: work left per queue, attempts so far, effects. */
function liveSummary(runtime: Runtime, since: number): string {
  const queues = queueStatus(runtime)
    .map((q) => `${q.queue} ${q.ready + q.inFlight + q.delayed} left${q.dlq ? `, ${q.dlq} in DLQ` : ""}`)
    .join(" · ");
  const attempts = runtime.journal.list("consumer.attempt", since).length;
  const emails = runtime.journal.list("effect.email", since).length;
  return `  ${queues} · ${attempts} consumer attempts · ${emails} emails   `;
}

/** The report for people: one line per input, then the totals and outcomes. */
export function formatReport(report: RunReport): string {
  const lines: string[] = [];
  for (const input of report.inputs) {
    const what = `${input.detailType ?? "?"} ${input.stripeEventId ?? ""}`.trim();
    const detail =
      input.status === "rejected"
        ? input.error
        : input.result === "unmatched"
          ? "matched no rule (archived)"
          : `${input.rules.join(", ")}; ${input.attempts.length} attempt(s)${input.dlq.length ? `; DLQ: ${input.dlq.map((d) => d.error ?? "?").join("; ")}` : ""}`;
    lines.push(`${input.result.padEnd(11)} ${input.label}  ${what}  ${detail ?? ""}`);
  }
  const t = report.totals;
  lines.push(
    "",
    `inputs ${t.inputs}: accepted ${t.accepted}, rejected ${t.rejected}, unmatched ${t.unmatched}, consumed ${t.consumed}, in DLQ ${t.inDlq}`,
    `consumer attempts ${t.consumerAttempts} (retries ${t.retries}); emails ${t.emails}; pushes ${t.pushes}; workflows ${t.workflows}`,
  );
  for (const email of report.emails) lines.push(`  email → ${email.to.join(", ")}: ${email.subject}`);
  for (const push of report.pushes) lines.push(`  push  → ${push.targetArn.split("/").slice(-2).join("/")}: ${push.title ?? ""}`);
  const loyalty = report.loyalty as LoyaltySnapshot;
  for (const customer of loyalty.customers) lines.push(`  loyalty ${customer.customerId}: ${customer.points} points (${customer.tier})`);
  if (report.delays) lines.push(`  ${formatNotificationDelay(report.delays.notification)}`, `  ${formatPointsCommitDelay(report.delays.pointsCommit)}`);
  for (const purchase of loyalty.purchases.filter((p) => p.status === "skipped")) {
    lines.push(`  loyalty skipped ${purchase.purchaseId}: ${purchase.skipReason ?? ""}${purchase.skipDetail ? ` — ${purchase.skipDetail}` : ""}`);
  }
  for (const profile of report.profiles) {
    const what = profile.deleted ? "erased (customer deleted in Stripe)" : `${profile.email ?? "no email"}, ${profile.locale ?? "default locale"}, ${profile.devices} device(s)`;
    lines.push(`  profile ${profile.customerId}: ${what}`);
  }
  for (const workflow of report.workflows) lines.push(`  workflow ${workflow.name}: ${workflow.status} via ${workflow.path.join(" → ")}`);
  return `${lines.join("\n")}\n`;
}
