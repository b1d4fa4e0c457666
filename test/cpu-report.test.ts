/**
 * The suite's cost report reads the main thread's CPU apart from the process's (the functions'
 * worker threads): a busy worker thread counts in the process, not in the main thread.
 */
import { spawnSync } from "node:child_process";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { mainThreadCpu } from "./support/proc-cpu.ts";

const processCpu = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

// Work measured in CPU, not wall time, so that a loaded machine changes nothing: each thread spins
// until its own thread has used 0.3 s of CPU (read from /proc/thread-self).
const SPIN = `
  const { readFileSync } = require("node:fs");
  const own = () => { const stat = readFileSync("/proc/thread-self/stat", "utf8"); const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); return (Number(f[11]) + Number(f[12])) / 100; };
  const start = own();
  while (own() - start < 0.3);
`;

describe.runIf(process.platform === "linux")("mainThreadCpu", () => {
  it("counts the main thread's work, and not a worker thread's", async () => {
    const mainBefore = mainThreadCpu()!;
    new Function("require", SPIN)((await import("node:module")).createRequire(import.meta.url));
    const mainAfterOwnWork = mainThreadCpu()!;

    const processBefore = processCpu();
    const worker = new Worker(`${SPIN}; require("node:worker_threads").parentPort.postMessage("done");`, { eval: true });
    await new Promise((resolve) => worker.once("message", resolve));
    await worker.terminate();
    const processAfter = processCpu();
    const mainAfterWorker = mainThreadCpu()!;

    expect(mainAfterOwnWork - mainBefore).toBeGreaterThanOrEqual(0.3);
    expect(processAfter - processBefore).toBeGreaterThanOrEqual(0.3);
    // The main thread only started the thread and waited: its share is well under the worker's.
    expect(mainAfterWorker - mainAfterOwnWork).toBeLessThan(processAfter - processBefore - 0.2);
  });

  it("counts a child process's CPU once it has ended, and not the process's own work", () => {
    // The reading is process-wide, and under the threads pool another test file shares this process
    // (its children end whenever they end), so the measurement runs in a process of its own: as in
    // the report, which uses one process per file.
    const measure = `
      import { spawnSync } from "node:child_process";
      import { endedChildrenCpu } from ${JSON.stringify(new URL("./support/proc-cpu.ts", import.meta.url).href)};
      const childrenBefore = endedChildrenCpu();
      new Function("require", ${JSON.stringify(SPIN)})((await import("node:module")).createRequire(import.meta.url));
      const childrenAfterOwnWork = endedChildrenCpu();
      const child = spawnSync(process.execPath, ["-e", ${JSON.stringify(SPIN)}]);
      const childrenAfter = endedChildrenCpu();
      process.stdout.write(JSON.stringify({ status: child.status, childrenBefore, childrenAfterOwnWork, childrenAfter }));
    `;
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", measure], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const { status, childrenBefore, childrenAfterOwnWork, childrenAfter } = JSON.parse(run.stdout) as Record<string, number>;

    expect(status).toBe(0);
    expect(childrenAfterOwnWork! - childrenBefore!).toBeLessThan(0.05);
    expect(childrenAfter! - childrenAfterOwnWork!).toBeGreaterThanOrEqual(0.3);
  });
});
