/**
 * CPU per AWS call in a function's execution environment, the engines left out: the functions'
 * own SDK clients, in a worker thread running a bundle built like the functions' local bundles
 * (so over the message port of `local/lambda-transport.ts`), against a gateway stand-in on the
 * main thread that answers every request at once. Prints, per operation, the function thread's
 * CPU per call (SDK middleware, serialisation, SigV4, the port handler) and the main thread's
 * (the transport's side: cloning, the collected answer). Thread CPU comes from
 * `/proc/thread-self/schedstat` (Linux only), so other load on the machine moves it little.
 *
 *   npx tsx bench/port-call.ts [--calls 4000] [--in-flight 10] [--rounds 3] [--operations update,publish,email]
 */
import { MessageChannel, Worker } from "node:worker_threads";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bundleFunctions } from "../local/function-bundles.ts";
import { serveFunctionRequests, type FunctionTransport } from "../local/lambda-transport.ts";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "4000" },
    "in-flight": { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    operations: { type: "string", default: "update,publish,email" },
  },
});
const root = fileURLToPath(new URL("..", import.meta.url));
const ENTRY = "bench/port-call-worker.ts";
const AUTHORITY = "127.0.0.1:4599";

const PUBLISH = '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>';
const SEND_EMAIL = '<SendEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendEmailResult><MessageId>m</MessageId></SendEmailResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></SendEmailResponse>';

/** Answers at once: `{}` to the JSON protocol, a result to the query protocol's Publish and SendEmail. */
const transport: FunctionTransport = {
  authority: AUTHORITY,
  async serve(request, res) {
    const json = request.headers["x-amz-target"] !== undefined;
    const body = json ? "{}" : request.body.toString("utf8").includes("Action=Publish") ? PUBLISH : SEND_EMAIL;
    res.writeHead(200, { "content-type": json ? "application/x-amz-json-1.0" : "text/xml", "x-amzn-requestid": "r" });
    res.end(body);
  },
};

function threadCpuNs(): number {
  return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);
}

const bundles = await bundleFunctions(root, [ENTRY]);
const calls = Number(values.calls);
const endpoint = `http://${AUTHORITY}`;

async function round(operation: string): Promise<{ fn: number; main: number; wallMs: number }> {
  const channel = new MessageChannel();
  const requests = serveFunctionRequests(channel.port1, transport);
  const worker = new Worker(bundles.get(ENTRY)!, {
    workerData: { operation, calls, inFlight: Number(values["in-flight"]), gateway: { port: channel.port2, authority: AUTHORITY } },
    transferList: [channel.port2],
    env: {
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDBENCH",
      AWS_SECRET_ACCESS_KEY: "bench-secret",
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_ENDPOINT_URL_SNS: endpoint,
      AWS_ENDPOINT_URL_SES: endpoint,
    },
    execArgv: [],
  });
  // The main thread's share: its CPU over the worker's whole run, less what it spends idle (nothing else runs here).
  const mainStarted = threadCpuNs();
  const result = await new Promise<{ cpuNs: number; wallMs: number }>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  const mainNs = threadCpuNs() - mainStarted;
  await worker.terminate();
  requests.close();
  // The main thread also served the warm-up calls: count them in.
  const served = calls + Math.min(1000, calls);
  return { fn: result.cpuNs / calls / 1000, main: mainNs / served / 1000, wallMs: result.wallMs };
}

console.log(`port-call: ${calls} calls per round, ${values["in-flight"]} in flight, load average ${loadavg()[0]!.toFixed(1)}`);
for (const operation of values.operations.split(",")) {
  const results = [];
  for (let i = 0; i < Number(values.rounds); i++) results.push(await round(operation));
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `  ${operation.padEnd(8)} function thread ${median(results.map((r) => r.fn)).toFixed(0)} µs/call (${results.map((r) => r.fn.toFixed(0)).join(", ")}), ` +
      `main thread ${median(results.map((r) => r.main)).toFixed(0)} µs/call, load ${loadavg()[0]!.toFixed(1)}`,
  );
}
