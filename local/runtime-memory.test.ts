import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

  it("runs each function in at most the execution environments it was given, and each queue's mapping no more batches at once", () => {
    // Assert
    expect(runtime.lambda.maxEnvironmentsPerFunction).toBe(1);
  });
});
