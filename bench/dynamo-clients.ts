/**
 * SDK clients in a child process, for `bench/dynamo.ts`: sends `UpdateItem` (`ADD`) to an endpoint
 * with a given number in flight, so that the clients' work (the AWS SDK costs more CPU per request
 * than the endpoint) can be spread over processes, and the endpoint measured beyond what one
 * thread of clients can send.
 *
 * argv: `<endpoint> <table> <count> <concurrency> <warm-up> <keys>`. Warms up, sends `"ready"`,
 * waits for `"go"`, then sends `{ ms, cpu }` (elapsed time and its own CPU, µs) once done.
 */
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { performance } from "node:perf_hooks";
import { clientsFor } from "../test/support/dynamodb.ts";

const [endpoint = "", table = "", count = "0", concurrency = "16", warmUp = "0", keys = "16"] = process.argv.slice(2);
const clients = clientsFor(endpoint);
const add = (i: number) =>
  clients.documents.send(
    new UpdateCommand({
      TableName: table,
      Key: { pk: `customer#${i % Number(keys)}`, sk: "balance" },
      UpdateExpression: "ADD points :n",
      ExpressionAttributeValues: { ":n": 1 },
    }),
  );

async function pool(total: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < total) await add(next++);
  };
  await Promise.all(Array.from({ length: Number(concurrency) }, worker));
}

await pool(Number(warmUp));
process.once("message", async () => {
  const started = performance.now();
  const cpu = process.cpuUsage();
  await pool(Number(count));
  const used = process.cpuUsage(cpu);
  process.send?.({ ms: performance.now() - started, cpu: used.user + used.system }, () => {
    clients.client.destroy();
    process.exit(0);
  });
});
process.send?.("ready");
