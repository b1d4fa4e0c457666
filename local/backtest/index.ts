/**
 * `paybus backtest`: what would a change to the rules or the consumers have done to real traffic?
 * Replays the same events through two versions, each on a fresh in-memory runtime in its own
 * process (both cores), and reports the differences per event and in totals.
 *
 *   paybus backtest --events <source> [--base <git ref>] [--base-rules <file>] [--rules <file>]
 *                   [--json] [--fail-on-diff] [--timeout 600] [--limit 20]
 *
 * Base is the git ref (HEAD by default) unless only rule files are compared (`--base-rules` and/or
 * `--rules` without `--base`: both sides then run the working tree); the candidate is the working
 * tree. Sources: see `input.ts`.
 */
import { fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { LOYALTY_SOURCE } from "../../events/loyalty-events.ts";
import { compareSides, formatComparison, type BacktestComparison } from "./compare.ts";
import { EventInputError, readBacktestEvents } from "./input.ts";
import { exportRef } from "./tree.ts";
import type { SideResult } from "./collect.ts";
import type { BacktestJob, WorkerMessage } from "./worker.ts";
import type { CachedBuild } from "../build-cache.ts";
import { bundleProcesses } from "../process-bundle.ts";
import { TREE_MODULES } from "./tree-modules.ts";

const PROJECT_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));

/** One version to run. */
export interface BacktestSide {
  readonly label: string;
  /** A git ref to export, or undefined for the working tree. */
  readonly ref?: string | undefined;
  readonly rulesFile?: string | undefined;
}

export interface BacktestOptions {
  /** Events source (see `readBacktestEvents`). */
  readonly events: string;
  readonly base: BacktestSide;
  readonly candidate: BacktestSide;
  readonly timeoutMs?: number;
  /** Called with the share of work done on each side (0–1). */
  readonly onProgress?: (base: number, candidate: number) => void;
}

export interface BacktestReport {
  readonly labels: { readonly base: string; readonly candidate: string };
  readonly events: number;
  /** The programme's own events (`paybus.loyalty`) in the input, not replayed: each side publishes its own. */
  readonly ownEventsLeftOut: number;
  readonly seconds: number;
  /**
   * Where the run's wall time went in this process: reading the events and writing them for the
   * sides, both sides (from the first one's start to the last one's end, the base's tree export
   * included), and the comparison.
   */
  readonly phases: { readonly prepare: number; readonly sides: number; readonly compare: number };
  readonly sides: { readonly base: SideResult; readonly candidate: SideResult };
  readonly comparison: BacktestComparison;
}

/** A failure to run one side (its stack, or what it printed). */
export class BacktestRunError extends Error {
  override name = "BacktestRunError";
}

