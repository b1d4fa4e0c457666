/**
 * One endpoint for every client, and no request that can hang or crash the runtime.
 *
 * - The `export` lines `paybus dev` prints are the whole configuration: with only them in the
 *   environment, AWS SDK v3, boto3 and the AWS CLI reach every service on the gateway port; clients
 *   too old for `AWS_ENDPOINT_URL` reach them with that one URL as `--endpoint-url` / `endpoint_url`.
 * - A table of unsupported and malformed requests per service, sent with real SDK clients through
 *   the gateway: each gets an AWS-shaped error the SDK names, and the runtime keeps serving.
 * - A failing route, an engine that never answers and an engine that is gone fail their request only.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import { CreateBackupCommand, DescribeContributorInsightsCommand, DynamoDBClient, GetItemCommand, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { DescribeApiDestinationCommand, EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetSendQuotaCommand, ListIdentitiesCommand, SESClient } from "@aws-sdk/client-ses";
import { ListActivitiesCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { ListTopicsCommand, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { AddPermissionCommand, ListQueuesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../fixtures/index.ts";
import { listen } from "../local/aws-json.ts";
import { exportLines, startDev, type Dev } from "../cli/dev.ts";
import { Gateway, relayAnswer } from "../local/gateway.ts";
import { envelopeToEntry, PROJECT_ROOT } from "../local/runtime.ts";
import { dynamodbService, snsService, sqsService } from "../local/services/index.ts";
import { adminClientConfig } from "../local/admin-client.ts";
import { openAwsCli, pythonScriptInterpreter } from "./support/aws-cli.ts";

const run = promisify(execFile);

/** What `command args` prints, or undefined when it cannot run (each start of Python costs ~0.5 s of CPU: one per client). */
function output(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { stdio: ["ignore", "pipe", "ignore"] }).toString();
  } catch {
    return undefined;
  }
}
// The interpreter `python3` resolves to, run directly afterwards: a version manager's shim (pyenv's
// here) costs ~0.4 s of CPU per start on top of Python's own.
const [botocoreVersion, python3] = output("python3", ["-c", "import sys, boto3, botocore; print(botocore.__version__); print(sys.executable)"])?.trim().split("\n") ?? [];
/**
 * The CLI's own Python script `aws` runs: the one on PATH when it is a script, else (a version
 * manager's shim, pyenv's here) the `aws` beside the interpreter `python3` resolves to, which is the
 * one the shim runs. Its commands then run in one interpreter (test/support/aws-cli.ts): each start
 * of the CLI costs ~0.7 s of CPU (imports and the shim), and this file ran four.
 */
const awsScript = (() => {
  const onPath = (process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "aws")).find((file) => existsSync(file));
  if (onPath && pythonScriptInterpreter(onPath)) return onPath;
  const besidePython = python3 && join(dirname(python3), "aws");
  return besidePython && pythonScriptInterpreter(besidePython) ? besidePython : undefined;
})();
const awsCli = openAwsCli(awsScript ?? "aws", process.env);
const awsCliVersion = await awsCli.run(["--version"]).then(
  (result) => (result.code === 0 ? result.stdout + result.stderr : undefined),
  () => undefined,
);
/** Runs `aws <args>` with exactly `env`, and resolves with its stdout (rejects on a non-zero exit). */
const aws = (args: string[], env: Record<string, string>) => awsCli.check(args, env);
const hasBoto3 = botocoreVersion !== undefined;
const hasAwsCli = awsCliVersion !== undefined;

const atLeast = (version: string, minimum: number[]) => {
  const parts = version.split(".").map(Number);
  for (let i = 0; i < minimum.length; i++) if ((parts[i] ?? 0) !== minimum[i]) return (parts[i] ?? 0) > minimum[i]!;
  return true;
};
/** botocore reads AWS_ENDPOINT_URL from 1.31 on; older ones (Debian 12's 1.29) need endpoint_url. */
const botocoreReadsEndpointUrl = botocoreVersion !== undefined && atLeast(botocoreVersion, [1, 31]);
/** The AWS CLI reads it from 2.13 (v2) or 1.29 (v1, on botocore 1.31); Debian 12 ships 2.9. */
const cliReadsEndpointUrl = (() => {
  if (awsCliVersion === undefined) return false;
  const version = /aws-cli\/(\S+)/.exec(awsCliVersion)?.[1] ?? "0";
  return version.startsWith("1.") ? atLeast(version, [1, 29]) : atLeast(version, [2, 13]);
})();
if (!hasBoto3) console.warn("SKIPPED: the boto3 checks need python3 with boto3 (apt-get install -y python3-boto3).");
if (!hasAwsCli) console.warn("SKIPPED: the AWS CLI checks need `aws` (apt-get install -y awscli).");

