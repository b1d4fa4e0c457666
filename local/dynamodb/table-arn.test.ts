/**
 * A table ARN wherever DynamoDB accepts `TableName` (API reference: "You can also provide the
 * Amazon Resource Name (ARN) of the table in this parameter"), and answers that echo what the
 * caller wrote: `BatchGetItem` `Responses` are "a map of table name or table ARN to a list of
 * items", `ConsumedCapacity.TableName` is the ARN when the input named the table by ARN.
 */
import { DescribeTableCommand, ResourceNotFoundException } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tables } from "../../functions/common/tables.ts";
import { startLocalDynamo, type LocalDynamo } from "./index.ts";
import { clientsFor, type Clients } from "../../test/support/dynamodb.ts";

let dynamo: LocalDynamo;
let sdk: Clients;
let name: string;
let arn: string;

beforeAll(async () => {
  dynamo = await startLocalDynamo({ ttlSweepIntervalMs: 0 });
  name = (await dynamo.createTables({ loyalty: tables.loyalty }, "arn")).loyalty;
  sdk = clientsFor(dynamo.endpoint);
  arn = (await sdk.client.send(new DescribeTableCommand({ TableName: name }))).Table!.TableArn!;
});

afterAll(async () => {
  sdk?.client.destroy();
  await dynamo?.close();
});

describe("a table ARN as TableName", () => {
  it("is the table's own ARN, and DescribeTable by ARN answers with the name", async () => {
    // Act
    const { Table } = await sdk.client.send(new DescribeTableCommand({ TableName: arn }));

    // Assert
    expect(arn).toMatch(/^arn:aws:dynamodb:[a-z0-9-]+:\d{12}:table\/arn-loyalty$/);
    expect(Table).toMatchObject({ TableName: name, TableArn: arn });
  });

  it("works for single-item writes and reads, Query and Scan, with ConsumedCapacity naming the ARN", async () => {
    // Act
    const put = await sdk.documents.send(new PutCommand({ TableName: arn, Item: { pk: "c1", sk: "balance", points: 1 }, ReturnConsumedCapacity: "TOTAL" }));
    await sdk.documents.send(new UpdateCommand({ TableName: arn, Key: { pk: "c1", sk: "balance" }, UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": 2 } }));
    const byArn = await sdk.documents.send(new GetCommand({ TableName: arn, Key: { pk: "c1", sk: "balance" }, ReturnConsumedCapacity: "TOTAL" }));
    const byName = await sdk.documents.send(new GetCommand({ TableName: name, Key: { pk: "c1", sk: "balance" }, ReturnConsumedCapacity: "TOTAL" }));
    const query = await sdk.documents.send(new QueryCommand({ TableName: arn, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": "c1" } }));
    const scan = await sdk.documents.send(new ScanCommand({ TableName: arn }));
    await sdk.documents.send(new DeleteCommand({ TableName: arn, Key: { pk: "c1", sk: "balance" } }));
    const gone = await sdk.documents.send(new GetCommand({ TableName: name, Key: { pk: "c1", sk: "balance" } }));

    // Assert
    expect(put.ConsumedCapacity?.TableName).toBe(arn);
    expect(byArn.Item).toEqual({ pk: "c1", sk: "balance", points: 3 });
    expect(byArn.ConsumedCapacity?.TableName).toBe(arn);
    expect(byName.ConsumedCapacity?.TableName).toBe(name);
    expect(query.Items).toEqual([{ pk: "c1", sk: "balance", points: 3 }]);
    expect(scan.Items).toContainEqual({ pk: "c1", sk: "balance", points: 3 });
    expect(gone.Item).toBeUndefined();
  });

  it("works as a key of BatchWriteItem and BatchGetItem, whose answers are keyed as the request was", async () => {
    // Act
    const written = await sdk.documents.send(
      new BatchWriteCommand({ RequestItems: { [arn]: [{ PutRequest: { Item: { pk: "c2", sk: "a" } } }, { PutRequest: { Item: { pk: "c2", sk: "b" } } }] } }),
    );
    const read = await sdk.documents.send(
      new BatchGetCommand({ RequestItems: { [arn]: { Keys: [{ pk: "c2", sk: "a" }, { pk: "c2", sk: "b" }] } }, ReturnConsumedCapacity: "TOTAL" }),
    );

    // Assert
    expect(written.UnprocessedItems).toEqual({});
    expect(Object.keys(read.Responses ?? {})).toEqual([arn]);
    expect(read.Responses?.[arn]).toHaveLength(2);
    expect(read.ConsumedCapacity?.map((capacity) => capacity.TableName)).toEqual([arn]);
  });

  it("works in TransactWriteItems (conditions included) and TransactGetItems", async () => {
    // Arrange
    const accrual = (purchase: string) =>
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: arn, Item: { pk: "c3", sk: `ledger#${purchase}`, points: 5 }, ConditionExpression: "attribute_not_exists(pk)" } },
          { Update: { TableName: name, Key: { pk: "c3", sk: "balance" }, UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": 5 } } },
        ],
      });

    // Act
    await sdk.documents.send(accrual("p1"));
    const [duplicate] = await Promise.allSettled([sdk.documents.send(accrual("p1"))]);
    const { Responses } = await sdk.documents.send(
      new TransactGetCommand({ TransactItems: [{ Get: { TableName: arn, Key: { pk: "c3", sk: "balance" } } }, { Get: { TableName: arn, Key: { pk: "c3", sk: "ledger#p1" } } }] }),
    );

    // Assert
    expect(duplicate).toMatchObject({ status: "rejected", reason: { name: "TransactionCanceledException", CancellationReasons: [{ Code: "ConditionalCheckFailed" }, { Code: "None" }] } });
    expect(Responses?.map((response) => response.Item?.points)).toEqual([5, 5]);
  });

  it("refuses a name and its ARN for one item in one transaction, as two operations on one item", async () => {
    // Act
    const outcome = sdk.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: arn, Item: { pk: "c4", sk: "balance" } } },
          { Update: { TableName: name, Key: { pk: "c4", sk: "balance" }, UpdateExpression: "SET x = :x", ExpressionAttributeValues: { ":x": 1 } } },
        ],
      }),
    );

    // Assert
    await expect(outcome).rejects.toMatchObject({ name: "ValidationException", message: "Transaction request cannot include multiple operations on one item" });
  });

  it("of another account or region names no table here", async () => {
    // Arrange
    const [, partition, service, region, account, resource] = arn.split(":");
    const otherAccount = ["arn", partition, service, region, "999999999999", resource].join(":");
    const otherRegion = ["arn", partition, service, region === "eu-west-1" ? "us-east-1" : "eu-west-1", account, resource].join(":");

    // Act
    const outcomes = await Promise.allSettled([
      sdk.documents.send(new GetCommand({ TableName: otherAccount, Key: { pk: "c1", sk: "balance" } })),
      sdk.client.send(new DescribeTableCommand({ TableName: otherRegion })),
    ]);

    // Assert
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("rejected");
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ResourceNotFoundException);
    }
  });
});
