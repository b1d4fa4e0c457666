/**
 * What a backtest side measures about itself: wall and CPU time per phase, the AWS calls each
 * function makes, and the range of a series (the feed's window). Reported with the side's result.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Runtime } from "../runtime.ts";

/**
 * The phases of one side: the runtime's start, the profiles, sending the events (while the runtime
 * handles them), draining what is left after the last one, and collecting the result.
 */
export type Phase = "start" | "seed" | "feed" | "drain" | "collect";

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

/** Wall and CPU time (all threads of the process, which `process.cpuUsage` covers) per phase, in order. */
export function phaseClock() {
  const phases: Partial<Record<Phase, { seconds: number; cpuSeconds: number }>> = {};
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
  const { functionCredentials } = (await import(pathToFileURL(join(root, "local/function-credentials.ts")).href)) as typeof import("../function-credentials.ts");
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

