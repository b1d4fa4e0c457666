import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { ConsumerDeclaration } from "../declarations/rules.ts";
import { batchResponseProblem, EventSourceMapping, failedIds, failureReasons } from "./event-source-mapping.ts";
import { Journal } from "./journal.ts";
import { LambdaHost } from "./lambda.ts";
import { LocalSqs } from "./sqs.ts";

const batch = new Set(["m1", "m2", "m3"]);

describe("reading a handler's partial batch response as Lambda does", () => {
  it("treats no response and an empty failure list as complete success", () => {
    expect(failedIds(undefined, batch)).toEqual({ failed: new Set() });
    expect(failedIds({ batchItemFailures: [] }, batch)).toEqual({ failed: new Set() });
  });

  it("returns only the listed records for retry", () => {
    expect(failedIds({ batchItemFailures: [{ itemIdentifier: "m2" }] }, batch)).toEqual({ failed: new Set(["m2"]) });
  });

  it.each([
    [{ batchItemFailures: [{ itemIdentifier: "" }] }, "a batchItemFailures entry has no itemIdentifier"],
    [{ batchItemFailures: [{}] }, "a batchItemFailures entry has no itemIdentifier"],
    [{ batchItemFailures: [{ itemIdentifier: "other" }] }, 'itemIdentifier "other" is not a message of this batch'],
    [{ batchItemFailures: "m1" }, "batchItemFailures is not a list"],
    ["ok", "the response is not an object"],
  ])("fails the whole batch on a malformed response: %j", (response, problem) => {
    expect(batchResponseProblem(response, batch)).toBe(problem);
    expect(failedIds(response, batch)).toEqual({ failed: batch, problem });
  });
});

describe("failureReasons", () => {
  it("reads why each record failed from the function's own log lines, as CloudWatch Logs holds them", () => {
    const logs = [
      '{"level":"INFO","message":"processing","messageId":"m-0"}\n{"level":"ERROR","message":"record failed","messageId":"m-1","errorClass":"poison",',
      '"error":{"name":"PoisonRecordError","message":"ZodError: amount: Too small","stack":"…"}}\n',
      '{"level":"WARN","message":"record failed","messageId":"m-2","errorClass":"retryable","error":{"name":"Throttling","message":"Rate exceeded"}}\n',
      "a plain line mentioning record failed\n",
    ];

    expect(failureReasons(logs)).toEqual(
      new Map([
        ["m-1", "PoisonRecordError: ZodError: amount: Too small"],
        ["m-2", "Throttling: Rate exceeded"],
      ]),
    );
  });
});

