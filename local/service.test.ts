import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceFaults } from "./faults.ts";
import { classify, routingTable } from "./gateway.ts";
import { DuplicateServiceError, Runtime, ServiceNotStartedError } from "./runtime.ts";
import { defineService, type LocalService } from "./service.ts";
import { localServices, sqsService } from "./services/index.ts";

/** A service added through RuntimeOptions.services: what it saw of the runtime at each step of its life. */
function probeService(log: string[]) {
  return defineService({
    name: "probe",
    async start(context) {
      // Services earlier in the list are running when a later one starts.
      log.push(`start: sqs queues ${context.runtime.sqs.queues.size > 0}, gateway ${context.runtime.gatewayUrl !== ""}`);
      const faults = serviceFaults();
      const handle = { requests: 0 };
      return {
        handle,
        faults,
        routes: [
          async (_req, res, url) => {
            if (url.pathname !== "/probe") return false;
            handle.requests++;
            const fault = faults.decide("Probe", {});
            res.writeHead(fault ? fault.status : 200, { "content-type": "text/plain" });
            res.end(fault ? fault.code : "probe");
            return true;
          },
        ],
        ready: () => void log.push(`ready: consumers polling ${context.runtime.mappings.size > 0}`),
        drain: async () => void log.push("drain"),
        // Stopped before the standard services (reverse order): the queues are still there.
        stop: async () => void log.push(`stop: sqs queues ${context.runtime.sqs.queues.size > 0}`),
      };
    },
  });
}

describe("the runtime composes its services from one list", () => {
  const log: string[] = [];
  const probe = probeService(log);
  let runtime: Runtime;

  beforeAll(async () => {
    runtime = await Runtime.start({ dataDir: null, port: 0, services: [probe] });
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it("starts an added service after the standard ones, serves its routes and fault switch on the gateway, and tells it when ready", async () => {
    // Act
    const served = await fetch(`${runtime.gatewayUrl}/probe`);
    const body = await served.text();
    runtime.faultSwitches().probe!.set({ decide: () => ({ code: "Throttling", message: "slow down", status: 429 }) });
    const refused = await fetch(`${runtime.gatewayUrl}/probe`);
    runtime.faultSwitches().probe!.set(undefined);

    // Assert
    expect([served.status, body]).toEqual([200, "probe"]);
    expect([refused.status, await refused.text()]).toEqual([429, "Throttling"]);
    expect(runtime.service(probe).requests).toBe(2);
    expect(runtime.faultSwitches().probe!.injected).toBe(1);
    expect(log).toEqual(["start: sqs queues true, gateway true", "ready: consumers polling true"]);
    expect(Object.keys(runtime.faultSwitches())).toEqual(["dynamodb", "ses", "sns", "lambda", "probe"]);
  });

  it("names a service that is not running", () => {
    // Arrange
    const absent: LocalService<"absent", number> = defineService({ name: "absent", start: async () => ({ handle: 1, stop: async () => undefined }) });

    // Act
    const lookup = () => runtime.service(absent);

    // Assert
    expect(lookup).toThrow(ServiceNotStartedError);
    expect(lookup).toThrow(/"absent" is not running/);
  });

  it("drains, then stops the services in reverse order, and refuses a second service of the same name", async () => {
    // Act
    await runtime.stop();
    const duplicate = await Runtime.start({ dataDir: null, port: 0, services: [defineService({ ...sqsService, name: sqsService.name })] }).catch((error: Error) => error);

    // Assert
    expect(log.slice(2)).toEqual(["drain", "stop: sqs queues true"]);
    expect(duplicate).toBeInstanceOf(DuplicateServiceError);
    expect((duplicate as Error).message).toBe('two local services are named "sqs"');
  });

  it("refuses a cap of environments for a function the plan does not have (a typo would cap nothing)", async () => {
    // Act
    const refused = await Runtime.start({ dataDir: null, port: 0, maxEnvironmentsByFunction: { LoyaltyApi: 2, LoyalyConsumer: 2 } }).catch((error: Error) => error);

    // Assert
    expect((refused as Error).message).toMatch(/^maxEnvironmentsByFunction: no function LoyalyConsumer in the plan \(it has .*LoyaltyConsumer/);
  });
});

describe("the gateway routes by what each service declares", () => {
  const table = routingTable(localServices.flatMap((service) => ("routing" in service && service.routing ? [service.routing] : [])));
  const request = (headers: Record<string, string>, method = "POST") => ({ headers, method }) as unknown as IncomingMessage;
  const signedFor = (scope: string) => `AWS4-HMAC-SHA256 Credential=local/20261206/us-east-1/${scope}/aws4_request, SignedHeaders=host, Signature=0`;

  it("recognises each service by target prefix, signing name, REST path or query action", () => {
    // Act
    const decisions = [
      classify(request({ "x-amz-target": "AmazonSQS.SendMessage" }), new URL("http://127.0.0.1/"), undefined, table),
      classify(request({ "x-amz-target": "DynamoDB_20120810.GetItem" }), new URL("http://127.0.0.1/"), undefined, table),
      classify(request({ authorization: signedFor("email") }), new URL("http://127.0.0.1/"), undefined, table),
      classify(request({}, "GET"), new URL("http://127.0.0.1/v2/email/account"), undefined, table),
      classify(request({ "content-type": "application/x-www-form-urlencoded" }), new URL("http://127.0.0.1/"), Buffer.from("Action=Publish"), table),
      classify(request({ "x-amz-target": "AWSLambda.Invoke" }), new URL("http://127.0.0.1/"), undefined, table),
    ];

    // Assert
    expect(decisions).toEqual([
      { kind: "aws", service: "sqs", protocol: "json" },
      { kind: "aws", service: "dynamodb", protocol: "json" },
      { kind: "aws", service: "ses", protocol: "rest" },
      { kind: "aws", service: "ses", protocol: "rest" },
      { kind: "aws", service: "sns", protocol: "query" },
      { kind: "aws-unknown", protocol: "json", what: "X-Amz-Target AWSLambda.Invoke" },
    ]);
  });

  it("refuses two services claiming the same action", () => {
    // Act
    const clash = () => routingTable([sqsService.routing!, { service: "sns", queryActions: ["SendMessage"] }]);

    // Assert
    expect(clash).toThrow("the local services sqs and sns both claim the query action SendMessage");
  });
});
