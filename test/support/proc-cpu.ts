/**
 * CPU readings from /proc for the suite's cost report (`cpu-report.ts`), apart from it because that
 * module registers a vitest hook when imported: these can be read anywhere, including in a plain
 * child process (`test/cpu-report.test.ts` reads the process-wide one there, away from the other test
 * file that shares its process under the threads pool).
 */
import { readFileSync } from "node:fs";

/**
 * CPU seconds of the thread the test file runs on (the "main thread" of the report: its process's
 * main thread in a child process, its worker thread in vitest's threads pool), from /proc (clock
 * ticks of 10 ms); undefined elsewhere. `/proc/thread-self` is the calling thread, and a sync read
 * runs on the calling thread.
 */
export function mainThreadCpu(): number | undefined {
  try {
    const stat = readFileSync("/proc/thread-self/stat", "utf8");
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of this process's child processes that have ended and been reaped (cutime + cstime of
 * /proc/self/stat: their descendants count once reaped in turn); undefined elsewhere.
 */
export function endedChildrenCpu(): number | undefined {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    // Fields after the command name: cutime is field 16, cstime 17.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}
