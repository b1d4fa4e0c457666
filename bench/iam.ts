/**
 * What local IAM costs the gateway per AWS request: {@link LocalIam.authorize} (identify the caller,
 * map the request, evaluate the plan's statements, record the decision) in CPU microseconds, for
 * the shipped policies of the local stage. Run with `npx tsx bench/iam.ts`, or import {@link run}.
 *
 * A decision is cached per caller, action, resource and context keys, so a repeated request costs
 * the mapping and the record only; `functionUpdateItemFirstSeen` measures requests whose partition
 * key was never seen (a new customer): the full evaluation.
 */
import { pathToFileURL } from "node:url";
import { tables } from "../functions/common/tables.ts";
import { ADMIN_CREDENTIALS, functionCredentials } from "../local/function-credentials.ts";
import { LocalIam } from "../local/iam/enforcer.ts";
import { localPrincipals, localRequestContext, type LocalIamSubject } from "../local/iam/local.ts";

const ROUND_MS = 200;
const ROUNDS = 7;
const WARM_UP_MS = 300;

const subject: LocalIamSubject = {
  prefix: "paybus",
  region: "us-east-1",
  accountId: "000000000000",
  busName: "paybus-bus",
  functions: new Map([["paybus-loyalty", { name: "paybus-loyalty", handler: "functions/loyalty/handler.handler" }]]),
  tableNames: Object.fromEntries(Object.keys(tables).map((name) => [name, `paybus-${name}`])),
  partitionKeys: Object.fromEntries(Object.entries(tables).map(([name, table]) => [name, table.partitionKey.name])),
  pushApplications: { GCM: "arn:aws:sns:us-east-1:000000000000:app/GCM/paybus-app" },
  sesIdentities: ["example.com"],
  taskTokenStateMachine: () => undefined,
};

function request(accessKeyId: string, target: string, body: object) {
  return {
    service: "dynamodb" as const,
    protocol: "json" as const,
    target,
    method: "POST",
    url: new URL("http://127.0.0.1:4010/"),
    body: Buffer.from(JSON.stringify(body)),
    authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261205/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`,
  };
}

/** CPU microseconds per call of `fn`, best and median of several rounds. */
function measure(fn: () => void): { bestUs: number; medianUs: number } {
  const warmUpEnd = Date.now() + WARM_UP_MS;
  while (Date.now() < warmUpEnd) fn();
  const perCall: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.cpuUsage();
    const wallEnd = Date.now() + ROUND_MS;
    let calls = 0;
    while (Date.now() < wallEnd) {
      for (let i = 0; i < 100; i++) fn();
      calls += 100;
    }
    const used = process.cpuUsage(start);
    perCall.push((used.user + used.system) / calls);
  }
  perCall.sort((a, b) => a - b);
  return { bestUs: round2(perCall[0]!), medianUs: round2(perCall[Math.floor(perCall.length / 2)]!) };
}
const round2 = (n: number) => Math.round(n * 100) / 100;

export async function run(): Promise<Record<string, unknown>> {
  const iam = new LocalIam();
  iam.configure(localPrincipals(subject), localRequestContext(subject));
  const key = functionCredentials("paybus-loyalty").accessKeyId;
  const update = request(key, "DynamoDB_20120810.UpdateItem", { TableName: "paybus-loyalty", Key: { pk: { S: "CUSTOMER#cus_1" }, sk: { S: "BALANCE" } }, UpdateExpression: "ADD p :p", ExpressionAttributeValues: { ":p": { N: "1" } } });
  const transaction = request(key, "DynamoDB_20120810.TransactWriteItems", {
    TransactItems: [
      { Put: { TableName: "paybus-loyalty", Item: { pk: { S: "PURCHASE#pi_1" }, sk: { S: "X" } } } },
      { Update: { TableName: "paybus-loyalty", Key: { pk: { S: "CUSTOMER#cus_1" }, sk: { S: "BALANCE" } } } },
    ],
  });
  const denied = request(key, "DynamoDB_20120810.GetItem", { TableName: "paybus-profiles", Key: { pk: { S: "cus_1" } } });
  const admin = request(ADMIN_CREDENTIALS.accessKeyId, "DynamoDB_20120810.UpdateItem", JSON.parse(update.body.toString()));
  if (iam.authorize(update) !== undefined || iam.authorize(denied) === undefined) throw new Error("bench policies are not the shipped ones");
  // More distinct keys than the decision cache holds (50,000): every request is a miss.
  const fresh = Array.from({ length: 60_000 }, (_, i) =>
    request(key, "DynamoDB_20120810.UpdateItem", { TableName: "paybus-loyalty", Key: { pk: { S: `CUSTOMER#cus_${i}` }, sk: { S: "BALANCE" } }, UpdateExpression: "ADD p :p", ExpressionAttributeValues: { ":p": { N: "1" } } }),
  );
  let next = 0;
  const results = {
    functionUpdateItem: measure(() => iam.authorize(update)),
    functionUpdateItemFirstSeen: measure(() => iam.authorize(fresh[next++ % fresh.length]!)),
    functionTransactWrite2Items: measure(() => iam.authorize(transaction)),
    functionDenied: measure(() => iam.authorize(denied)),
    admin: measure(() => iam.authorize(admin)),
  };
  for (const [name, figures] of Object.entries(results)) process.stdout.write(`${name.padEnd(30)} best ${figures.bestUs} µs, median ${figures.medianUs} µs CPU per request\n`);
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await run();
