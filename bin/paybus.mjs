#!/usr/bin/env node
// The paybus CLI is TypeScript; tsx compiles it on the fly so no build step is needed.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/paybus.ts");
process.exit(await main(process.argv.slice(2)));
