import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { splitByIsolation } from "./test/support/isolation.ts";
import { CostFirstSequencer } from "./test/support/sequencer.ts";
import { TIMELINE_ENV, TimelineReporter } from "./test/support/timeline-reporter.ts";

// PAYBUS_TEST_CPU=<file.tsv>: CPU and wall seconds per test file (test/support/cpu-report.ts). It
// needs a process per file to attribute CPU to one file: forks, every file isolated.
const costReport = Boolean(process.env.PAYBUS_TEST_CPU);
// PAYBUS_TEST_ISOLATE=all: every file in a module graph of its own, to tell a failure caused by
// sharing one (test/support/isolation.ts) from a real one.
const isolateAll = costReport || process.env.PAYBUS_TEST_ISOLATE === "all";
// PAYBUS_TEST_TIMELINE=<file.tsv>: when each file started and ended (test/support/timeline-reporter.ts).
const timeline = process.env[TIMELINE_ENV];
const { unit, e2e, isolated } = splitByIsolation(fileURLToPath(new URL(".", import.meta.url)));

export default defineConfig({
  test: {
    // Which files run is said per project below (every `*.test.ts` outside node_modules and dot
    // folders such as .sst, in one project or the other).
    // Two files at a time on the 2-core machines the project targets: much of an end-to-end file's
    // time is spent waiting (SQS's one-second visibility floor, SDK retry backoff, processes it
    // started), which the other file fills. `--maxWorkers=1` runs one at a time.
    maxWorkers: 2,
    // Each file in a worker thread rather than a child process: the same isolation (a fresh module
    // graph per file, ended with the thread) for ~20% less CPU per file, because a thread is cheaper
    // to start and its modules come from vitest over a MessagePort instead of a child's IPC pipe
    // (8 end-to-end files: 42 s of CPU instead of 53 s).
    pool: costReport ? "forks" : "threads",
    // The long files first, so that none starts near the end (test/support/sequencer.ts), and the
    // files sharing a module graph together at the end, so that each worker loads it once.
    sequence: { sequencer: CostFirstSequencer },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    setupFiles: costReport ? ["test/support/cpu-report.ts"] : [],
    reporters: timeline ? ["default", new TimelineReporter(timeline)] : ["default"],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    // Loading a file's imports (the AWS SDK, zod, the engines, the runtime) often costs more CPU
    // than its tests: files that leave no state behind run one after another on one module graph
    // per worker (`isolate: false`): unit files together, and the files that start the runtime or
    // other processes together (aws-ses-v2-local's per-process email store emptied before each,
    // test/support/runtime-file.ts). The others keep a fresh graph each. test/support/isolation.ts
    // says which file goes where, and why.
    // (Each project names its files: with `extends`, a root `include` would be added to each.)
    projects: isolateAll
      ? [{ extends: true, test: { name: "isolated", include: [...unit, ...e2e, ...isolated] } }]
      : [
          { extends: true, test: { name: "unit", include: unit, isolate: false } },
          { extends: true, test: { name: "e2e", include: e2e, isolate: false, setupFiles: ["test/support/runtime-file.ts"] } },
          { extends: true, test: { name: "isolated", include: isolated } },
        ],
  },
});