/** The environment the banner's `export` lines set, and nothing else of ours. */
function bannerEnvironment(lines: string[]): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: mkdtempSync(join(tmpdir(), "paybus-home-")) };
  for (const line of lines) {
    for (const pair of line.replace(/^\s*export\s+/, "").split(/\s+/)) {
      const [key, value] = pair.split("=");
      if (key && value !== undefined) env[key] = value;
    }
  }
  return env;
}

/** One call per service, from an SDK v3 client configured by the environment alone. */
const SDK_SCRIPT = `
import { EventBridgeClient, ListRulesCommand } from "@aws-sdk/client-eventbridge";
import { SQSClient, ListQueuesCommand } from "@aws-sdk/client-sqs";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { SFNClient, ListStateMachinesCommand } from "@aws-sdk/client-sfn";
import { SESClient, SendEmailCommand } from "@aws-sdk/client-ses";
import { SNSClient, CreatePlatformApplicationCommand } from "@aws-sdk/client-sns";
const out = {
  events: (await new EventBridgeClient({}).send(new ListRulesCommand({}))).Rules.map((r) => r.Name),
  sqs: (await new SQSClient({}).send(new ListQueuesCommand({}))).QueueUrls,
  dynamodb: (await new DynamoDBClient({}).send(new ListTablesCommand({}))).TableNames,
  states: (await new SFNClient({}).send(new ListStateMachinesCommand({}))).stateMachines.map((m) => m.name),
  ses: (await new SESClient({}).send(new SendEmailCommand({ Source: "sdk@example.com", Destination: { ToAddresses: ["to@example.com"] }, Message: { Subject: { Data: "from SDK v3" }, Body: { Text: { Data: "hi" } } } }))).MessageId,
  sns: (await new SNSClient({}).send(new CreatePlatformApplicationCommand({ Name: "sdk", Platform: "GCM", Attributes: { PlatformCredential: "local-server-key" } }))).PlatformApplicationArn,
};
process.stdout.write(JSON.stringify(out));
`;

/** The same calls from boto3; \`endpoint_url\` only when given (clients older than AWS_ENDPOINT_URL). */
const BOTO3_SCRIPT = `
import boto3, json, sys
kw = {"endpoint_url": sys.argv[1]} if len(sys.argv) > 1 else {}
c = lambda name: boto3.client(name, **kw)
out = {
  "events": [r["Name"] for r in c("events").list_rules()["Rules"]],
  "sqs": c("sqs").list_queues()["QueueUrls"],
  "dynamodb": c("dynamodb").list_tables()["TableNames"],
  "states": [m["name"] for m in c("stepfunctions").list_state_machines()["stateMachines"]],
  "ses": c("ses").send_email(Source="boto3@example.com", Destination={"ToAddresses": ["to@example.com"]}, Message={"Subject": {"Data": "from boto3"}, "Body": {"Text": {"Data": "hi"}}})["MessageId"],
  "sns": c("sns").create_platform_application(Name="boto3", Platform="GCM", Attributes={"PlatformCredential": "local-server-key"})["PlatformApplicationArn"],
}
print(json.dumps(out))
`;

// One `paybus dev` for the two suites that need one (their cases are independent): a start is a
// runtime, its engines on disk and the dashboard.
let dev: Dev;
let devDataDir: string;
/** What `paybus dev` printed (the banner). */
const printed: string[] = [];

beforeAll(async () => {
  devDataDir = mkdtempSync(join(tmpdir(), "paybus-gateway-"));
  dev = await startDev({ port: 0, dataDir: devDataDir, timeScale: 0.01, quiet: true, out: new Writable({ write: (c, _e, done) => (printed.push(String(c)), done()) }) });
});

afterAll(async () => {
  await awsCli.close();
  await dev?.stop();
  if (devDataDir) rmSync(devDataDir, { recursive: true, force: true });
});

