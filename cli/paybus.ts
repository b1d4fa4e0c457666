/**
 * `paybus`: run the pipeline locally and talk to it.
 *
 *   paybus dev [--port 4010] [--data-dir .paybus] [--demo] [--quiet] [--time-scale 1] [--workflow-time-scale 1]
 *   paybus run --events <dir|files…> [--json] [--data-dir <dir>] [--strict] [--time-scale 0.01] [--timeout 120]
 *   paybus send <files…> [--url http://127.0.0.1:4010]
 *   paybus replay [--from <ISO>] [--to <ISO>] [--event evt_…]… [--url …]
 *   paybus dlq list|redrive|discard [--queue <name>] [messageId…] [--url …]
 *   paybus status [--url …]
 *   paybus rules test --pattern <file|json> <event files…>
 *   paybus rules lint
 *   paybus new consumer <name> --events <detail-type…>
 *   paybus devices add|list|remove --customer cus_… [--platform GCM --token …] [--url …]
 *   paybus promotions add|list|remove [--name n --start <ISO> --end <ISO> --multiplier 3 …] [--url …]
 *   paybus loyalty balance|ledger|redeem|adjust --customer <id> [--points n] [--reason … --actor …] [--url …]
 *   paybus stripe credits|codes [--customer cus_…] [--json] [--url …]
 *   paybus backtest --events <source> [--base <git ref>] [--base-rules <file>] [--rules <file>] [--json] [--fail-on-diff]
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { EventInputError, eventFiles, readEventsFile } from "../local/event-input.ts";
import type { DispatchSummary } from "../functions/engagement-followup-dispatch/core.ts";

// The SDK's notice that its 2027 releases need Node 22 would open every command on Node 20; the
// README says so once instead.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export const DEFAULT_PORT = 4010;
const DEFAULT_URL = `http://127.0.0.1:${DEFAULT_PORT}`;

/** Errors whose message says all the user needs (another runtime holds the port or the data directory). */
const KNOWN_ERRORS = new Set(["DataDirLockedError", "GatewayPortInUseError"]);

/** A mistake the user can fix; printed without a stack trace. */
export class UsageError extends Error {
  override name = "UsageError";
}

const USAGE = `paybus — Stripe events on EventBridge, locally

Usage:
  paybus dev [--port ${DEFAULT_PORT}] [--data-dir .paybus] [--demo] [--quiet] [--time-scale 1] [--workflow-time-scale 1]
  paybus run --events <dir|files…> [--json] [--data-dir <dir>] [--strict] [--time-scale 0.01] [--timeout 120]
  paybus send <files…> [--url ${DEFAULT_URL}]
  paybus replay [--from <ISO time>] [--to <ISO time>] [--event evt_…] [--url …]
  paybus dlq list|redrive|discard [--queue <name>] [messageId…] [--url …]
  paybus status [--url …]
  paybus workflows send-now [--url …]
  paybus rules test --pattern <file|json> <event files…>
  paybus rules lint
  paybus new consumer <name> --events <detail-type…>
  paybus devices add --customer cus_… --platform GCM|APNS|APNS_SANDBOX --token <token> [--idempotency-key k] [--url …]
  paybus devices list|remove --customer cus_… [--token <token>] [--url …]
  paybus promotions add --name <name> --start <ISO> --end <ISO> --multiplier <2-10> [--combine exclusive|highest|multiply] [--description …] [--currencies usd,eur] [--premium-only] [--url …]
  paybus promotions list|remove [--name <name>] [--url …]
  paybus loyalty balance|ledger --customer <id> [--limit n] [--cursor c] [--url …]
  paybus loyalty redeem --customer <id> --points n [--reference r] [--idempotency-key k] [--url …]
  paybus loyalty adjust --customer <id> --points=±n --reason "…" --actor <who> [--idempotency-key k] [--url …]
  paybus stripe credits|codes [--customer cus_…] [--json] [--url …]
  paybus backtest --events <archive|dir|export|stripe-list.json|synthetic:N> [--base <git ref>] [--base-rules <file>] [--rules <file>] [--json] [--fail-on-diff]
`;

