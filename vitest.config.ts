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
    // The long files first, so that none starts near the end (test/support/sequencer.ts).
    sequence: { sequencer: CostFirstSequencer },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // PAYBUS_TEST_CPU=<file.tsv>: CPU and wall seconds per test file (test/support/cpu-report.ts).
    setupFiles: process.env.PAYBUS_TEST_CPU ? ["test/support/cpu-report.ts"] : [],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
