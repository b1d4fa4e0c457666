/**
 * `paybus dev` (and `npm start`): start the runtime on a fixed port (its services include the
 * webhook bridge and the function URLs) with the admin API, the dashboard and the follow-up
 * scheduler, print how to reach everything, and optionally play the demo.
 */
import { startDashboard, type Dashboard } from "../dashboard/server.ts";
import { adminRoute } from "../local/admin.ts";
import { environmentsForCores } from "../local/lambda.ts";
import { demoWaves, seedDemoCustomers } from "../local/demo.ts";
import { followJournal } from "../local/live.ts";
import { Runtime } from "../local/runtime.ts";
import { loyaltySnapshot } from "../local/state.ts";
import { WEBHOOK_PATH } from "../local/webhook.ts";

export interface DevOptions {
  readonly port: number;
  readonly dataDir: string;
  readonly timeScale?: number;
  /** How fast workflow time runs: 0.0001 makes the 72-hour follow-up come after ~26 s. */
  readonly workflowTimeScale?: number | undefined;
  readonly demo?: boolean;
  readonly out?: NodeJS.WritableStream;
  /** Seconds between runs of the follow-up dispatcher (an EventBridge schedule in AWS). */
  readonly dispatchEverySeconds?: number;
  /** No live line per event, failure, DLQ arrival, send and workflow (`--quiet`); the banner stays. */
  readonly quiet?: boolean;
  /**
   * The user asked to stop (Ctrl-C) while this starts: the demo is cut short, and `startDev`
   * resolves as soon as the runtime serves, so that the caller stops it cleanly.
   */
  readonly signal?: AbortSignal;
}

/** A clock for workflow time: runs `1/scale` times faster than real time, and can jump ahead. */
export class WorkflowClock {
  private readonly started = Date.now();
  private offsetMs = 0;

  constructor(private readonly scale = 1) {}

