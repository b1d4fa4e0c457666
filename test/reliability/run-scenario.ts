/**
 * Reliability scenarios in this process, one after another, on runtimes shared where they can be
 * (see `runner.ts`): prints each result as one marked JSON line on stdout as it comes.
 * Usage: `node --import tsx test/reliability/run-scenario.ts '{"names":["load"],"sizes":{…}}'`
 */
import { RESULT_MARKER, SCENARIOS, type ScenarioName, type ScenarioSizes } from "./runner.ts";
import { withSharedRuntimes } from "./scenarios.ts";

const { names, sizes } = JSON.parse(process.argv[2] ?? "{}") as { names: ScenarioName[]; sizes: ScenarioSizes };
const unknown = names.filter((name) => !SCENARIOS[name]);
if (unknown.length > 0) throw new Error(`no scenario named ${unknown.map((name) => `"${name}"`).join(", ")} (known: ${Object.keys(SCENARIOS).join(", ")})`);
await withSharedRuntimes(async () => {
  for (const name of names) {
    const result = await SCENARIOS[name](sizes);
    process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
  }
});
// Clients and timers of the stopped runtimes may linger; the results are out.
process.exit(0);
