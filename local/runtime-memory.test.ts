import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../fixtures/index.ts";
import { putProfile } from "../functions/common/profiles.ts";
import { clientsFor, type Clients } from "../test/support/dynamodb.ts";
import { Runtime } from "./runtime.ts";

let dataDir: string;
let runtime: Runtime;
let sdk: Clients;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "paybus-memory-"));
  // As `paybus backtest` starts it on a two-core machine (environmentsForCores).
  runtime = await Runtime.start({ dataDir, inMemory: true, port: 0, maxEnvironmentsPerFunction: 1 });
  sdk = clientsFor(runtime.endpoints.dynamodb);
});

afterAll(async () => {
  sdk?.client.destroy();
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a runtime in memory (paybus run, backtests)", () => {
  it("serves the declared tables and queues without writing them to the data directory", async () => {
    // Act
    await sdk.documents.send(new PutCommand({ TableName: runtime.tableNames.loyalty, Item: { pk: "CUSTOMER#m", sk: "BALANCE", points: 7 } }));
    const { Item } = await sdk.documents.send(new GetCommand({ TableName: runtime.tableNames.loyalty, Key: { pk: "CUSTOMER#m", sk: "BALANCE" } }));

    // Assert
    expect(Item).toMatchObject({ points: 7 });
    expect(existsSync(join(dataDir, "dynamodb"))).toBe(false);
    expect(readdirSync(dataDir)).not.toContain("dynamodb");
    expect(readdirSync(dataDir)).not.toContain("sqs");
  });

  it("keeps the outboxes, executions and the bus's deliveries in memory too: the data directory holds the archive and its lock only", async () => {
    // Arrange: customers with an address and a device, so that the events send an email, a push and start a workflow.
    const invoice = loadFixture("01");
    const purchase = loadFixture("03");
    for (const event of [invoice, purchase]) {
      const customerId = event.detail.data.object.customer as string;
      const endpoint = runtime.sns.createEndpoint(`${runtime.prefix}-app`, `token-${customerId}`);
      await putProfile({ customerId, email: `${customerId.toLowerCase()}@example.com`, pushEndpoints: [endpoint] }, runtime.profileTable);
    }

    // Act
    runtime.sendEnvelopes([invoice, purchase]);
    await runtime.waitForQuiet(60_000);

    // Assert: SES, SNS, Step Functions and the bus did their work…
    expect(runtime.journal.list("effect.email").length).toBeGreaterThan(0);
    expect(runtime.journal.list("effect.push").length).toBeGreaterThan(0);
    expect(runtime.journal.list("workflow.started").length).toBeGreaterThan(0);
    expect(runtime.journal.list("target.delivered").length).toBeGreaterThan(0);
    // …and wrote none of it to disk (a one-shot run throws it away): only the archive is kept.
    expect(readdirSync(dataDir).sort()).toEqual(["archive", "runtime.lock"]);
    expect(readdirSync(join(dataDir, "archive"))).toEqual([`${runtime.busName}.jsonl`]);
  }, 90_000);

  it("runs each function in at most the execution environments it was given, and each queue's mapping no more batches at once", () => {
    // Assert
    expect(runtime.lambda.maxEnvironmentsPerFunction).toBe(1);
  });
});
