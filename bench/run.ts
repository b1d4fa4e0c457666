/**
 * `npm run bench`: runs every benchmark in `bench/`, prints their figures and writes them all to
 * `bench/results/latest.json` (and a timestamped copy). `npm run bench -- pattern pipeline` runs
 * only the named ones and keeps the other figures in `latest.json`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { arch, cpus, platform } from "node:os";
import { fileURLToPath } from "node:url";

type Bench = () => Promise<Record<string, unknown>>;

// The SDK's notice that its 2027 releases need Node 22 is not a benchmark figure.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const benches: Record<string, () => Promise<{ run: Bench }>> = {
  pattern: () => import("./pattern.ts"),
  "pattern-adversarial": () => import("./pattern-adversarial.ts"),
  dynamo: () => import("./dynamo.ts"),
  notifications: () => import("./notifications.ts"),
  loyalty: () => import("./loyalty.ts"),
  "loyalty-api": () => import("./loyalty-api.ts"),
  pipeline: () => import("./pipeline.ts"),
  functions: () => import("./functions.ts"),
  sqs: () => import("./sqs.ts"),
  bundles: () => import("./bundles.ts"),
  iam: () => import("./iam.ts"),
  "sdk-floor": () => import("./sdk-floor.ts"),
  "fast-config": () => import("./fast-config.ts"),
  warmup: () => import("./warmup.ts"),
};

const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
const unknown = wanted.filter((name) => !(name in benches));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(", ")} (known: ${Object.keys(benches).join(", ")})\n`);
  process.exit(2);
}

const results: Record<string, unknown> = {};
for (const name of wanted.length > 0 ? wanted : Object.keys(benches)) {
  process.stdout.write(`\n=== ${name} ===\n`);
  const { run } = await benches[name]!();
  results[name] = await run();
}

const dir = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(dir, { recursive: true });
// A partial run (`npm run bench -- pipeline`) updates its own figures and keeps the others.
const previous = existsSync(join(dir, "latest.json")) ? (JSON.parse(readFileSync(join(dir, "latest.json"), "utf8")) as { results?: object }) : {};
const report = {
  at: new Date().toISOString(),
  machine: { node: process.version, platform: platform(), arch: arch(), cpus: cpus().length, cpu: cpus()[0]?.model },
  results: { ...previous.results, ...results },
};
const text = `${JSON.stringify(report, null, 2)}\n`;
writeFileSync(join(dir, "latest.json"), text);
writeFileSync(join(dir, `bench-${report.at.replace(/[:.]/g, "-")}.json`), text);
process.stdout.write(`\nwrote ${join(dir, "latest.json")}\n`);
process.exit(0);
