/**
 * The functions' SDK calls reach the gateway over their execution environment's message port, not
 * a socket: the same pipeline sees them (observers, local IAM, the services and their timeouts), and
 * an environment that ends with a call in flight leaves neither the gateway waiting nor the runtime
 * broken. The real SDK client in a real worker thread, against a real gateway.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnswerSink } from "./answer-sink.ts";
import { functionCredentials } from "./function-credentials.ts";
import { Gateway, relayAnswer, type AwsRequest } from "./gateway.ts";
import { LambdaHost, type LocalFunction } from "./lambda.ts";
import { dynamodbService } from "./services/index.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("the functions' transport to the gateway", () => {
  let gateway: Gateway;
  const observed: AwsRequest[] = [];
  /** Requests that arrived on the gateway's port (HTTP), by the access key that signed them. */
  const overHttp: string[] = [];
  /** Answers of requests to the table "hang", which the service never answers. */
  const hanging: AnswerSink[] = [];
  const countHttp = (message: unknown) => {
    const { request } = message as { request: IncomingMessage };
    if (request.socket.localPort === Number(new URL(gateway.url).port)) overHttp.push(String(request.headers.authorization ?? "").match(/Credential=([^/]+)/)?.[1] ?? "");
  };
  const key = functionCredentials("transport-test");
  const fn = (name: string, timeoutSeconds = 30): LocalFunction => ({
    name,
    logicalName: name,
    handler: "test/support/transport-handlers.getItem",
    timeoutSeconds,
    memoryMb: 128,
    environment: { AWS_ENDPOINT_URL_DYNAMODB: gateway.url, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey },
  });
  let overPort: LambdaHost;
  let overSockets: LambdaHost;

  beforeAll(async () => {
    gateway = new Gateway({
      host: "127.0.0.1",
      port: 0,
      routing: [dynamodbService.routing!],
      upstreams: () => ({}),
      served: () => ({
        dynamodb: (request, res) => {
          const table = (JSON.parse(request.body.toString("utf8")) as { TableName: string }).TableName;
          if (table === "hang") {
            hanging.push(res);
            return relayAnswer(request, res, new Promise<never>(() => undefined));
          }
          const text = JSON.stringify({ Item: { table: { S: table }, by: { S: String(request.req.headers.authorization).match(/Credential=([^/]+)/)?.[1] } } });
          return relayAnswer(request, res, Promise.resolve({ status: 200, headers: { "content-type": "application/x-amz-json-1.0" }, text }));
        },
      }),
      // Local IAM's place in the pipeline: this one refuses one table.
      authorize: (request, res) => {
        if (!request.body.toString("utf8").includes('"TableName":"forbidden"')) return false;
        const body = JSON.stringify({ __type: "AccessDeniedException", message: "not allowed here" });
        res.writeHead(400, { "content-type": "application/x-amz-json-1.0", "content-length": Buffer.byteLength(body) });
        res.end(body);
        return true;
      },
    });
    await gateway.start();
    gateway.observe((request) => void observed.push(request));
    subscribe("http.server.request.start", countHttp);
    overPort = new LambdaHost(root, "us-east-1", "000000000000", () => undefined, { transport: { authority: new URL(gateway.url).host, serve: (request, res) => gateway.serveDetached(request, res) } });
    overSockets = new LambdaHost(root, "us-east-1", "000000000000", () => undefined);
  });

  afterAll(async () => {
    unsubscribe("http.server.request.start", countHttp);
    await Promise.all([overPort?.stop(), overSockets?.stop()]);
    await gateway?.stop();
  });

  it("carries a function's signed SDK call to the gateway's pipeline without a socket: observers and IAM see it, the service answers it", async () => {
    observed.length = 0;
    overHttp.length = 0;

    const answered = await overPort.invoke(fn("port-a"), { table: "fine" });
    const refused = await overPort.invoke(fn("port-a"), { table: "forbidden" });

    expect(answered).toMatchObject({ ok: true, result: { status: 200, item: { table: { S: "fine" }, by: { S: key.accessKeyId } } } });
    expect(refused).toMatchObject({ ok: true, result: { error: "AccessDeniedException", message: "not allowed here", status: 400 } });
    expect(observed.map((request) => [request.operation, request.input.TableName, request.accessKeyId])).toEqual([
      ["GetItem", "fine", key.accessKeyId],
      ["GetItem", "forbidden", key.accessKeyId],
    ]);
    expect(overHttp).toEqual([]);
  });

  it("is what saves the socket: the same function in a host without the transport calls over HTTP", async () => {
    overHttp.length = 0;

    const answered = await overSockets.invoke(fn("http-a"), { table: "fine" });

    expect(answered).toMatchObject({ ok: true, result: { status: 200, item: { table: { S: "fine" } } } });
    expect(overHttp).toEqual([key.accessKeyId]);
  });

  it("keeps the gateway's timeouts: a service that never answers is a 504 RequestTimeout for the function", async () => {
    const slow = new Gateway({
      host: "127.0.0.1",
      port: 0,
      routing: [dynamodbService.routing!],
      upstreamTimeoutMs: 300,
      upstreams: () => ({}),
      served: () => ({ dynamodb: (request, res) => relayAnswer(request, res, new Promise<never>(() => undefined)) }),
    });
    await slow.start();
    const host = new LambdaHost(root, "us-east-1", "000000000000", () => undefined, { transport: { authority: new URL(slow.url).host, serve: (request, res) => slow.serveDetached(request, res) } });
    try {
      const answered = await host.invoke({ ...fn("slow-a"), environment: { ...fn("slow-a").environment, AWS_ENDPOINT_URL_DYNAMODB: slow.url } }, { table: "any" });

      expect(answered).toMatchObject({ ok: true, result: { error: "RequestTimeout", status: 504 } });
    } finally {
      await host.stop();
      await slow.stop();
    }
  });

  it("lets go of a call in flight when its environment ends (a timeout): the service sees its client gone, and the gateway goes on serving", async () => {
    hanging.length = 0;

    const timedOut = await overPort.invoke(fn("port-hang", 1), { table: "hang" });
    const next = await overPort.invoke(fn("port-hang", 30), { table: "fine" });

    expect(timedOut).toMatchObject({ ok: false, timedOut: true });
    expect(hanging).toHaveLength(1);
    // The answer the service held was cut when the environment ended, as a dead HTTP client's would be.
    expect(hanging[0]!.destroyed).toBe(true);
    expect(next).toMatchObject({ ok: true, result: { status: 200, item: { table: { S: "fine" } } } });
  });
});
