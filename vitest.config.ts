import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", ".sst/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // PAYBUS_TEST_CPU=<file.tsv>: CPU and wall seconds per test file (test/support/cpu-report.ts).
    setupFiles: process.env.PAYBUS_TEST_CPU ? ["test/support/cpu-report.ts"] : [],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
