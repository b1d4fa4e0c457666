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
import { appendFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { afterAll, expect } from "vitest";
import { endedChildrenCpu, mainThreadCpu } from "./proc-cpu.ts";

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
