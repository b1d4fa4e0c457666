/**
 * `npm test`: vitest, on Node 20 under `--single-threaded-gc`.
 *
 * The suite starts ~250 V8 isolates (function environments, engines, vitest's workers) on the two
 * cores the project targets. On Node 20, V8's parallel GC helpers in each cost more CPU than they
 * save there: ~7% less CPU for the whole suite without them (two alternated pairs with the other
 * core busy). On Node 22 the same flag cost ~4% more (one idle pair, and CI's Node 22 run), so there
 * vitest runs with V8's defaults. docs/performance.md, session 11, has the figures. V8 flags are
 * process-wide (every worker thread gets them) and node refuses them in NODE_OPTIONS, hence this
 * launcher. Arguments go to `vitest run` as given.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const vitest = fileURLToPath(new URL("../node_modules/vitest/vitest.mjs", import.meta.url));
const major = Number(process.versions.node.split(".")[0]);
const flags = major < 22 ? ["--single-threaded-gc"] : [];
const run = spawnSync(process.execPath, [...flags, vitest, "run", ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(run.status ?? 1);
