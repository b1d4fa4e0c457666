/**
 * A function timeout through the runtime, end to end: a queue of the runtime's SQS, the event
 * source mapping, the function host and the runtime's SNS. The first delivery's handler would push
 * after its timeout; Lambda ends a timed-out execution environment, so only the redelivery pushes:
 * one push in all, from a fresh environment.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreatePlatformEndpointCommand, SNSClient } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConsumerDeclaration } from "../declarations/rules.ts";
import { adminClient } from "../local/admin-client.ts";
import { EventSourceMapping } from "../local/event-source-mapping.ts";
import { ADMIN_CREDENTIALS } from "../local/function-credentials.ts";
import { Journal } from "../local/journal.ts";
import { LambdaHost, type LocalFunction } from "../local/lambda.ts";
import { PROJECT_ROOT } from "../local/project-root.ts";
import type { Runtime } from "../local/runtime.ts";
import { startTestRuntime } from "./support/runtime.ts";

let runtime: Runtime;
let dir: string;

beforeAll(async () => {
  runtime = await startTestRuntime({ dataDir: null, port: 0, timeScale: 0.01, warn: () => {} });
  dir = mkdtempSync(join(tmpdir(), "paybus-timeout-e2e-"));
});

afterAll(async () => {
  await runtime?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("a consumer that times out on its first attempt", () => {
  it("has exactly one effect: the timed-out attempt's environment is ended, the retry runs in a fresh one", async () => {
    const effects = join(dir, "inits");
    const fn: LocalFunction = {
      name: "paybus-TimeoutProbe",
      logicalName: "TimeoutProbe",
      handler: "test/support/push-handler.handler",
      timeoutSeconds: 1,
      memoryMb: 128,
      environment: {
        AWS_REGION: runtime.region,
        AWS_ENDPOINT_URL_SNS: runtime.gatewayUrl,
        AWS_ACCESS_KEY_ID: ADMIN_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: ADMIN_CREDENTIALS.secretAccessKey,
        PAYBUS_TEST_EFFECTS_FILE: effects,
      },
    };
    const lambda = new LambdaHost(PROJECT_ROOT, runtime.region, runtime.accountId);
    const queue = runtime.sqs.createQueue("timeout-probe", { visibilityTimeoutSeconds: 30, retentionSeconds: 3600, maxReceiveCount: 5 });
    const consumer = { batchSize: 1, batchingWindowSeconds: 0, maximumConcurrency: 1, timeoutSeconds: 1 } as ConsumerDeclaration;
    const journal = new Journal();
    // The redelivery comes 4 s after the timeout: after the moment (2.5 s in) the first attempt would have pushed.
    const mapping = new EventSourceMapping({ sqs: runtime.sqs, queue, fn, consumer, lambda, journal, region: runtime.region, retryAfterSeconds: 4 });
    const sns = adminClient(SNSClient, runtime.gatewayUrl, runtime.region);
    const { EndpointArn: targetArn } = await sns.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: runtime.pushApplications.GCM, Token: `timeoutProbe:APA91b${"t".repeat(140)}` }));
    sns.destroy();
    const pushes = () => runtime.sns.outbox.filter((push) => push.targetArn === targetArn);
    try {
      await runtime.sqs.send(queue.url, JSON.stringify({ targetArn, delayMsOnFirstAttempt: 2_500 }));
      mapping.start();
      await expect.poll(() => journal.list("consumer.attempt").map((attempt) => attempt.outcome), { timeout: 60_000 }).toEqual(["timed-out", "succeeded"]);
    } finally {
      await mapping.stop();
      await lambda.stop();
    }

    expect(pushes().map((push) => push.message)).toEqual(["attempt 2"]);
    // Two init phases: the redelivery cold-started a new environment.
    expect(readFileSync(effects, "utf8")).toBe("init\ninit\n");
    expect(lambda.coldStarts).toBe(2);
    // Past the poll's own 60 s (two cold starts and a 4 s redelivery wait; at load ~10 on two cores
    // this took over the default 30 s): the poll, not the test's timeout, says what was too slow.
  }, 90_000);
});
