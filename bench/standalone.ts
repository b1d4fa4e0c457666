/** What a benchmark does when run on its own (`npx tsx bench/<name>.ts`) rather than through `bench/run.ts`. */
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * When the module at `moduleUrl` is the script node was started with: runs the benchmark and writes
 * its figures, with the Node version and the time, to `bench/results/<name>.json`. Imported by
 * `bench/run.ts`, the module does nothing here.
 */
export async function runStandalone(moduleUrl: string, name: string, run: () => Promise<object>): Promise<void> {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  const figures = await run();
  const results = fileURLToPath(new URL("./results/", import.meta.url));
  await mkdir(results, { recursive: true });
  await writeFile(`${results}${name}.json`, `${JSON.stringify({ ...figures, node: process.version, at: new Date().toISOString() }, null, 2)}\n`);
}