/**
 * Event files named on the command line, directories expanded (`*.json`, `*.jsonl`, sorted), each
 * read as `local/event-input.ts` reads what a team has at hand: envelopes, bare Stripe events,
 * `stripe events list` output, bus archive lines. A Stripe event gets the envelope the Stripe
 * partner event source gives it.
 */
export function readEventFiles(paths: readonly string[]): Array<{ file: string; events: Record<string, unknown>[] }> {
  if (paths.length === 0) throw new UsageError("no event files given");
  try {
    return paths.flatMap(eventFiles).map((file) => ({ file, events: readEventsFile(file, () => randomUUID()) }));
  } catch (error) {
    if (error instanceof EventInputError) throw new UsageError(error.message);
    throw error;
  }
}

async function admin(url: string, path: string, body?: unknown): Promise<any> {
  let answer: Response;
  try {
    answer = await fetch(`${url}/_paybus${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  } catch {
    throw new UsageError(`cannot reach a paybus runtime at ${url}: start one with \`npm start\` or \`paybus dev\`, or pass --url`);
  }
  const payload = (await answer.json()) as { error?: string } & Record<string, any>;
  if (!answer.ok) throw new UsageError(payload.error ?? `${answer.status} ${answer.statusText}`);
  return payload;
}

async function dev(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string", default: String(DEFAULT_PORT) },
      "data-dir": { type: "string", default: ".paybus" },
      demo: { type: "boolean", default: false },
      "time-scale": { type: "string", default: "1" },
      "workflow-time-scale": { type: "string" },
      quiet: { type: "boolean", default: false },
    },
  });
  // Ctrl-C (or SIGTERM) is heard from here on, so that a stop asked for while the runtime starts or
  // the demo plays is a clean stop too, not node's default exit; a second one ends the process at once.
  const stopAsked = new AbortController();
  const stop = () => stopAsked.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const stopped = new Promise<void>((resolvePromise) => stopAsked.signal.addEventListener("abort", () => resolvePromise(), { once: true }));
  const { startDev } = await import("./dev.ts");

  const dev = await startDev({
    port: Number(values.port),
    dataDir: resolve(values["data-dir"]),
    timeScale: Number(values["time-scale"]),
    workflowTimeScale: values["workflow-time-scale"] === undefined ? undefined : Number(values["workflow-time-scale"]),
    demo: values.demo,
    quiet: values.quiet,
    signal: stopAsked.signal,
  }).catch((error: unknown) => {
    // Nothing started: the signals go back to node's default.
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    throw error;
  });
  // A failure in a background task is that task's failure: journal it (the live terminal prints it)
  // and keep serving what was accepted, rather than let Node end the process.
  process.on("unhandledRejection", (reason) => {
    const error = reason instanceof Error ? reason : new Error(String(reason));
    dev.runtime.journal.record({ kind: "runtime.error", where: "a background task", error: `${error.name}: ${error.message}` });
  });
  await stopped;
  process.stdout.write("\nstopping…\n");
  await dev.stop();
  return 0;
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      events: { type: "string", multiple: true },
      json: { type: "boolean", default: false },
      "data-dir": { type: "string" },
      strict: { type: "boolean", default: false },
      timeout: { type: "string", default: "120" },
      "time-scale": { type: "string", default: "0.01" },
    },
  });
  const inputs = readEventFiles([...(values.events ?? []), ...positionals]);
  const { runEvents, formatReport } = await import("../local/run.ts");
  const dataDir = values["data-dir"] ? resolve(values["data-dir"]) : mkdtempSync(join(tmpdir(), "paybus-run-"));
  try {
    const report = await runEvents(inputs, {
      dataDir,
      timeoutMs: Number(values.timeout) * 1000,
      timeScale: Number(values["time-scale"]),
      // A temporary data directory is deleted after the run: its tables may as well stay in memory.
      inMemory: !values["data-dir"],
      progress: values.json ? undefined : process.stderr,
    });
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    const problems = report.totals.rejected + report.totals.inDlq;
    return values.strict && problems > 0 ? 1 : 0;
  } finally {
    if (!values["data-dir"]) rmSync(dataDir, { recursive: true, force: true });
  }
}

