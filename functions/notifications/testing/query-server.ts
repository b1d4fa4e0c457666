/**
 * Test support for the AWS Query protocol (SES v1 and SNS speak it: form-encoded `Action=…`
 * requests, XML answers), on loopback with a random port:
 *
 * - {@link startSnsStandIn}: a recording SNS that accepts `Publish` to platform endpoints and answers
 *   `EndpointDisabled` for endpoints marked disabled — the part of SNS mobile push the notifications
 *   consumer uses, until the local runtime provides its own.
 * - {@link startFaultProxy}: forwards to a real local engine (e.g. aws-ses-v2-local) but can answer
 *   the next requests with an AWS error (throttling, 5xx) first.
 *
 * Both let the real AWS SDK clients parse real wire responses.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** An AWS error as the Query protocol sends it. */
export interface QueryFault {
  readonly status: number;
  readonly code: string;
  readonly message?: string;
}

interface QueryServer {
  readonly endpoint: string;
  /** Answers the next `count` requests with `fault` instead of handling them. */
  failNext(count: number, fault: QueryFault): void;
  close(): Promise<void>;
}

interface QueryResponse {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
}

const XML = "text/xml";

function errorXml(fault: QueryFault): string {
  const type = fault.status >= 500 ? "Receiver" : "Sender";
  return (
    `<ErrorResponse><Error><Type>${type}</Type><Code>${fault.code}</Code>` +
    `<Message>${fault.message ?? fault.code}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`
  );
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function startQueryServer(
  handle: (body: string, request: IncomingMessage) => Promise<QueryResponse>,
): Promise<QueryServer> {
  const faults: QueryFault[] = [];
  const respond = (response: ServerResponse, { status, body, contentType = XML }: QueryResponse) =>
    response.writeHead(status, { "content-type": contentType }).end(body);
  const server = createServer((request, response) => {
    readBody(request)
      .then(async (body) => {
        const fault = faults.shift();
        respond(response, fault ? { status: fault.status, body: errorXml(fault) } : await handle(body, request));
      })
      .catch((error: unknown) => respond(response, { status: 500, body: errorXml({ status: 500, code: "InternalError", message: String(error) }) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    failNext(count, fault) {
      for (let i = 0; i < count; i += 1) faults.push(fault);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** One `Publish` the stand-in accepted. */
export interface RecordedPublish {
  readonly messageId: string;
  readonly targetArn: string;
  readonly messageStructure: string | undefined;
  readonly message: string;
}

export interface SnsStandIn extends QueryServer {
  /** Every accepted publish, in order. */
  readonly publishes: readonly RecordedPublish[];
  /** From now on, publishes to this endpoint fail with `EndpointDisabled`, as SNS does. */
  disable(endpointArn: string): void;
  /** Forgets publishes and disabled endpoints. */
  reset(): void;
}

/** A recording SNS for mobile push publishes. */
export async function startSnsStandIn(): Promise<SnsStandIn> {
  const publishes: RecordedPublish[] = [];
  const disabled = new Set<string>();
  const server = await startQueryServer(async (body) => {
    const params = new URLSearchParams(body);
    const action = params.get("Action");
    const targetArn = params.get("TargetArn");
    if (action !== "Publish" || !targetArn) {
      return { status: 400, body: errorXml({ status: 400, code: "InvalidAction", message: `unsupported: ${action}` }) };
    }
    if (disabled.has(targetArn)) {
      return { status: 400, body: errorXml({ status: 400, code: "EndpointDisabled", message: "Endpoint is disabled" }) };
    }
    const messageId = randomUUID();
    publishes.push({
      messageId,
      targetArn,
      messageStructure: params.get("MessageStructure") ?? undefined,
      message: params.get("Message") ?? "",
    });
    return {
      status: 200,
      body:
        `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}` +
        `</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    };
  });
  return {
    ...server,
    publishes,
    disable: (endpointArn) => disabled.add(endpointArn),
    reset() {
      publishes.length = 0;
      disabled.clear();
    },
  };
}

/** A pass-through to `target` that can inject AWS errors first. */
export async function startFaultProxy(target: string): Promise<QueryServer> {
  return startQueryServer(async (body, request) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string" && name !== "host" && name !== "content-length") headers[name] = value;
    }
    const method = request.method ?? "GET";
    const forwarded = await fetch(new URL(request.url ?? "/", target), {
      method,
      headers,
      body: method === "GET" || method === "HEAD" ? undefined : body,
    });
    return {
      status: forwarded.status,
      body: await forwarded.text(),
      contentType: forwarded.headers.get("content-type") ?? XML,
    };
  });
}
