/**
 * The fuzz suite's longer run: the same seeded properties as `npm test` (test/fuzz/ and the local
 * bus's PutEvents property), with a bigger budget and any seed.
 *
 *   npm run fuzz                       # 50 × the npm-test budget, seed from the clock (printed)
 *   npm run fuzz -- --scale 200        # a longer run
 *   npm run fuzz -- --seed 1733412345  # replay a run (fast-check prints seed and path on failure)
 *
 * Exits non-zero when a property fails; the counterexample and its seed are in the output.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    scale: { type: "string", default: "50" },
    seed: { type: "string" },
  },
});
const scale = Number(values.scale);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
if (!Number.isFinite(scale) || scale <= 0 || !Number.isInteger(seed)) {
  console.error("usage: npm run fuzz -- [--scale <multiple of the npm-test budget>] [--seed <integer>]");
  process.exit(2);
}

console.log(`fuzz: seed ${seed}, ${scale} × the npm-test budget (replay with --seed ${seed} --scale ${scale})`);
const root = fileURLToPath(new URL("../", import.meta.url));
// The PutEvents property of the local bus takes an absolute run count (300 in npm test).
const PUT_EVENTS_PROPERTY = "local/eventbridge/put-events.property.test.ts";
const vitest = fileURLToPath(new URL("../node_modules/vitest/vitest.mjs", import.meta.url));
const run = spawnSync(process.execPath, [vitest, "run", "test/fuzz", PUT_EVENTS_PROPERTY, "--maxWorkers=1"], {
  cwd: root,
  stdio: "inherit",
  env: {
    ...process.env,
    PAYBUS_FUZZ_SEED: String(seed),
    PAYBUS_FUZZ_RUNS_SCALE: String(scale),
    PAYBUS_FUZZ_RUNS: String(Math.round(300 * scale)),
  },
});
process.exit(run.status ?? 1);