async function send(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { url: { type: "string", default: DEFAULT_URL } } });
  let failed = 0;
  for (const { file, events } of readEventFiles(positionals)) {
    const { results } = await admin(values.url, "/send", events);
    results.forEach((result: { EventId?: string; ErrorCode?: string; ErrorMessage?: string }, index: number) => {
      const label = events.length > 1 ? `${file}[${index}]` : file;
      if (result.EventId) process.stdout.write(`accepted  ${label}  ${result.EventId}\n`);
      else {
        failed++;
        process.stdout.write(`rejected  ${label}  ${result.ErrorCode}: ${result.ErrorMessage}\n`);
      }
    });
  }
  return failed > 0 ? 1 : 0;
}

async function replay(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { url: { type: "string", default: DEFAULT_URL }, from: { type: "string" }, to: { type: "string" }, event: { type: "string", multiple: true } },
  });
  const result = await admin(values.url, "/replay", { start: values.from, end: values.to, stripeEventIds: values.event });
  process.stdout.write(`replayed ${result.events} event(s) as ${result.replayName}\n`);
  return 0;
}

async function dlq(argv: string[]): Promise<number> {
  const [action = "list", ...rest] = argv;
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { url: { type: "string", default: DEFAULT_URL }, queue: { type: "string" } } });
  if (action === "list") {
    const { queues } = await admin(values.url, "/dlq");
    for (const { queue, messages } of queues as Array<{ queue: string; messages: Array<{ messageId: string; receiveCount: number; error?: string }> }>) {
      if (values.queue && queue !== values.queue) continue;
      process.stdout.write(`${queue}: ${messages.length} message(s) in the DLQ\n`);
      for (const message of messages) process.stdout.write(`  ${message.messageId}  receives=${message.receiveCount}  ${message.error ?? "(no error recorded)"}\n`);
    }
    return 0;
  }
  if (action !== "redrive" && action !== "discard") throw new UsageError(`unknown dlq action "${action}" (list, redrive, discard)`);
  if (!values.queue) throw new UsageError(`dlq ${action} needs --queue <name>`);
  const result = await admin(values.url, `/dlq/${action}`, { queue: values.queue, messageIds: positionals.length > 0 ? positionals : undefined });
  process.stdout.write(`${action === "redrive" ? "redrove" : "discarded"} ${result.messageIds.length} message(s) from the ${values.queue} DLQ\n`);
  return 0;
}

async function status(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { url: { type: "string", default: DEFAULT_URL } } });
  const state = await admin(values.url, "/status");
  process.stdout.write(`runtime at ${values.url} (${state.quiet ? "quiet" : "busy"})\n`);
  for (const [name, endpoint] of Object.entries(state.endpoints)) process.stdout.write(`  ${name.padEnd(14)} ${endpoint}\n`);
  for (const queue of state.queues) {
    process.stdout.write(`  queue ${queue.queue.padEnd(14)} ready=${queue.ready} in-flight=${queue.inFlight} delayed=${queue.delayed} dlq=${queue.dlq}\n`);
  }
  // Where each event stands (the lifecycle projection the run report and the dashboard read too).
  const events = Object.entries((state.events ?? {}) as Record<string, number>);
  if (events.length > 0) process.stdout.write(`  events ${events.map(([status, count]) => `${status}=${count}`).join(" ")}\n`);
  return 0;
}