/** Runs both sides in parallel and compares them. */
export async function backtest(options: BacktestOptions): Promise<BacktestReport> {
  const started = performance.now();
  const work = mkdtempSync(join(tmpdir(), "paybus-backtest-"));
  try {
    // The programme's own events (PointsAwarded, PointsRedeemed, … in a bus archive) are what a
    // version derives from the Stripe events, or from API calls a backtest does not make: each side
    // publishes its own, and the base's copies would reach the candidate's consumers twice.
    const read = readBacktestEvents(options.events);
    const events = read.filter((event) => event.source !== LOYALTY_SOURCE);
    const eventsFile = join(work, "events.json");
    writeFileSync(eventsFile, JSON.stringify(events));
    const progress = { base: 0, candidate: 0 };
    const run = (name: "base" | "candidate", side: BacktestSide) =>
      runSide(
        {
          root: side.ref ? exportRef(PROJECT_ROOT, side.ref) : PROJECT_ROOT,
          rulesFile: side.rulesFile && resolve(side.rulesFile),
          eventsFile,
          output: join(work, `${name}.json`),
          dataDir: join(work, `${name}-data`),
          timeoutMs: options.timeoutMs ?? 600_000,
        },
        join(work, `${name}-job.json`),
        (share) => {
          progress[name] = share;
          options.onProgress?.(progress.base, progress.candidate);
        },
      );
    const prepared = performance.now();
    // The candidate (the working tree) first: it starts while the base's tree is exported.
    const candidateRun = run("candidate", options.candidate);
    const baseRun = run("base", options.base);
    const [base, candidate] = await Promise.all([baseRun, candidateRun]);
    const ran = performance.now();
    const comparison = compareSides(base, candidate);
    const seconds = (from: number, to: number) => Number(((to - from) / 1000).toFixed(1));
    return {
      labels: { base: options.base.label, candidate: options.candidate.label },
      events: events.length,
      ownEventsLeftOut: read.length - events.length,
      seconds: seconds(started, performance.now()),
      phases: { prepare: seconds(started, prepared), sides: seconds(prepared, ran), compare: seconds(ran, performance.now()) },
      sides: { base, candidate },
      comparison,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * How a side's process starts: a side on the working tree with rules from JSON (or its own) runs
 * the worker and the tree's modules from one cached bundle (local/process-bundle.ts: ~1 s less CPU
 * loading than through tsx); a side on an exported ref, or loading a rules module, runs the
 * TypeScript through tsx (the ref's modules are the ref's; a rules module may be TypeScript).
 */
let sideBundle: Promise<CachedBuild> | undefined;

async function sideProcess(job: BacktestJob): Promise<{ worker: string; execArgv: string[]; builtModules?: Record<string, string> }> {
  if (job.root !== PROJECT_ROOT || (job.rulesFile !== undefined && !job.rulesFile.endsWith(".json"))) {
    return { worker: WORKER, execArgv: ["--import", "tsx"] };
  }
  const entries = ["local/backtest/worker.ts", ...TREE_MODULES];
  // Both sides may ask at once: one build.
  sideBundle ??= bundleProcesses(PROJECT_ROOT, "paybus-backtest-side", entries).finally(() => (sideBundle = undefined));
  const built = (await sideBundle).outputs;
  return { worker: built.get(entries[0]!)!, execArgv: [], builtModules: Object.fromEntries(TREE_MODULES.map((path) => [path, built.get(path)!])) };
}

async function runSide(job: BacktestJob, jobFile: string, onProgress: (share: number) => void): Promise<SideResult> {
  const { worker, execArgv, builtModules } = await sideProcess(job);
  writeFileSync(jobFile, JSON.stringify({ ...job, builtModules, forkedAt: Date.now() } satisfies BacktestJob));
  return new Promise((resolvePromise, reject) => {
    const child = fork(worker, [jobFile], {
      cwd: job.root,
      execArgv,
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: "SILENT", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
    let failure: string | undefined;
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on("message", (message: WorkerMessage) => {
      if ("progress" in message) onProgress(message.progress);
      else failure = message.error;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) {
        try {
          resolvePromise(JSON.parse(readFileSync(job.output, "utf8")) as SideResult);
        } catch (error) {
          reject(error);
        }
      } else {
        reject(new BacktestRunError(`the ${job.root === PROJECT_ROOT ? "working tree" : "exported ref"} run failed (exit ${code}): ${failure ?? stderr.trim()}`));
      }
    });
  });
}

/** `paybus backtest` argument handling; returns the exit code. */
export async function backtestCommand(argv: string[], output: NodeJS.WritableStream = process.stdout, progressStream: NodeJS.WriteStream = process.stderr): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: "string" },
      base: { type: "string" },
      "base-rules": { type: "string" },
      rules: { type: "string" },
      json: { type: "boolean", default: false },
      "fail-on-diff": { type: "boolean", default: false },
      timeout: { type: "string", default: "600" },
      limit: { type: "string", default: "20" },
    },
  });
  if (!values.events) throw new EventInputError("backtest needs --events <archive file | directory | export | stripe events list JSON | synthetic:<count>>");
  const rulesOnly = values.base === undefined && (values["base-rules"] !== undefined || values.rules !== undefined);
  const baseRef = rulesOnly ? undefined : (values.base ?? "HEAD");
  const describe = (tree: string, rules: string | undefined) => `${tree}${rules ? ` with rules from ${rules}` : ""}`;
  const base: BacktestSide = { label: describe(baseRef ? `git ${baseRef}` : "working tree", values["base-rules"]), ref: baseRef, rulesFile: values["base-rules"] };
  const candidate: BacktestSide = { label: describe("working tree", values.rules), rulesFile: values.rules };

  const bar = progressStream.isTTY && !values.json ? progressBar(progressStream) : undefined;
  const report = await backtest({
    events: values.events,
    base,
    candidate,
    timeoutMs: Number(values.timeout) * 1000,
    ...(bar ? { onProgress: bar.update } : {}),
  });
  bar?.done();
  output.write(
    values.json
      ? `${JSON.stringify({ labels: report.labels, eventCount: report.events, ownEventsLeftOut: report.ownEventsLeftOut, seconds: report.seconds, ...report.comparison, profile: sideProfiles(report) }, null, 2)}\n`
      : `${formatComparison(report.comparison, report.labels, Number(values.limit))}\n${report.events} events replayed through both versions in ${report.seconds} s${leftOutNote(report.ownEventsLeftOut)}\n${formatProfiles(sideProfiles(report))}`,
  );
  return values["fail-on-diff"] && !report.comparison.identical ? 1 : 0;
}

