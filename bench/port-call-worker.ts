/**
 * The function side of `bench/port-call.ts`, bundled as the functions are (`local/function-bundles.ts`,
 * so its SDK calls go over the execution environment's message port): sends `calls` requests of one
 * operation through the functions' own clients (`functions/common/clients.ts`), `inFlight` at a
 * time, and reports this thread's CPU for them.
 */
import { readFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { SendEmailCommand } from "@aws-sdk/client-ses";
import { PublishCommand } from "@aws-sdk/client-sns";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { dynamo } from "../functions/common/clients/dynamodb.ts";
import { ses } from "../functions/common/clients/ses.ts";
import { sns } from "../functions/common/clients/sns.ts";

/** This thread's CPU time in nanoseconds (Linux: the first field of its schedstat). */
function threadCpuNs(): number {
  return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);
}

const operations: Record<string, (n: number) => Promise<unknown>> = {
  update: (n) =>
    dynamo().send(
      new UpdateCommand({
        TableName: "bench",
        Key: { pk: `CUSTOMER#${n % 200}`, sk: "BALANCE" },
        UpdateExpression: "ADD points :p SET updatedAt = :t",
        ConditionExpression: "attribute_not_exists(locked)",
        ExpressionAttributeValues: { ":p": n % 97, ":t": new Date().toISOString() },
      }),
    ),
  publish: (n) => sns().send(new PublishCommand({ TargetArn: "arn:aws:sns:us-east-1:000000000000:endpoint/APNS/app/x", Message: JSON.stringify({ aps: { alert: `You earned ${n} points` } }) })),
  email: (n) =>
    ses().send(
      new SendEmailCommand({
        Source: "shop@example.com",
        Destination: { ToAddresses: [`customer${n % 200}@example.com`] },
        Message: { Subject: { Data: "Thanks for your purchase" }, Body: { Html: { Data: `<p>${"Thank you for shopping with us. ".repeat(40)}</p>` }, Text: { Data: "Thank you. ".repeat(80) } } },
      }),
    ),
};

const { operation, calls, inFlight } = workerData as { operation: string; calls: number; inFlight: number };
const send = operations[operation]!;

async function pool(total: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < total) await send(next++);
  }));
}

await pool(Math.min(1000, calls)); // warm-up: JIT, the middleware chains
const started = threadCpuNs();
const wall = performance.now();
await pool(calls);
parentPort!.postMessage({ cpuNs: threadCpuNs() - started, wallMs: performance.now() - wall });