/** What the functions created in the runtime's local Stripe account: balance credits, promotion codes. */
async function stripe(argv: string[]): Promise<number> {
  const [action = "credits", ...rest] = argv;
  if (action !== "credits" && action !== "codes") throw new UsageError(`unknown stripe action "${action}" (credits, codes)`);
  const { values } = parseArgs({ args: rest, options: { url: { type: "string", default: DEFAULT_URL }, customer: { type: "string" }, json: { type: "boolean", default: false } } });
  const state = await admin(values.url, "/stripe");
  const objects = (action === "credits" ? state.balanceTransactions : state.promotionCodes) as Array<Record<string, any>>;
  const mine = objects.filter((object) => values.customer === undefined || object.customer === values.customer);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(mine, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`${mine.length} ${action === "credits" ? "balance credit(s)" : "promotion code(s)"} in the local Stripe account\n`);
  for (const object of mine) {
    const when = new Date(object.created * 1000).toISOString();
    const what =
      action === "credits"
        ? `${object.amount} ${object.currency} (balance ${object.ending_balance})`
        : `${object.code} (coupon ${object.promotion?.coupon ?? "?"}, expires ${object.expires_at ? new Date(object.expires_at * 1000).toISOString() : "never"})`;
    process.stdout.write(`  ${object.id}  ${object.customer ?? "(any customer)"}  ${what}  tier=${object.metadata?.paybus_tier ?? "-"}  ${when}\n`);
  }
  return 0;
}

async function workflows(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (action !== "send-now") throw new UsageError(`unknown workflows action "${action ?? ""}" (send-now)`);
  const { values } = parseArgs({ args: rest, options: { url: { type: "string", default: DEFAULT_URL } } });
  const { result } = (await admin(values.url, "/followups/send-now", {})) as { result: DispatchSummary | null };
  if (!result) {
    process.stdout.write("follow-ups: the dispatcher ran and said nothing\n");
    return 0;
  }
  process.stdout.write(`follow-ups: ${result.completed} sent, ${result.expired} dropped (their workflow no longer waits), ${result.failed} failed (left for the next run)\n`);
  return result.failed > 0 ? 1 : 0;
}

/**
 * Runs the CLI; returns the exit code. A command's modules (the runtime, the rules and their
 * schemas, the SDK) are imported when that command runs, so that `--help`, `status` or `dlq list`
 * do not load what only `dev`, `run` or `rules` need.
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "dev":
        return await dev(rest);
      case "run":
        return await run(rest);
      case "send":
        return await send(rest);
      case "replay":
        return await replay(rest);
      case "dlq":
        return await dlq(rest);
      case "status":
        return await status(rest);
      case "workflows":
        return await workflows(rest);
      case "stripe":
        return await stripe(rest);
      case "devices": {
        const { devices } = await import("./devices.ts");
        return await devices(rest, process.stdout, DEFAULT_URL);
      }
      case "promotions": {
        const { promotions } = await import("./promotions.ts");
        return await promotions(rest, process.stdout, DEFAULT_URL);
      }
      case "loyalty": {
        const { loyalty } = await import("./loyalty.ts");
        return await loyalty(rest, process.stdout, DEFAULT_URL);
      }
      case "backtest": {
        const { backtestCommand } = await import("../local/backtest/index.ts");
        return await backtestCommand(rest);
      }
      case "rules": {
        const { rulesLint, rulesTest } = await import("./rules.ts");
        if (rest[0] === "test") return await rulesTest(rest.slice(1));
        if (rest[0] === "lint") return await rulesLint();
        throw new UsageError(`unknown rules action "${rest[0] ?? ""}" (test, lint)`);
      }
      case "new": {
        const { newCommand } = await import("./scaffold.ts");
        return newCommand(rest, fileURLToPath(new URL("../", import.meta.url)));
      }
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(USAGE);
        return command === undefined ? 1 : 0;
      default:
        throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
    }
  } catch (error) {
    const known =
      error instanceof UsageError ||
      (error as Error).name === "UsageError" ||
      KNOWN_ERRORS.has((error as Error).name) ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ||
      ["EventInputError", "RulesFileError", "BacktestRunError", "BacktestTreeError", "ScaffoldError"].includes((error as Error).name);
    process.stderr.write(`paybus: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
    return 2;
  }
}

if (process.argv[1]?.endsWith("cli/paybus.ts")) {
  process.exit(await main(process.argv.slice(2)));
}