describe("one endpoint for every client", () => {
  let env: Record<string, string>;
  let gateway: string;

  beforeAll(() => {
    gateway = dev.runtime.gatewayUrl;
    // The export lines exactly as the banner printed them.
    const exports = printed.join("").split("\n").filter((line) => /^\s*export /.test(line));
    expect(exports).toEqual(exportLines(dev.runtime).map((line) => `  ${line}`));
    env = bannerEnvironment(exports);
  });

  const expectEveryService = (out: Record<string, any>, sender: string) => {
    expect(out.events).toContain("LoyaltyAccrual");
    expect(out.sqs.some((url: string) => url.endsWith("/paybus-loyalty"))).toBe(true);
    expect(out.dynamodb).toEqual(expect.arrayContaining(["paybus-loyalty", "paybus-profiles"]));
    expect(out.states).toContain("paybus-engagement");
    expect(typeof out.ses).toBe("string");
    expect(out.sns).toMatch(/^arn:aws:sns:us-east-1:\d{12}:app\/GCM\/\w+$/);
    expect(dev.runtime.journal.list("effect.email").some((email) => email.subject === `from ${sender}`)).toBe(true);
  };

  it("prints a complete environment: one endpoint URL, the region for every client family, fake credentials", () => {
    expect(env).toMatchObject({
      AWS_ENDPOINT_URL: gateway,
      AWS_REGION: "us-east-1",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    });
    expect(Object.keys(env).filter((key) => key.startsWith("AWS_ENDPOINT_URL_"))).toEqual([]);
  });

  it("configures AWS SDK v3 clients for every service with those variables alone", async () => {
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", SDK_SCRIPT], { cwd: PROJECT_ROOT, env });
    expectEveryService(JSON.parse(stdout), "SDK v3");
  }, 60_000);

  it.skipIf(!hasBoto3)("configures boto3 with those variables alone (boto3 >= 1.28), and with the one URL as endpoint_url", async () => {
    if (botocoreReadsEndpointUrl) {
      const fromEnv = await run(python3!, ["-c", BOTO3_SCRIPT], { env });
      expectEveryService(JSON.parse(fromEnv.stdout), "boto3");
    }
    const { AWS_ENDPOINT_URL: _url, ...old } = env;
    const explicit = await run(python3!, ["-c", BOTO3_SCRIPT, gateway], { env: old });
    expectEveryService(JSON.parse(explicit.stdout), "boto3");
  }, 60_000);

  it.skipIf(!hasAwsCli)("configures the AWS CLI with those variables alone (CLI >= 2.13), and with --endpoint-url", async () => {
    const { AWS_ENDPOINT_URL: _url, ...old } = env;
    const rules = JSON.parse(await aws(["events", "list-rules", "--output", "json", ...(cliReadsEndpointUrl ? [] : ["--endpoint-url", gateway])], cliReadsEndpointUrl ? env : old)) as { Rules: Array<{ Name: string }> };
    const tables = JSON.parse(await aws(["dynamodb", "list-tables", "--output", "json", "--endpoint-url", gateway], old)) as { TableNames: string[] };
    const machines = JSON.parse(await aws(["stepfunctions", "list-state-machines", "--output", "json", "--endpoint-url", gateway], old));

    expect(rules.Rules.map((r) => r.Name)).toContain("LoyaltyAccrual");
    expect(tables.TableNames).toContain("paybus-loyalty");
    expect(machines.stateMachines[0].name).toBe("paybus-engagement");
  }, 60_000);

  it.skipIf(!hasAwsCli)("replays the archive with the deploy guide's own `aws events start-replay` command", async () => {
    const { AWS_ENDPOINT_URL: _url, ...old } = env;
    const cli = (args: string[]) => aws([...args, "--output", "json", "--endpoint-url", gateway], old);
    const guide = readFileSync(join(PROJECT_ROOT, "docs/deploy.md"), "utf8");
    const written = /`aws (events start-replay [^`]+)`/.exec(guide)?.[1];
    expect(written).toBeDefined();
    const archive = (JSON.parse(await cli(["events", "list-archives"])) as { Archives: Array<{ ArchiveName: string }> }).Archives[0]!;
    const { ArchiveArn, EventSourceArn } = JSON.parse(await cli(["events", "describe-archive", "--archive-name", archive.ArchiveName])) as { ArchiveArn: string; EventSourceArn: string };

    // The guide's placeholders filled in; its options and their spelling as written.
    const times = ["2020-01-01T00:00:00Z", "2100-01-01T00:00:00Z"];
    const args = written!
      .replace("<archive ARN>", ArchiveArn)
      .replace("<bus ARN>", EventSourceArn)
      .split(/\s+/)
      .map((word) => (word === "…" ? times.shift()! : word));
    const started = JSON.parse(await cli(args)) as { ReplayArn: string; State: string };
    const replayName = args[args.indexOf("--replay-name") + 1]!;
    const described = JSON.parse(await cli(["events", "describe-replay", "--replay-name", replayName])) as { State: string; EventSourceArn: string };

    expect(started).toMatchObject({ ReplayArn: expect.stringMatching(new RegExp(`:replay/${replayName}$`)), State: "STARTING" });
    expect(described).toMatchObject({ State: "COMPLETED", EventSourceArn: ArchiveArn });
  }, 60_000);
});

type Client = { send(command: unknown): Promise<unknown> };
interface Row {
  readonly service: string;
  readonly what: string;
  readonly client: (config: object) => Client;
  readonly command: () => unknown;
  /** The exception name the SDK gives, as AWS (or the emulator's documented equivalent) answers. */
  readonly error: string;
  readonly status: number;
  /** What the message says, where it tells the user something AWS would not need to. */
  readonly message?: RegExp;
}

describe("unsupported and malformed requests, per service, through the gateway", () => {
  let config: object;

  beforeAll(async () => {
    // No retries: each row's first answer is the one under test.
    config = { ...adminClientConfig(dev.runtime.gatewayUrl, "us-east-1"), maxAttempts: 1 };
    // What the suite above sent is handled before a row counts the events the bus accepted.
    await dev.runtime.waitForQuiet(60_000);
  });

  const queueUrl = () => dev.runtime.sqs.queue("loyalty").url;
  const validEntry = () => {
    const purchase = envelopeToEntry(loadFixture("03"));
    return { Source: "paybus.stripe", DetailType: purchase.DetailType, Detail: purchase.Detail, EventBusName: dev.runtime.busName };
  };
  const rows: Row[] = [
    { service: "EventBridge", what: "an operation it does not emulate", client: (c) => new EventBridgeClient(c), command: () => new DescribeApiDestinationCommand({ Name: "x" }), error: "UnknownOperationException", status: 400 },
    { service: "EventBridge", what: "PutEvents with no entries", client: (c) => new EventBridgeClient(c), command: () => new PutEventsCommand({ Entries: [] }), error: "ValidationException", status: 400 },
    { service: "EventBridge", what: "PutEvents with a valid entry then a numeric EventBusName", client: (c) => new EventBridgeClient(c), command: () => new PutEventsCommand({ Entries: [validEntry(), { ...validEntry(), EventBusName: 5 as never }] }), error: "SerializationException", status: 400 },
    { service: "EventBridge", what: "PutEvents with a valid entry then an object Detail", client: (c) => new EventBridgeClient(c), command: () => new PutEventsCommand({ Entries: [validEntry(), { ...validEntry(), Detail: { a: 1 } as never }] }), error: "SerializationException", status: 400 },
    { service: "SQS", what: "an operation it does not emulate", client: (c) => new SQSClient(c), command: () => new AddPermissionCommand({ QueueUrl: queueUrl(), Label: "x", AWSAccountIds: ["111122223333"], Actions: ["SendMessage"] }), error: "UnsupportedOperation", status: 400 },
    { service: "SQS", what: "SendMessage to a queue that does not exist", client: (c) => new SQSClient(c), command: () => new SendMessageCommand({ QueueUrl: `${queueUrl()}-nope`, MessageBody: "x" }), error: "QueueDoesNotExist", status: 400 },
    { service: "DynamoDB", what: "an operation it does not emulate", client: (c) => new DynamoDBClient(c), command: () => new CreateBackupCommand({ TableName: "paybus-loyalty", BackupName: "b" }), error: "UnknownOperationException", status: 400, message: /^the local DynamoDB does not implement CreateBackup \(no PartiQL, streams or backups/ },
    { service: "DynamoDB", what: "another one", client: (c) => new DynamoDBClient(c), command: () => new DescribeContributorInsightsCommand({ TableName: "paybus-loyalty" }), error: "UnknownOperationException", status: 400 },
    { service: "DynamoDB", what: "GetItem without a key", client: (c) => new DynamoDBClient(c), command: () => new GetItemCommand({ TableName: "paybus-loyalty" } as never), error: "ValidationException", status: 400 },
    { service: "Step Functions", what: "an operation it does not emulate", client: (c) => new SFNClient(c), command: () => new ListActivitiesCommand({}), error: "UnknownOperationException", status: 400 },
    { service: "Step Functions", what: "StartExecution with an invalid ARN", client: (c) => new SFNClient(c), command: () => new StartExecutionCommand({ stateMachineArn: "nope" }), error: "InvalidArn", status: 400 },
    { service: "SNS", what: "an operation it does not emulate", client: (c) => new SNSClient(c), command: () => new ListTopicsCommand({}), error: "InvalidAction", status: 400 },
    { service: "SNS", what: "Publish without a target", client: (c) => new SNSClient(c), command: () => new PublishCommand({ Message: "x" }), error: "InvalidParameterException", status: 400 },
  ];

  it.each(rows)("$service, $what: $error, nothing accepted, and the runtime keeps serving", async (row) => {
    // The previous row's purchase is still being consumed, and loyalty puts its own events on the
    // bus: counted only once that is over, the count moves only by what this row's call accepted.
    await dev.runtime.waitForQuiet(60_000);
    const acceptedBefore = dev.runtime.journal.list("bus.accepted").length;
    const error = (await row.client(config).send(row.command()).then(
      () => new Error("no error"),
      (e: Error) => e,
    )) as Error & { $metadata?: { httpStatusCode?: number } };

    expect(error.name).toBe(row.error);
    expect(error.$metadata?.httpStatusCode).toBe(row.status);
    if (row.message) expect(error.message).toMatch(row.message);
    expect(dev.runtime.journal.list("bus.accepted").length).toBe(acceptedBefore);
    expect((await new EventBridgeClient(config).send(new PutEventsCommand({ Entries: [validEntry()] }))).FailedEntryCount).toBe(0);
    expect((await new DynamoDBClient(config).send(new ListTablesCommand({}))).TableNames).toContain("paybus-loyalty");
    expect((await new SQSClient(config).send(new ListQueuesCommand({}))).QueueUrls?.length).toBeGreaterThan(0);
  });

  it("answers a service it does not emulate with that protocol's error, whatever the client", async () => {
    const json = await fetch(dev.runtime.gatewayUrl, { method: "POST", headers: { "x-amz-target": "Logs_20140328.DescribeLogGroups", "content-type": "application/x-amz-json-1.1" }, body: "{}" });
    const signedRest = await fetch(`${dev.runtime.gatewayUrl}/2015-03-31/functions`, { headers: { authorization: "AWS4-HMAC-SHA256 Credential=local/20261205/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0" } });
    const query = await fetch(dev.runtime.gatewayUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "Action=GetCallerIdentity&Version=2011-06-15" });

    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ __type: "UnknownOperationException" });
    expect(signedRest.status).toBe(400);
    expect(signedRest.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
    expect(query.status).toBe(400);
    expect(await query.text()).toMatch(/<Code>InvalidAction<\/Code>/);
  });

  it("answers a malformed AWS JSON body with SerializationException", async () => {
    const answer = await fetch(dev.runtime.gatewayUrl, { method: "POST", headers: { "x-amz-target": "AWSEvents.PutEvents", "content-type": "application/x-amz-json-1.1" }, body: "{not json" });

    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ __type: "SerializationException" });
  });

  it("answers SES v1 ListIdentities and GetSendQuota (once left unanswered until a 300 s client timeout)", async () => {
    const ses = new SESClient(config);

    expect((await ses.send(new ListIdentitiesCommand({}))).Identities).toEqual(expect.any(Array));
    expect((await ses.send(new GetSendQuotaCommand({}))).Max24HourSend).toBeGreaterThan(0);
  });
  it("SQS answers the query protocol older clients send (Debian's awscli 2.9, boto3 1.26) on the gateway, with queue URLs that name the gateway", async () => {
    const gateway = dev.runtime.gatewayUrl;
    const query = await fetch(gateway, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: "AWS4-HMAC-SHA256 Credential=local/20261205/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0" },
      body: "Action=ListQueues&Version=2012-11-05",
    });
    const json = await new SQSClient(config).send(new ListQueuesCommand({}));

    expect(query.status).toBe(200);
    expect(await query.text()).toContain(`<QueueUrl>${gateway}/000000000000/paybus-loyalty</QueueUrl>`);
    expect(json.QueueUrls).toContain(`${gateway}/000000000000/paybus-loyalty`);
  });
});

describe("a failure in one request stays in that request", () => {
  let gateway: Gateway;
  let hanging: Server;
  const held: ServerResponse[] = [];

  beforeAll(async () => {
    // An engine that takes requests and never answers (as aws-ses-v2-local did for ListIdentities).
    hanging = createServer((_req: IncomingMessage, res: ServerResponse) => void held.push(res));
    const hangingUrl = await listen(hanging, "127.0.0.1", 0);
    // Port 9 (discard) has no listener on loopback: an engine that is gone.
    gateway = new Gateway({ host: "127.0.0.1", port: 0, routing: [sqsService.routing!, snsService.routing!], upstreamTimeoutMs: 500, upstreams: () => ({ sqs: hangingUrl, sns: "http://127.0.0.1:9" }) });
    gateway.addRoute(async (_req, _res, url) => {
      if (url.pathname === "/boom") throw new Error("a bug in a route");
      return false;
    });
    gateway.addRoute(async (_req, res, url) => {
      if (url.pathname !== "/fine") return false;
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      return true;
    });
    await gateway.start();
  });

  afterAll(async () => {
    for (const res of held) res.destroy();
    await gateway?.stop();
    await new Promise((resolve) => hanging.close(resolve));
  });

  it("answers 500 for a route that throws, and serves the next request", async () => {
    const boom = await fetch(`${gateway.url}/boom`);
    const fine = await fetch(`${gateway.url}/fine`);

    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ error: "internal error: a bug in a route" });
    expect(fine.status).toBe(200);
  });

  it("answers an AWS-shaped timeout for an engine that never answers, and one for an engine that is gone", async () => {
    const config = { ...adminClientConfig(gateway.url, "us-east-1"), maxAttempts: 1 };
    const timedOut = (await new SQSClient(config).send(new ListQueuesCommand({})).catch((e: Error) => e)) as Error & { $metadata: { httpStatusCode: number } };
    const gone = (await new SNSClient(config).send(new ListTopicsCommand({})).catch((e: Error) => e)) as Error & { $metadata: { httpStatusCode: number } };

    expect([timedOut.name, timedOut.$metadata.httpStatusCode]).toEqual(["RequestTimeout", 504]);
    expect(timedOut.message).toMatch(/did not answer within/);
    expect([gone.name, gone.$metadata.httpStatusCode]).toEqual(["ServiceUnavailable", 502]);
    expect((await fetch(`${gateway.url}/fine`)).status).toBe(200);
  });
});

describe("a service whose handler answers in process (no second HTTP hop)", () => {
  let gateway: Gateway;
  const seen: string[] = [];

  beforeAll(async () => {
    // Port 9 has no listener: a request forwarded there would fail, so every answer below is the handler's.
    gateway = new Gateway({
      host: "127.0.0.1",
      port: 0,
      routing: [dynamodbService.routing!],
      upstreamTimeoutMs: 500,
      upstreams: () => ({ dynamodb: "http://127.0.0.1:9" }),
      served: () => ({
        dynamodb: (request, res) => {
          const body = request.body.toString("utf8");
          seen.push(`${request.req.headers["x-amz-target"]} ${body}`);
          const table = (JSON.parse(body) as { TableName?: string }).TableName;
          const answer =
            table === "slow"
              ? new Promise<never>(() => undefined)
              : table === "broken"
                ? Promise.reject(new Error("the engine's thread exited"))
                : Promise.resolve({ status: 200, headers: { "content-type": "application/x-amz-json-1.0" }, text: JSON.stringify({ Item: { seen: { S: body } } }) });
          return relayAnswer(request, res, answer);
        },
      }),
    });
    await gateway.start();
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  it("hands it the request's body once read, and relays a slow or failed engine as AWS-shaped errors", async () => {
    const client = new DynamoDBClient({ ...adminClientConfig(gateway.url, "us-east-1"), maxAttempts: 1 });
    const get = (TableName: string) => client.send(new GetItemCommand({ TableName, Key: { pk: { S: "k" } } })).catch((e: Error) => e);
    try {
      const answered = (await get("fine")) as { Item?: Record<string, { S?: string }> };
      const slow = (await get("slow")) as Error & { $metadata: { httpStatusCode: number } };
      const broken = (await get("broken")) as Error & { $metadata: { httpStatusCode: number } };

      expect(JSON.parse(answered.Item!.seen!.S!)).toEqual({ TableName: "fine", Key: { pk: { S: "k" } } });
      expect(seen[0]).toMatch(/^DynamoDB_20120810\.GetItem /);
      expect([slow.name, slow.$metadata.httpStatusCode]).toEqual(["RequestTimeout", 504]);
      expect([broken.name, broken.$metadata.httpStatusCode, broken.message]).toEqual(["ServiceUnavailable", 502, "the local dynamodb could not be reached: the engine's thread exited"]);
    } finally {
      client.destroy();
    }
  });
});
