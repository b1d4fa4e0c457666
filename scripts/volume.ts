/**
 * `npm run test:volume`: the volume and contention tests at the sizes they were written with (1,000
 * concurrent accruals on one balance, …), which `npm test` runs smaller (test/support/volume.ts).
 * Extra arguments go to vitest. Exits with vitest's code.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { VOLUME_TEST_FILES } from "../test/support/volume.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const vitest = fileURLToPath(new URL("../node_modules/vitest/vitest.mjs", import.meta.url));
const run = spawnSync(process.execPath, [vitest, "run", ...VOLUME_TEST_FILES, "--maxWorkers=1", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, PAYBUS_TEST_VOLUME: "full" },
});
process.exit(run.status ?? 1);
