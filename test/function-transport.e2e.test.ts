/**
 * In the runtime, the functions' SDK calls reach the gateway over their execution environments'
 * message ports (`local/lambda-transport.ts`), never over its HTTP port, and still go through all
 * the gateway does for an AWS request: the observers see each one, local IAM decides each one, and
 * fault injection answers them. The unit side (a request in flight when an environment ends, the
 * gateway's timeouts, HTTP when no port is given) is `local/lambda-transport.test.ts`.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../fixtures/index.ts";
import { seedDemoCustomers } from "../local/demo.ts";
import { accessKeyIdOf } from "../local/function-credentials.ts";
import type { AwsRequest } from "../local/gateway.ts";
import type { Runtime } from "../local/runtime.ts";
import { startTestRuntime } from "./support/runtime.ts";

/** A function's access key (`functionCredentials`: an AWS session key's shape); the administrator's is `local`. */
const isFunctionKey = (key: string | undefined) => key?.startsWith("ASIA") === true;

describe("the functions' transport in the runtime", () => {
  let runtime: Runtime;
  /** Requests that arrived on the gateway's HTTP port signed by a function. */
  const functionsOverHttp: string[] = [];
  const countHttp = (message: unknown) => {
    const { request } = message as { request: IncomingMessage };
    const key = accessKeyIdOf(request.headers.authorization);
    if (runtime && request.socket.localPort === Number(new URL(runtime.gatewayUrl).port) && isFunctionKey(key)) functionsOverHttp.push(`${request.method} ${request.url}`);
  };

  beforeAll(async () => {
    runtime = await startTestRuntime({ dataDir: null, port: 0, timeScale: 0.01, workflowTimeScale: 0.0001 });
    await seedDemoCustomers(runtime);
    subscribe("http.server.request.start", countHttp);
  });

  afterAll(async () => {
    unsubscribe("http.server.request.start", countHttp);
    await runtime?.stop();
  });

  it("serves every SDK call of the functions without a socket, observed, authorized and open to injected faults", async () => {
    const seen: AwsRequest[] = [];
    const stopObserving = runtime.observeAwsRequests((request) => void seen.push(request));
    const decisionsBefore = runtime.iam.decisions.length;
    const invoice = loadFixture("01");
    invoice.id = crypto.randomUUID();
    invoice.detail.id = "evt_transport_e2e";
    invoice.detail.data.object.id = "in_transport0001";
    invoice.detail.data.object.number = "TRANSPORT-0001";
    // SES throttles the first SendEmail: the notifications consumer's SDK client retries it.
    let throttled = false;
    runtime.faults.ses.set((operation) => {
      if (operation !== "SendEmail" || throttled) return undefined;
      throttled = true;
      return { code: "Throttling", message: "Maximum sending rate exceeded.", status: 400 };
    });

    try {
      runtime.sendEnvelopes([invoice]);
      await runtime.waitForQuiet(60_000);
    } finally {
      runtime.faults.ses.set(undefined);
      stopObserving();
    }

    const byFunctions = seen.filter((request) => isFunctionKey(request.accessKeyId));
    const sends = byFunctions.filter((request) => request.operation === "SendEmail" && JSON.stringify(request.input).includes("TRANSPORT-0001"));
    const decisions = runtime.iam.decisions.slice(decisionsBefore).filter((decision) => isFunctionKey(decision.accessKeyId));
    expect(byFunctions.map((request) => `${request.service}.${request.operation}`)).toEqual(expect.arrayContaining(["dynamodb.UpdateItem", "ses.SendEmail", "sns.Publish"]));
    // The throttled attempt and its retry both reached the gateway; the fault answered the first.
    expect(sends).toHaveLength(2);
    expect(runtime.faults.ses.injected).toBe(1);
    expect(runtime.journal.list("effect.email").filter((email) => email.subject.includes("TRANSPORT-0001"))).toHaveLength(1);
    // Local IAM decided every one of them (a transaction may take several decisions), and allowed them.
    expect(new Set(decisions.map((decision) => decision.accessKeyId))).toEqual(new Set(byFunctions.map((request) => request.accessKeyId)));
    expect(decisions.length).toBeGreaterThanOrEqual(byFunctions.length);
    expect(decisions.filter((decision) => !decision.allowed)).toEqual([]);
    expect(functionsOverHttp).toEqual([]);
  });
});