function leftOutNote(count: number): string {
  return count === 0 ? "" : ` (${count} of paybus's own events in the input, ${LOYALTY_SOURCE}, left out: each version publishes its own)`;
}

/** Where each side's time went (phases, records handled more than once), for `--json` and the text report. */
function sideProfiles(report: BacktestReport) {
  const profile = (side: SideResult) => ({ seconds: side.seconds, phases: side.phases, cpuByThread: side.cpuByThread, attempts: side.attempts, awsCalls: side.awsCalls, feedWindow: side.feedWindow });
  return { run: report.phases, base: profile(report.sides.base), candidate: profile(report.sides.candidate) };
}

function formatProfiles(profiles: ReturnType<typeof sideProfiles>): string {
  const line = (name: string, { seconds, phases, cpuByThread, attempts, awsCalls, feedWindow }: ReturnType<typeof sideProfiles>["base"]) => {
    if (!phases) return `${name}: ${seconds} s\n`;
    const parts = Object.entries(phases).map(([phase, time]) => `${phase} ${time.seconds} s (CPU ${time.cpuSeconds} s)`);
    const records = attempts ? `; ${attempts.records} records handled, ${attempts.redelivered} of them again` : "";
    const calls = awsCalls ? `; ${awsCalls.total} AWS calls` : "";
    const window = feedWindow ? `; feed window ${feedWindow.min}–${feedWindow.max} messages (mean ${feedWindow.mean})` : "";
    const threads = cpuByThread ? `; CPU by thread ${Object.entries(cpuByThread).map(([kind, cpu]) => `${kind} ${cpu} s`).join(", ")}` : "";
    return `${name}: ${seconds} s — ${parts.join(", ")}${records}${calls}${window}${threads}\n`;
  };
  const { prepare, sides, compare } = profiles.run;
  return `run: prepare ${prepare} s, both sides ${sides} s, compare ${compare} s\n` + line("base", profiles.base) + line("candidate", profiles.candidate);
}

/** A one-line progress bar with an ETA, redrawn in place (only on a terminal). */
function progressBar(stream: NodeJS.WriteStream) {
  const started = performance.now();
  let last = 0;
  return {
    update(base: number, candidate: number) {
      const now = performance.now();
      if (now - last < 200) return;
      last = now;
      stream.write(`\r${formatProgress(base, candidate, (now - started) / 1000)}\x1b[K`);
    },
    done() {
      stream.write("\r\x1b[K");
    },
  };
}

/**
 * The progress line: the slower side's share as a bar, each side's share, the time elapsed and the
 * time left at the rate so far (none before 2% is done: the runtimes' start would skew it).
 */
export function formatProgress(base: number, candidate: number, elapsedSeconds: number): string {
  const share = Math.min(base, candidate);
  const width = 30;
  const filled = Math.round(share * width);
  const eta = share > 0.02 ? Math.max(0, (elapsedSeconds / share) * (1 - share)) : undefined;
  const clock = (seconds: number) => {
    const whole = Math.round(seconds);
    return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
  };
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${Math.floor(share * 100)}%  base ${Math.floor(base * 100)}%  candidate ${Math.floor(candidate * 100)}%  elapsed ${clock(elapsedSeconds)}  ETA ${eta === undefined ? "…" : clock(eta)}`;
}
