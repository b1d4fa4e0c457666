import { defineConfig } from "vitest/config";
import { CostFirstSequencer } from "./test/support/sequencer.ts";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", ".sst/**"],
    // Two files at a time on the 2-core machines the project targets: much of an end-to-end file's
    // time is spent waiting (SQS's one-second visibility floor, SDK retry backoff, processes it
    // started), which the other file fills. `--maxWorkers=1` runs one at a time.
    maxWorkers: 2,
    // Each file in a worker thread of its own rather than a child process: the same isolation
    // (a fresh module graph per file, ended with the thread) for ~20% less CPU per file, because a
    // thread is cheaper to start and its modules come from vitest over a MessagePort instead of
    // a child's IPC pipe (8 end-to-end files: 42 s of CPU instead of 53 s). The per-file report
    // (PAYBUS_TEST_CPU, below) needs a process per file to attribute CPU to one file: it uses forks.
    pool: process.env.PAYBUS_TEST_CPU ? "forks" : "threads",
    // The long files first, so that none starts near the end (test/support/sequencer.ts).
    sequence: { sequencer: CostFirstSequencer },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // PAYBUS_TEST_CPU=<file.tsv>: CPU and wall seconds per test file (test/support/cpu-report.ts).
    setupFiles: process.env.PAYBUS_TEST_CPU ? ["test/support/cpu-report.ts"] : [],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
