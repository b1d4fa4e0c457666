import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { tables } from "../functions/common/tables.ts";
import { startLocalDynamo } from "../local/dynamodb/index.ts";
import { clientsFor } from "../local/dynamodb/testing.ts";
const d = await startLocalDynamo({ ttlSweepIntervalMs: 0 });
const sdk = clientsFor(d.endpoint);
const t = (await d.createTables({ loyalty: tables.loyalty }, "b")).loyalty;
const op = (i: number) => sdk.documents.send(new UpdateCommand({ TableName: t, Key: { pk: `c#${i % 16}`, sk: "b" }, UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": 1 } }));
async function pool(n: number) { let next = 0; await Promise.all(Array.from({ length: 32 }, async () => { while (next < n) await op(next++); })); }
await pool(1000);
const s = performance.now(); await pool(6000); console.log(Math.round(6000 / ((performance.now() - s) / 1000)));
sdk.client.destroy(); await d.close();
