/**
 * Per-file cost report for the suite (opt-in: `PAYBUS_TEST_CPU=<file.tsv> npx vitest run …`).
 *
 * Appends one line per test file: path, CPU seconds of the test process (user + system, every
 * thread: the test, the local engines, the functions' worker threads), of which the main thread
 * (the test and the engines; Linux only, else empty), and wall seconds, all counted from before the
 * file is imported. CPU is the figure to compare on a shared machine: wall time follows the load.
 * Child processes a test starts (the CLI, chromium, reliability scenarios) are not counted.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { afterAll, expect } from "vitest";

/** CPU seconds of this process's main thread, from /proc (clock ticks of 10 ms); undefined elsewhere. */
export function mainThreadCpu(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

const cpuAtStart = process.cpuUsage();
const mainAtStart = mainThreadCpu();
const wallAtStart = performance.now();

afterAll(() => {
  const out = process.env.PAYBUS_TEST_CPU;
  if (!out) return;
  const cpu = process.cpuUsage(cpuAtStart);
  const main = mainThreadCpu();
  const line = [
    expect.getState().testPath ?? "?",
    ((cpu.user + cpu.system) / 1e6).toFixed(2),
    main === undefined || mainAtStart === undefined ? "" : (main - mainAtStart).toFixed(2),
    ((performance.now() - wallAtStart) / 1000).toFixed(2),
  ];
  appendFileSync(out, `${line.join("\t")}\n`);
});
