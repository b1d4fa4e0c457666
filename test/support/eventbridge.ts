/**
 * Test support: one local bus served over the AWS JSON protocol on loopback, with a rule that
 * matches every event and a target that keeps what it receives, a journal and an archive in a
 * temporary directory — and a real `@aws-sdk/client-eventbridge` pointed at it.
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultRetry, type EventPattern } from "../../declarations/rules.ts";
import { Archive } from "../../local/archive.ts";
import { serveAwsJson } from "../../local/aws-json.ts";
import { LocalEventBus } from "../../local/eventbridge.ts";
import { Journal } from "../../local/journal.ts";
import { adminClient } from "../../local/admin-client.ts";

export interface TestBus {
  readonly bus: LocalEventBus;
  readonly endpoint: string;
  readonly journal: Journal;
  readonly archive: Archive;
  /** Envelopes the catch-all rule delivered. */
  readonly delivered: string[];
  readonly warnings: string[];
  readonly client: EventBridgeClient;
  close(): Promise<void>;
}

export const TEST_BUS_NAME = "paybus-test-bus";

/** `pattern`: the one rule's event pattern (default: every event). */
export async function startTestBus({ pattern = { source: [{ prefix: "" }] } as EventPattern } = {}): Promise<TestBus> {
  const dir = mkdtempSync(join(tmpdir(), "paybus-bus-"));
  const journal = new Journal();
  const archive = new Archive(join(dir, "archive.jsonl"));
  const delivered: string[] = [];
  const warnings: string[] = [];
  const bus = new LocalEventBus({
    name: TEST_BUS_NAME,
    region: "us-east-1",
    accountId: "000000000000",
    rules: [{ name: "Everything", description: "every event", pattern, target: { queue: "loyalty" }, retryPolicy: defaultRetry }],
    targets: () => ({
      arn: "arn:aws:sqs:us-east-1:000000000000:sink",
      deliver: async (eventJson) => void delivered.push(eventJson),
      deadLetter: async () => undefined,
    }),
    journal,
    archive,
    warn: (message) => void warnings.push(message),
  });
  const server = await serveAwsJson("AWSEvents", bus.operations());
  const client = adminClient(EventBridgeClient, server.endpoint, "us-east-1", { maxAttempts: 1 });
  return {
    bus,
    endpoint: server.endpoint,
    journal,
    archive,
    delivered,
    warnings,
    client,
    close: async () => {
      client.destroy();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