describe("the event source mapping's concurrency", () => {
  it("keeps a timed-out batch's slot until its environment has ended, and nothing of the timed-out handler runs after", async () => {
    const logs: string[] = [];
    const lambda = new LambdaHost(fileURLToPath(new URL("..", import.meta.url)), "us-east-1", "000000000000", (_fn, chunk) => void logs.push(chunk));
    // How many invocations the mapping has in flight at once (a timed-out one until its environment ended).
    const invoke = lambda.invoke.bind(lambda);
    let inFlight = 0;
    let peak = 0;
    const invocationLogs: string[] = [];
    lambda.invoke = async (...args) => {
      peak = Math.max(peak, ++inFlight);
      try {
        const invocation = await invoke(...args);
        invocationLogs.push(...invocation.logs);
        return invocation;
      } finally {
        inFlight--;
      }
    };
    const sqs = await LocalSqs.start({ region: "us-east-1", timeScale: 0.01 });
    const queue = sqs.createQueue("slow", { visibilityTimeoutSeconds: 30, retentionSeconds: 3600, maxReceiveCount: 5 });
    const consumer = { batchSize: 1, batchingWindowSeconds: 0, maximumConcurrency: 1, timeoutSeconds: 1 } as ConsumerDeclaration;
    const fn = { name: "slow", logicalName: "Slow", handler: "test/support/handlers.slowBatch", timeoutSeconds: 1, memoryMb: 128, environment: { PAYBUS_TEST_HANDLER_MS: "3000" } };
    const journal = new Journal();
    const mapping = new EventSourceMapping({ sqs, queue, fn, consumer, lambda, journal, region: "us-east-1", retryAfterSeconds: 1 });
    try {
      for (const body of ["a", "b", "c"]) await sqs.send(queue.url, body);
      mapping.start();
      // Three batches time out one after the other; each handler would run 3 s against a 1 s timeout.
      await expect.poll(() => journal.list("consumer.attempt").length, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
      // Past the time the first handlers would have finished, had their environments lived on.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    } finally {
      await mapping.stop();
      await lambda.stop();
      await sqs.stop();
    }

    expect(journal.list("consumer.attempt").slice(0, 3).map((attempt) => attempt.outcome)).toEqual(["timed-out", "timed-out", "timed-out"]);
    const output = logs.join("");
    expect(output.match(/"message":"running"/g)?.length).toBeGreaterThanOrEqual(3);
    expect(invocationLogs.join("").match(/Task timed out after 1\.00 seconds/g)?.length).toBeGreaterThanOrEqual(3);
    expect(output).not.toContain('"message":"done"');
    // maximumConcurrency 1: never a second invocation while the first's environment lived.
    expect(peak).toBe(1);
    // Each attempt ran in a fresh environment (the one before it was ended).
    expect(lambda.coldStarts).toBe(journal.list("consumer.attempt").length);
  });
});

describe("where an attempt's time went (journal)", () => {
  it("records when SQS took the message, when the mapping received it, the environment wait and the handler's time", async () => {
    const lambda = new LambdaHost(fileURLToPath(new URL("..", import.meta.url)), "us-east-1", "000000000000", () => undefined);
    const sqs = await LocalSqs.start({ region: "us-east-1", timeScale: 0.01 });
    const queue = sqs.createQueue("timed", { visibilityTimeoutSeconds: 30, retentionSeconds: 3600, maxReceiveCount: 5 });
    const consumer = { batchSize: 10, batchingWindowSeconds: 0, maximumConcurrency: 1, timeoutSeconds: 30 } as ConsumerDeclaration;
    const fn = { name: "timed", logicalName: "Timed", handler: "test/support/handlers.slowBatch", timeoutSeconds: 30, memoryMb: 128, environment: { PAYBUS_TEST_HANDLER_MS: "200" } };
    const journal = new Journal();
    const mapping = new EventSourceMapping({ sqs, queue, fn, consumer, lambda, journal, region: "us-east-1", retryAfterSeconds: 1 });
    const before = Date.now();
    try {
      await sqs.send(queue.url, "a");
      mapping.start();
      await expect.poll(() => journal.list("consumer.attempt").length, { timeout: 30_000 }).toBe(1);
    } finally {
      await mapping.stop();
      await lambda.stop();
      await sqs.stop();
    }

    const [attempt] = journal.list("consumer.attempt");
    expect(attempt?.outcome).toBe("succeeded");
    const { sentAt, receivedAt, environmentMs, handlerMs } = attempt!;
    // In order: sent (SQS's SentTimestamp), received by the mapping, attempt over (the entry's `at`).
    expect(sentAt).toBeGreaterThanOrEqual(before);
    expect(receivedAt).toBeGreaterThanOrEqual(sentAt!);
    expect(Date.parse(attempt!.at)).toBeGreaterThanOrEqual(receivedAt!);
    // The first invocation started the function's environment (a cold start): that is environment time.
    expect(environmentMs).toBeGreaterThan(0);
    // The handler waits 200 ms (a timer: never earlier, later under load) and that is handler time, not environment time.
    expect(handlerMs).toBeGreaterThanOrEqual(190);
    // Both happened between the receive and the end of the attempt (1 ms for the entry's ms-rounded `at`).
    expect(environmentMs! + handlerMs!).toBeLessThanOrEqual(Date.parse(attempt!.at) - receivedAt! + 1);
  });
});

describe("the event source mapping's deletes", () => {
  it("frees the concurrency slot when the invocation ends: the next batch runs while the last one's delete is being made durable, and stop waits for it", async () => {
    const lambda = new LambdaHost(fileURLToPath(new URL("..", import.meta.url)), "us-east-1", "000000000000", () => undefined);
    const sqs = await LocalSqs.start({ region: "us-east-1", timeScale: 0.01 });
    const queue = sqs.createQueue("deletes", { visibilityTimeoutSeconds: 30, retentionSeconds: 3600, maxReceiveCount: 5 });
    // The first delete does not finish until the test lets it (a slow fsync, as on a busy disk).
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const deleteBatch = sqs.engine.DeleteMessageBatch.bind(sqs.engine);
    let deletes = 0;
    sqs.engine.DeleteMessageBatch = async (input) => {
      const answer = deleteBatch(input);
      if (deletes++ === 0) await held;
      return answer;
    };
    const consumer = { batchSize: 1, batchingWindowSeconds: 0, maximumConcurrency: 1, timeoutSeconds: 30 } as ConsumerDeclaration;
    const fn = { name: "deletes", logicalName: "Deletes", handler: "test/support/handlers.slowBatch", timeoutSeconds: 30, memoryMb: 128, environment: { PAYBUS_TEST_HANDLER_MS: "0" } };
    const journal = new Journal();
    const mapping = new EventSourceMapping({ sqs, queue, fn, consumer, lambda, journal, region: "us-east-1", retryAfterSeconds: 1 });
    let stopped: Promise<void> | undefined;
    try {
      for (const body of ["a", "b"]) await sqs.send(queue.url, body);
      mapping.start();
      // maximumConcurrency 1, batch size 1: the second message is handled while the first one's delete is held.
      await expect.poll(() => journal.list("consumer.attempt").length, { timeout: 20_000 }).toBe(2);
      expect(journal.list("consumer.attempt").map((attempt) => attempt.outcome)).toEqual(["succeeded", "succeeded"]);
      expect(mapping.busy).toBe(true);
      stopped = mapping.stop();
      let stopDone = false;
      void stopped.then(() => (stopDone = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(stopDone).toBe(false);
      release();
      await stopped;
      expect(mapping.busy).toBe(false);
      // Both deletes were made: nothing is left to come back.
      expect(sqs.depth(queue.physicalName)).toEqual({ ready: 0, inFlight: 0, delayed: 0 });
    } finally {
      release();
      await (stopped ?? mapping.stop());
      await lambda.stop();
      await sqs.stop();
    }
  });
});