  now(): Date {
    const elapsed = Date.now() - this.started;
    return new Date(this.started + elapsed / this.scale + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface Dev {
  readonly runtime: Runtime;
  readonly dashboard: Dashboard;
  readonly clock: WorkflowClock;
  stop(): Promise<void>;
}

const FOLLOW_UP_DELAY_MS = 72 * 3600 * 1000;
/** The LoyaltyExpiry schedule (workflows/index.ts: `rate(1 hour)`). */
const LOYALTY_EXPIRY_EVERY_MS = 3600 * 1000;

/** Starts the development runtime; resolves once it serves (and the demo, if asked, was sent). */
export async function startDev(options: DevOptions): Promise<Dev> {
  const out = options.out ?? process.stdout;
  const workflowTimeScale = options.workflowTimeScale ?? (options.demo ? 0.0001 : 1);
  const runtime = await Runtime.start({
    port: options.port,
    dataDir: options.dataDir,
    timeScale: options.timeScale ?? 1,
    maxEnvironmentsPerFunction: environmentsForCores(),
    env: process.env.STRIPE_WEBHOOK_SECRETS || process.env.STRIPE_WEBHOOK_SECRET
      ? { STRIPE_WEBHOOK_SECRETS: (process.env.STRIPE_WEBHOOK_SECRETS ?? process.env.STRIPE_WEBHOOK_SECRET)! }
      : {},
  });
  const clock = new WorkflowClock(workflowTimeScale);
  // The functions' URLs (webhook bridge, device, promotions and loyalty APIs) are a service of the
  // runtime (local/services/function-urls.ts); these routes exist only in `paybus dev`.
  runtime.addRoute(adminRoute(runtime, { sendFollowupsNow: () => sendFollowupsNow(runtime, clock) }));
  const dashboard = startDashboard(runtime);
  runtime.addRoute(dashboard.route);

  const dispatcher = setInterval(() => {
    void runtime.runScheduled("FollowupDispatch", clock.now()).catch((error: Error) => out.write(`follow-up dispatch failed: ${error.message}\n`));
  }, (options.dispatchEverySeconds ?? 5) * 1000);
  // Points expiry: its EventBridge schedule (rate(1 hour)), scaled by --time-scale like every other local timer.
  const expiry = setInterval(() => {
    void runtime.runScheduled("LoyaltyExpiry").catch((error: Error) => out.write(`points expiry failed: ${error.message}\n`));
  }, Math.max(1000, LOYALTY_EXPIRY_EVERY_MS * (options.timeScale ?? 1)));

  printBanner(runtime, out);
  if (options.demo) await playDemo(runtime, out, options.signal);
  // From here on, one line per significant thing (the demo printed its own summary).
  const unfollow = options.quiet ? () => undefined : followJournal(runtime.journal, out);
  if (!options.quiet) out.write("Live: one line per event, failure, DLQ arrival, send and finished workflow (--quiet silences them).\n");
  return {
    runtime,
    dashboard,
    clock,
    stop: async () => {
      unfollow();
      clearInterval(dispatcher);
      clearInterval(expiry);
      // Live streams never end on their own; the gateway can only close once they have.
      await dashboard.close();
      await runtime.stop();
    },
  };
}

/** Jumps workflow time past the follow-up delay and runs the dispatcher ("send now"). */
export async function sendFollowupsNow(runtime: Runtime, clock: WorkflowClock): Promise<unknown> {
  clock.advance(FOLLOW_UP_DELAY_MS);
  return runtime.runScheduled("FollowupDispatch", clock.now());
}

/** The environment that points the AWS CLI, boto3 and the SDKs at the gateway, as `export` lines. */
export function exportLines(runtime: Runtime): string[] {
  const url = runtime.endpoints.gateway;
  return [
    // AWS_ENDPOINT_URL covers every service (SES and SNS included) for SDK v3, CLI v2 and boto3 >= 1.28;
    // AWS_DEFAULT_REGION is the region older boto3 and CLI v1 read.
    `export AWS_ENDPOINT_URL=${url}`,
    `export AWS_REGION=${runtime.region} AWS_DEFAULT_REGION=${runtime.region} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local`,
  ];
}

function printBanner(runtime: Runtime, out: NodeJS.WritableStream): void {
  const e = runtime.endpoints;
  out.write(
    [
      `paybus local runtime — ${e.gateway}`,
      "",
      `  Dashboard       ${e.gateway}/   (live view of the pipeline; open it in a browser)`,
      `  AWS APIs        ${e.gateway}   EventBridge (bus ${runtime.busName}), SQS, DynamoDB, Step Functions, SES, SNS: one endpoint`,
      `  Webhooks        ${e.gateway.replace("127.0.0.1", "localhost")}${WEBHOOK_PATH}`,
      `  Loyalty API     ${e.gateway}/loyalty/customers/<id>   (SigV4-signed: npm run paybus -- loyalty balance --customer <id>)`,
      "",
      "Point the AWS CLI, boto3 or an SDK at it:",
      ...exportLines(runtime).map((line) => `  ${line}`),
      `  (clients too old for AWS_ENDPOINT_URL: aws --endpoint-url ${e.gateway} …, boto3.client(…, endpoint_url="${e.gateway}"))`,
      "",
      "Forward real test-mode Stripe events (set STRIPE_WEBHOOK_SECRET to the secret it prints):",
      `  stripe listen --forward-to ${e.gateway.replace("127.0.0.1", "localhost")}${WEBHOOK_PATH}`,
      "",
      "Try, in another terminal: npm run paybus -- send fixtures/stripe-events/03-payment-intent-succeeded-usd.json",
      "                          npm run paybus -- status · npm run paybus -- dlq list · npm run paybus -- workflows send-now",
      "Ctrl-C stops; balances, the archive, workflows, the outbox and the dashboard's history stay in the data directory.",
      "",
    ].join("\n"),
  );
}

async function playDemo(runtime: Runtime, out: NodeJS.WritableStream, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  const stopped = new Promise<"stopped">((resolve) => signal?.addEventListener("abort", () => resolve("stopped"), { once: true }));
  await seedDemoCustomers(runtime);
  const earlierRuns = runtime.archive.read().length > 0;
  // The journal of the data directory holds earlier runs too: the summary is this demo's.
  const since = runtime.journal.lastSeq;
  let sent = 0;
  let rejected = 0;
  for (const wave of demoWaves()) {
    const results = runtime.sendEnvelopes(wave);
    sent += wave.length;
    rejected += results.filter((result) => "ErrorCode" in result).length;
    out.write(`demo: sent ${sent} events (${rejected} rejected by the bus); waiting for the pipeline…\n`);
    // A slow machine is no reason to stop the runtime: say so, show what is done, keep serving.
    const settled = await Promise.race([
      runtime.waitForQuiet(60_000).then(
        () => "settled" as const,
        () => "busy" as const,
      ),
      stopped,
    ]);
    if (settled === "stopped") {
      out.write("demo: stopped before the pipeline settled\n");
      return;
    }
    if (settled === "busy") {
      out.write("demo: the pipeline is still busy after 60 s (retries come back after the visibility timeout); `npm run paybus -- status` shows what is in flight\n");
      break;
    }
  }
  const emails = runtime.journal.list("effect.email", since);
  const pushes = runtime.journal.list("effect.push", since).filter((push) => push.status === "delivered");
  out.write(`\ndemo: ${emails.length} email(s), ${pushes.length} push(es)\n`);
  if (earlierRuns) {
    out.write("  (the data directory already holds an earlier run: each purchase and invoice counts once, so repeats change nothing;\n   delete .paybus/ or pass --data-dir <new dir> to start afresh)\n");
  }
  for (const email of emails) out.write(`  email → ${email.to.join(", ")}: ${email.subject}\n`);
  for (const push of pushes) out.write(`  push  → …${push.targetArn.slice(-12)}: ${push.title ?? ""}\n`);
  const { customers } = await loyaltySnapshot(runtime);
  for (const customer of customers) out.write(`  loyalty ${customer.customerId}: ${customer.points} points, ${customer.tier}\n`);
  for (const execution of runtime.sfn.executions()) {
    out.write(`  workflow ${execution.name}: ${execution.status} via ${execution.path.join(" → ")}\n`);
  }
  const dlq = runtime.journal.list("queue.dlq", since).length;
  out.write(`  DLQ: ${dlq} message(s)${dlq ? " — see `npm run paybus -- dlq list`" : ""}\n\n`);
}
