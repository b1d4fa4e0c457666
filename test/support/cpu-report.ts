/**
 * Per-file cost report for the suite (opt-in: `PAYBUS_TEST_CPU=<file.tsv> npx vitest run …`).
 *
 * Appends one line per test file: path, CPU seconds of the test process (user + system, every
 * thread: the test, the local engines, the functions' worker threads), of which the main thread
 * (the test and the engines; Linux only, else empty), wall seconds, and the CPU seconds of the child
 * processes the file started and saw end (the CLI, chromium, reliability scenarios, crashed engines;
 * Linux only), all counted from before the file is imported. CPU is the figure to compare on a
 * shared machine: wall time follows the load.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { afterAll, expect } from "vitest";

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

const cpuAtStart = process.cpuUsage();
const mainAtStart = mainThreadCpu();
const childrenAtStart = endedChildrenCpu();
const wallAtStart = performance.now();

afterAll(() => {
  const out = process.env.PAYBUS_TEST_CPU;
  if (!out) return;
  const cpu = process.cpuUsage(cpuAtStart);
  const main = mainThreadCpu();
  const children = endedChildrenCpu();
  const line = [
    expect.getState().testPath ?? "?",
    ((cpu.user + cpu.system) / 1e6).toFixed(2),
    main === undefined || mainAtStart === undefined ? "" : (main - mainAtStart).toFixed(2),
    ((performance.now() - wallAtStart) / 1000).toFixed(2),
    children === undefined || childrenAtStart === undefined ? "" : (children - childrenAtStart).toFixed(2),
  ];
  appendFileSync(out, `${line.join("\t")}\n`);
});
