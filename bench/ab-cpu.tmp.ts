import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { inChildProcess } from "./dynamo.ts";
import { clientsFor } from "../local/dynamodb/testing.ts";
const root = process.argv[2];
const r = await inChildProcess("paybus", async (endpoint, table) => {
  const c = clientsFor(endpoint);
  let next = 0; const n = 3300;
  const t = performance.now();
  await Promise.all(Array.from({ length: 32 }, async () => { while (next < n) { const i = next++; await c.documents.send(new UpdateCommand({ TableName: table, Key: { pk: `c#${i % 16}`, sk: "b" }, UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": 1 } })); } }));
  c.client.destroy();
  return Math.round(n / ((performance.now() - t) / 1000));
}, root);
console.log(root ?? "this tree", JSON.stringify(r));
process.exit(0);
