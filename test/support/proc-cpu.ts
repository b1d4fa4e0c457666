/**
 * CPU readings from /proc for the suite's cost report (`cpu-report.ts`), apart from it because that
 * module registers a vitest hook when imported: these can be read anywhere, including in a plain
 * child process (`test/cpu-report.test.ts` reads the process-wide one there, away from the other test
 * file that shares its process under the threads pool).
 */
import { readFileSync } from "node:fs";

/**
 * The sum of two clock-tick fields (10 ms each) of a /proc `stat` file, in seconds, counting fields
 * after the parenthesised command name (state is 0); undefined where there is no /proc.
 */
function statSeconds(path: string, first: number): number | undefined {
  try {
    const stat = readFileSync(path, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[first]) + Number(fields[first + 1])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of the thread the test file runs on (the "main thread" of the report: its process's
 * main thread in a child process, its worker thread in vitest's threads pool): utime + stime of
 * `/proc/thread-self/stat`, the calling thread (a sync read runs on the calling thread).
 */
export function mainThreadCpu(): number | undefined {
  return statSeconds("/proc/thread-self/stat", 11);
}

/**
 * CPU seconds of this process's child processes that have ended and been reaped (cutime + cstime of
 * /proc/self/stat: their descendants count once reaped in turn).
 */
export function endedChildrenCpu(): number | undefined {
  return statSeconds("/proc/self/stat", 13);
}
