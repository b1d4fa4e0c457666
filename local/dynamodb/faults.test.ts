import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tables } from "../../functions/common/tables.ts";
import { rateFaults, startLocalDynamo, type LocalDynamo } from "./index.ts";
import { clientsFor, type Clients } from "../../test/support/dynamodb.ts";

describe("rateFaults", () => {
  it("fails the same requests for the same seed", () => {
    // Arrange
    const decisions = (seed: number) => {
      const faults = rateFaults({ rate: 0.3, code: "ThrottlingException", seed });
      return Array.from({ length: 200 }, () => faults.decide("UpdateItem", {}) !== undefined);
    };

    // Act
    const first = decisions(7);
    const second = decisions(7);

    // Assert
    expect(first).toEqual(second);
    expect(first.filter(Boolean).length).toBeGreaterThan(30);
    expect(first.filter(Boolean).length).toBeLessThan(90);
  });

  it("fails only the listed operations, with DynamoDB's message", () => {
    // Arrange
    const faults = rateFaults({ rate: 1, operations: ["PutItem"], code: "ProvisionedThroughputExceededException", seed: 1 });

    // Act
    const onPut = faults.decide("PutItem", {});
    const onGet = faults.decide("GetItem", {});

    // Assert
    expect(onPut).toEqual({
      code: "ProvisionedThroughputExceededException",
      status: 400,
      message: expect.stringContaining("provisioned throughput for the table was exceeded"),
    });
    expect(onGet).toBeUndefined();
  });

  it("refuses a rate outside [0, 1]", () => {
    // Act
    const create = () => rateFaults({ rate: 1.5, code: "ThrottlingException", seed: 1 });

    // Assert
    expect(create).toThrow(RangeError);
  });
});

describe("fault injection through the endpoint", () => {
  let dynamo: LocalDynamo;
  let sdk: Clients;
  let loyalty: string;

  beforeAll(async () => {
    dynamo = await startLocalDynamo({
      ttlSweepIntervalMs: 0,
      faults: rateFaults({ rate: 0.3, operations: ["UpdateItem", "TransactWriteItems"], code: "ThrottlingException", seed: 42 }),
    });
    ({ loyalty } = await dynamo.createTables(tables, "faults"));
    // One attempt per call: the test counts failures itself instead of waiting for SDK backoff.
    sdk = clientsFor(dynamo.endpoint, { maxAttempts: 1 });
  });

  afterAll(async () => {
    sdk?.client.destroy();
    await dynamo?.close();
  });

  it("fails the chosen share of requests without applying them", async () => {
    // Arrange
    const key = { pk: "throttled", sk: "balance" };
    const add = new UpdateCommand({ TableName: loyalty, Key: key, UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": 1 } });
    let throttled = 0;

    // Act: 100 successful ADDs, retrying every throttled attempt.
    for (let done = 0; done < 100; ) {
      try {
        await sdk.documents.send(add);
        done++;
      } catch (error) {
        expect(error).toMatchObject({ name: "ThrottlingException", $metadata: { httpStatusCode: 400 } });
        throttled++;
      }
    }

    // Assert
    const { Item } = await sdk.documents.send(new GetCommand({ TableName: loyalty, Key: key }));
    expect(Item?.points).toBe(100);
    expect(throttled).toBeGreaterThan(0);
    expect(dynamo.stats()).toMatchObject({ faultsInjected: throttled, requests: { UpdateItem: 100 + throttled } });
  });

  it("leaves other operations alone", async () => {
    // Act
    for (let i = 0; i < 20; i++) await sdk.documents.send(new PutCommand({ TableName: loyalty, Item: { pk: "free", sk: `${i}` } }));

    // Assert
    expect(dynamo.stats().requests.PutItem).toBe(20);
  });

  it("fails a throttled transaction as a whole", async () => {
    // Arrange
    const transaction = (n: number) =>
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: loyalty, Item: { pk: "tx", sk: `ledger#${n}` } } },
          { Update: { TableName: loyalty, Key: { pk: "tx", sk: "balance" }, UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": 1 } } },
        ],
      });

    // Act
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, (_, n) => sdk.documents.send(transaction(n))));

    // Assert
    const committed = outcomes.filter((outcome) => outcome.status === "fulfilled").length;
    expect(committed).toBeLessThan(40);
    const { Item } = await sdk.documents.send(new GetCommand({ TableName: loyalty, Key: { pk: "tx", sk: "balance" } }));
    expect(Item?.points).toBe(committed);
  });
});
