/**
 * What a client's configuration in V8's fast mode saves per call (`withFastProperties`,
 * functions/common/clients.ts): the same clients built as the functions build them, one with its
 * configuration left as the SDK assembles it (a dictionary) and one made fast, side by side in this
 * process, with a request handler that answers at once (no socket, no server: the client's own CPU
 * only). Rounds alternate between the two so that other load on the machine moves both alike.
 *
 *   npx tsx bench/fast-config.ts [--calls 3000] [--rounds 6]   (or `npm run bench -- fast-config`)
 */
import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { HttpResponse } from "@smithy/core/protocols";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cached, withFastProperties, withoutSdkLogger } from "../functions/common/clients.ts";

const PUBLISH = '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>';

/** A request handler that answers every request at once with `body`. */
const answering = (body: string, contentType: string) => ({
  handle: async () => ({ response: new HttpResponse({ statusCode: 200, headers: { "x-amzn-requestid": "r", "content-type": contentType }, body: Buffer.from(body) }) }),
  updateHttpClientConfig() {},
  httpHandlerConfigs: () => ({}),
});

const options = { region: "us-east-1", credentials: { accessKeyId: "AKIDBENCH", secretAccessKey: "bench-secret" }, endpoint: "http://127.0.0.1:4599", ...cached() };
const build = <C extends { middlewareStack: { remove(name: string): boolean }; config: object }>(client: C, fast: boolean): C => {
  withoutSdkLogger(client);
  if (fast) withFastProperties(client.config);
  return client;
};

const operations = {
  "dynamodb.UpdateItem": (fast: boolean) => {
    const client = build(new DynamoDBClient({ ...options, requestHandler: answering("{}", "application/x-amz-json-1.0") }), fast);
    const input = { TableName: "t", Key: { pk: { S: "a" } }, UpdateExpression: "ADD n :one", ExpressionAttributeValues: { ":one": { N: "1" } } };
    return () => client.send(new UpdateItemCommand(input));
  },
  "sns.Publish": (fast: boolean) => {
    const client = build(new SNSClient({ ...options, requestHandler: answering(PUBLISH, "text/xml") }), fast);
    return () => client.send(new PublishCommand({ TargetArn: "arn:aws:sns:us-east-1:000000000000:endpoint/APNS/app/x", Message: "hello" }));
  },
};

/** CPU per call (µs, median of the rounds after the first) with the configuration as assembled and made fast. */
export async function run(options: { calls?: number; rounds?: number } = {}): Promise<Record<string, unknown>> {
  const calls = options.calls ?? 3000;
  const rounds = options.rounds ?? 6;
  const results: Record<string, unknown> = {};
  for (const [name, make] of Object.entries(operations)) {
    const sides = { dictionary: make(false), fast: make(true) };
    const perCall: Record<keyof typeof sides, number[]> = { dictionary: [], fast: [] };
    for (let round = 0; round < rounds; round++) {
      for (const side of ["dictionary", "fast"] as const) {
        const call = sides[side];
        const start = process.cpuUsage();
        // Ten in flight, as a batch's records send side by side.
        for (let done = 0; done < calls; done += 10) await Promise.all(Array.from({ length: 10 }, call));
        const used = process.cpuUsage(start);
        perCall[side].push((used.user + used.system) / calls);
      }
    }
    // The first round warms both up (JIT); the median of the rest is the figure.
    const median = (values: number[]) => values.slice(1).sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
    const text = (side: keyof typeof sides) => `${median(perCall[side]).toFixed(0)} µs (${perCall[side].map((v) => v.toFixed(0)).join(", ")})`;
    results[name] = { dictionaryMicros: Math.round(median(perCall.dictionary)), fastMicros: Math.round(median(perCall.fast)) };
    process.stdout.write(`${name}: configuration as assembled ${text("dictionary")}, made fast ${text("fast")} of CPU per call\n`);
  }
  const load = loadavg()[0]!;
  process.stdout.write(`load average ${load.toFixed(1)}\n`);
  return { calls, rounds, loadAverage: Number(load.toFixed(1)), perCall: results };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { calls: { type: "string", default: "3000" }, rounds: { type: "string", default: "6" } } });
  await run({ calls: Number(values.calls), rounds: Number(values.rounds) });
}
