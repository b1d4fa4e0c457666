/**
 * Test support: the local runtime's EventBridge bus (no rules) on a loopback port, reached with the
 * real `@aws-sdk/client-eventbridge`, keeping every event it accepted (its archive) for assertions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { Archive } from "../../local/archive.ts";
import { answerAwsJson, readBody } from "../../local/aws-json.ts";
import { LocalEventBus } from "../../local/eventbridge.ts";
import { Journal } from "../../local/journal.ts";
import { LOCAL_AWS } from "./loyalty-engines.ts";

export interface LocalBus {
  readonly name: string;
  readonly endpoint: string;
  readonly client: EventBridgeClient;
  /** Every event the bus accepted, oldest first, as targets would receive them. */
  events(): Array<{ id: string; source: string; "detail-type": string; detail: Record<string, any> }>;
  close(): Promise<void>;
}

export async function startLocalBus(name = "paybus-test"): Promise<LocalBus> {
  const dir = mkdtempSync(join(tmpdir(), "paybus-bus-"));
  const archive = new Archive(join(dir, "archive.jsonl"));
  const bus = new LocalEventBus({ name, region: LOCAL_AWS.region, accountId: "000000000000", rules: [], targets: () => { throw new Error("no rules"); }, journal: new Journal(), archive });
  const server: Server = createServer((req, res) => {
    void readBody(req).then((body) => answerAwsJson(res, String(req.headers["x-amz-target"] ?? "").replace(/^AWSEvents\./, ""), body, bus.operations(), "application/x-amz-json-1.1", "events"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new EventBridgeClient({ ...LOCAL_AWS, endpoint });
  return {
    name,
    endpoint,
    client,
    events: () => archive.read().map((archived) => JSON.parse(archived.event)),
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
