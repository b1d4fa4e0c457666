/**
 * The DynamoDB endpoint alone in a child process, for `bench/dynamo.ts`: its CPU time per request
 * (the process's, so its worker thread's included) is then its own (the SDK clients' work happens
 * in the parent), a figure that other processes' load moves less than a rate.
 *
 * argv: `<kind>` = `paybus` (the endpoint, in memory) | `dynalite` (dynalite's own HTTP server),
 * and optionally the source tree to load the endpoint from (to compare versions). Sends
 * `{ endpoint, table }` once listening, then answers `"cpu"` with `process.cpuUsage()`.
 */
import { createRequire } from "node:module";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [kind = "paybus", root = resolve(fileURLToPath(new URL("..", import.meta.url)))] = process.argv.slice(2);
const loyalty = { partitionKey: { name: "pk", type: "S" }, sortKey: { name: "sk", type: "S" }, envVar: "X" };

let endpoint: string;
let table: string;
if (kind === "dynalite") {
  const dynalite = createRequire(import.meta.url)("dynalite") as (options: object) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  table = "";
} else {
  const { startLocalDynamo } = (await import(pathToFileURL(join(root, "local/dynamodb/index.ts")).href)) as typeof import("../local/dynamodb/index.ts");
  const dynamo = await startLocalDynamo({ ttlSweepIntervalMs: 0 });
  endpoint = dynamo.endpoint;
  table = ((await dynamo.createTables({ loyalty } as never, "bench")) as Record<string, string>).loyalty!;
}
process.on("message", (message) => {
  if (message === "cpu") process.send?.({ cpu: process.cpuUsage() });
});
process.send?.({ endpoint, table });
