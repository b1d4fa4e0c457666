/**
 * The AWS SDK's own cost per call on this machine: real v3 clients (the ones the functions use)
 * against a server in a child process that answers at once, so the CPU this process spends is the
 * clients' alone — middleware, SigV4 signing, serialisation, node's HTTP client. Every AWS call a
 * consumer makes costs at least this much in the local runtime (and in Lambda), whatever the
 * engines behind the endpoint do, so calls per event × this figure is a floor for the pipeline's
 * CPU per event.
 *
 *   npx tsx bench/sdk-floor.ts [--calls 3000]
 */
import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const credentials = { accessKeyId: "AKIDBENCH", secretAccessKey: "bench-secret" };

/** A server answering every request at once: `{}` to the JSON protocol, a Publish result to the query protocol. */
function serverSource(): string {
  return `
    const http = require("node:http");
    const publish = '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>';
    const server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const json = req.headers["x-amz-target"] !== undefined;
        const body = json ? "{}" : publish;
        res.writeHead(200, { "content-type": json ? "application/x-amz-json-1.0" : "text/xml", "content-length": Buffer.byteLength(body) });
        res.end(body);
      });
    });
    server.keepAliveTimeout = 60000;
    server.listen(0, "127.0.0.1", () => process.send("http://127.0.0.1:" + server.address().port));
  `;
}

async function measure(calls: number, inFlight: number, send: () => Promise<unknown>): Promise<{ cpuMicrosPerCall: number; callsPerSecond: number }> {
  const pool = async (total: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next++ < total) await send();
    }));
  };
  await pool(Math.min(500, calls)); // warm-up: JIT, sockets
  const cpu = process.cpuUsage();
  const started = performance.now();
  await pool(calls);
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  return { cpuMicrosPerCall: Math.round((used.user + used.system) / calls), callsPerSecond: Math.round(calls / seconds) };
}

/** Runs the measurement; returns the figures for `bench/results`. */
export async function run(options: { calls?: number } = {}): Promise<Record<string, unknown>> {
  const calls = options.calls ?? 3000;
  const child = spawn(process.execPath, ["-e", serverSource()], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const endpoint = await new Promise<string>((resolve) => child.once("message", (m) => resolve(String(m))));
  const dynamodb = new DynamoDBClient({ endpoint, region: "us-east-1", credentials });
  const sns = new SNSClient({ endpoint, region: "us-east-1", credentials });
  const update = () =>
    dynamodb.send(new UpdateItemCommand({ TableName: "t", Key: { pk: { S: "a" }, sk: { S: "b" } }, UpdateExpression: "ADD n :one", ExpressionAttributeValues: { ":one": { N: "1" } } }));
  const publish = () => sns.send(new PublishCommand({ TargetArn: "arn:aws:sns:us-east-1:000000000000:endpoint/APNS/app/e", Message: "{\"default\":\"hi\"}", MessageStructure: "json" }));
  const results: Record<string, unknown> = {};
  try {
    for (const [name, send] of [["dynamodb.UpdateItem", update], ["sns.Publish", publish]] as const) {
      for (const inFlight of [1, 32]) {
        const figures = await measure(calls, inFlight, send);
        results[`${name} ${inFlight} in flight`] = figures;
        process.stdout.write(`${name}, ${inFlight} in flight: ${figures.cpuMicrosPerCall} µs of client CPU per call (${figures.callsPerSecond} calls/s)\n`);
      }
    }
  } finally {
    dynamodb.destroy();
    sns.destroy();
    child.kill();
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { calls: { type: "string" } } });
  await run({ calls: values.calls ? Number(values.calls) : undefined });
}
