/**
 * One reliability scenario in this process (see `runner.ts`): prints its result as one marked JSON
 * line on stdout. Usage: `node --import tsx test/reliability/run-scenario.ts '{"name":"load","sizes":{…}}'`
 */
import { RESULT_MARKER, SCENARIOS, type ScenarioName, type ScenarioSizes } from "./runner.ts";

const { name, sizes } = JSON.parse(process.argv[2] ?? "{}") as { name: ScenarioName; sizes: ScenarioSizes };
const scenario = SCENARIOS[name];
if (!scenario) throw new Error(`no scenario named "${name}" (known: ${Object.keys(SCENARIOS).join(", ")})`);
const result = await scenario(sizes);
process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
// Clients and timers of the stopped runtime may linger; the result is out.
process.exit(0);
