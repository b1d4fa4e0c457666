/**
 * The AWS SDK's own cost per call on this machine: real v3 clients (the ones the functions use)
 * against a server in a child process that answers at once, so the CPU this process spends is the
 * clients' alone — middleware, SigV4 signing, serialisation, node's HTTP client. Every AWS call a
 * consumer makes costs at least this much in the local runtime (and in Lambda), whatever the
 * engines behind the endpoint do, so calls per event × this figure is a floor for the pipeline's
 * CPU per event.
 *
 * Each operation is measured with the SDK's default client (the reference), with the SDK's
 * `cacheMiddleware` option, and as `functions/common/clients.ts` builds its clients.
 *
 *   npx tsx bench/sdk-floor.ts [--calls 2000] [--rounds 3]
 */
import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { prepared } from "../functions/common/clients.ts";
import { CachedDocumentClient } from "../functions/common/document-client.ts";

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

/** How a row's client is built: the SDK's defaults (the reference), or as `functions/common/clients.ts` builds them. */
type Setup = "defaults" | "cacheMiddleware" | "functions";

const SETUPS: Record<Setup, string> = {
  defaults: "SDK defaults",
  cacheMiddleware: "cacheMiddleware",
  // functions/common/clients.ts: the chain built once per command class, no logger middleware.
  functions: "functions' clients",
};

/** Runs the measurement; returns the figures for `bench/results`. */
export async function run(options: { calls?: number; rounds?: number } = {}): Promise<Record<string, unknown>> {
  const calls = options.calls ?? 2000;
  const rounds = options.rounds ?? 3;
  const child = spawn(process.execPath, ["-e", serverSource()], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const endpoint = await new Promise<string>((resolve) => child.once("message", (m) => resolve(String(m))));
  const config = { endpoint, region: "us-east-1", credentials };
  const built: { destroy(): void }[] = [];
  const keep = <C extends { destroy(): void }>(client: C): C => (built.push(client), client);
  const dynamodb = (setup: Setup) =>
    keep(setup === "functions" ? prepared(new DynamoDBClient({ ...config, cacheMiddleware: true })) : new DynamoDBClient({ ...config, cacheMiddleware: setup === "cacheMiddleware" }));
  const sns = (setup: Setup) =>
    keep(setup === "functions" ? prepared(new SNSClient({ ...config, cacheMiddleware: true })) : new SNSClient({ ...config, cacheMiddleware: setup === "cacheMiddleware" }));
  // lib-dynamodb refuses cacheMiddleware (its handlers are bound to the first command), so its
  // cached row is the functions' CachedDocumentClient (functions/common/document-client.ts).
  const documents = (setup: Setup) => {
    const base = keep(new DynamoDBClient(config));
    if (setup === "defaults") return DynamoDBDocumentClient.from(base);
    return CachedDocumentClient.over(setup === "functions" ? prepared(base) : base);
  };
  const key = { pk: { S: "a" }, sk: { S: "b" } };
  const operations = {
    "dynamodb.UpdateItem": (setup: Setup) => {
      const client = dynamodb(setup);
      return () => client.send(new UpdateItemCommand({ TableName: "t", Key: key, UpdateExpression: "ADD n :one", ExpressionAttributeValues: { ":one": { N: "1" } } }));
    },
    "lib-dynamodb UpdateCommand": (setup: Setup) => {
      const client = documents(setup);
      return () => client.send(new UpdateCommand({ TableName: "t", Key: { pk: "a", sk: "b" }, UpdateExpression: "ADD n :one", ExpressionAttributeValues: { ":one": 1 } }));
    },
    "sns.Publish": (setup: Setup) => {
      const client = sns(setup);
      return () => client.send(new PublishCommand({ TargetArn: "arn:aws:sns:us-east-1:000000000000:endpoint/APNS/app/e", Message: "{\"default\":\"hi\"}", MessageStructure: "json" }));
    },
  } as const;
  // Every row of every round is measured once per round, rows interleaved, so that a change of the
  // machine's load moves all rows alike; the median of the rounds is reported.
  const rows: { name: string; inFlight: number; send: () => Promise<unknown> }[] = [];
  for (const [operation, make] of Object.entries(operations)) {
    for (const setup of Object.keys(SETUPS) as Setup[]) {
      if (operation === "lib-dynamodb UpdateCommand" && setup === "cacheMiddleware") continue; // refused by lib-dynamodb
      const send = make(setup);
      const label = operation === "lib-dynamodb UpdateCommand" && setup !== "defaults" ? `${SETUPS[setup]}: CachedDocumentClient` : SETUPS[setup];
      for (const inFlight of [1, 32]) rows.push({ name: `${operation} (${label}), ${inFlight} in flight`, inFlight, send });
    }
  }
  const samples = new Map<string, { cpuMicrosPerCall: number; callsPerSecond: number }[]>();
  const results: Record<string, unknown> = { loadAverage: Number(loadavg()[0]!.toFixed(1)), rounds, calls };
  try {
    for (let round = 0; round < rounds; round++) {
      for (const row of rows) {
        const figures = await measure(calls, row.inFlight, row.send);
        samples.set(row.name, [...(samples.get(row.name) ?? []), figures]);
      }
    }
    for (const row of rows) {
      const measured = samples.get(row.name)!;
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      const figures = { cpuMicrosPerCall: median(measured.map((m) => m.cpuMicrosPerCall)), callsPerSecond: median(measured.map((m) => m.callsPerSecond)) };
      results[row.name] = { ...figures, cpuMicrosPerCallByRound: measured.map((m) => m.cpuMicrosPerCall) };
      process.stdout.write(`${row.name}: ${figures.cpuMicrosPerCall} µs of client CPU per call (${figures.callsPerSecond} calls/s; rounds ${measured.map((m) => m.cpuMicrosPerCall).join(", ")})\n`);
    }
    process.stdout.write(`load average ${loadavg()[0]!.toFixed(1)} (${results.loadAverage} at the start)\n`);
  } finally {
    for (const client of built) client.destroy();
    child.kill();
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { calls: { type: "string" }, rounds: { type: "string" } } });
  await run({ ...(values.calls ? { calls: Number(values.calls) } : {}), ...(values.rounds ? { rounds: Number(values.rounds) } : {}) });
}
