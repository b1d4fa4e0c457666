/**
 * What a backtest side measures about itself: wall and CPU time per phase, the AWS calls each
 * function makes, and the range of a series (the feed's window). Reported with the side's result.
 */
import { readdirSync, readFileSync } from "node:fs";
import { treeModuleUrl } from "./tree-modules.ts";
import type { Runtime } from "../runtime.ts";

/**
 * The phases of one side: the process's own start until its code runs (Node, the TypeScript
 * loader, the side's modules), the runtime's start, the profiles, sending the events (while the
 * runtime handles them), draining what is left after the last one, and collecting the result.
 */
export type Phase = "boot" | "start" | "seed" | "feed" | "drain" | "collect";

/** Minimum, maximum and mean of a series (the feed's window, looked at every tick). */
export function stats() {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let count = 0;
  return {
    add(value: number) {
      min = Math.min(min, value);
      max = Math.max(max, value);
      sum += value;
      count++;
    },
    summary: () => (count === 0 ? undefined : { min, max, mean: Math.round(sum / count) }),
  };
}

/**
 * Wall and CPU time (all threads of the process, which `process.cpuUsage` covers) per phase, in
 * order; the first, "boot", from `forkedAt` (epoch ms, when the parent started the process) to now,
 * with the CPU the process used so far.
 */
export function phaseClock(forkedAt?: number) {
  const phases: Partial<Record<Phase, { seconds: number; cpuSeconds: number }>> = {};
  if (forkedAt !== undefined) {
    const used = process.cpuUsage();
    phases.boot = { seconds: round((Date.now() - forkedAt) / 1000), cpuSeconds: round((used.user + used.system) / 1e6) };
  }
  let wall = performance.now();
  let cpu = process.cpuUsage();
  return {
    end(phase: Phase) {
      const elapsed = process.cpuUsage(cpu);
      phases[phase] = { seconds: round((performance.now() - wall) / 1000), cpuSeconds: round((elapsed.user + elapsed.system) / 1e6) };
      wall = performance.now();
      cpu = process.cpuUsage();
    },
    done: () => phases as Record<Phase, { seconds: number; cpuSeconds: number }>,
  };
}

function round(value: number): number {
  return Number(value.toFixed(2));
}

/**
 * Counts the AWS calls each function makes through the gateway (told apart by the access key it
 * signs with; the backtest's own seeding signs with the administrator key): the pipeline's cost per
 * event, in calls, which a loaded machine does not blur as it does seconds.
 */
export async function countAwsCalls(runtime: Runtime, root: string) {
  if (typeof runtime.observeAwsRequests !== "function") return undefined;
  const { functionCredentials } = (await import(treeModuleUrl(root, "local/function-credentials.ts"))) as typeof import("../function-credentials.ts");
  const functionOf = new Map([...runtime.functions.values()].map((fn) => [functionCredentials(fn.name).accessKeyId, fn.logicalName]));
  const byFunction: Record<string, number> = {};
  runtime.observeAwsRequests((request) => {
    const caller = (request.accessKeyId && functionOf.get(request.accessKeyId)) ?? "other";
    byFunction[caller] = (byFunction[caller] ?? 0) + 1;
  });
  return {
    counts: () => ({ total: Object.values(byFunction).reduce((sum, n) => sum + n, 0), byFunction }),
  };
}


/** CPU seconds of each thread of this process so far, by operating-system thread id (Linux; empty elsewhere). */
export function threadCpu(): Map<number, number> {
  const threads = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      // utime and stime: fields 14 and 15, in clock ticks of 10 ms, counted after the command name.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      threads.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // The thread ended while being read.
    }
  }
  return threads;
}

/**
 * Where a side's CPU went, by kind of thread, in seconds: the runtime's main thread, each
 * function's execution environments still running (by plan logical name), the threads there were
 * before the runtime started (`before`: V8's compiler and GC helpers, the TypeScript loader) and
 * the others (the DynamoDB endpoint's worker, libuv's pool once used). Undefined where /proc is not
 * there. Read before the runtime stops: an ended environment takes its CPU time with it.
 */
export function cpuByThread(runtime: Runtime, before: ReadonlySet<number> = new Set()): Record<string, number> | undefined {
  const threads = threadCpu();
  if (threads.size === 0) return undefined;
  const functions = new Map(
    (typeof runtime.lambda.threads === "function" ? runtime.lambda.threads() : []).map((thread) => [thread.tid, thread.functionName.slice(runtime.prefix.length + 1)]),
  );
  const byKind: Record<string, number> = {};
  for (const [tid, seconds] of threads) {
    const kind =
      tid === process.pid ? "main thread" : functions.has(tid) ? `function ${functions.get(tid)}` : before.has(tid) ? "V8 and loader helper threads" : "engine and libuv threads";
    byKind[kind] = (byKind[kind] ?? 0) + seconds;
  }
  return Object.fromEntries(Object.entries(byKind).sort((a, b) => b[1] - a[1]).map(([kind, seconds]) => [kind, round(seconds)]));
}
