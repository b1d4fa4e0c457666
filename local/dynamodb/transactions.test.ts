import { PutItemCommand, TransactionCanceledException, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactGetCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { tables } from "../../functions/common/tables.ts";
import { startLocalDynamo, type LocalDynamo } from "./index.ts";
import { clientsFor, type Clients } from "../../test/support/dynamodb.ts";

let dynamo: LocalDynamo;
let sdk: Clients;
let loyalty: string;
let profiles: string;
let clock = Date.parse("2026-01-01T00:00:00Z");
let customer = 0;
/** A fresh partition per test, so tests share one endpoint without sharing items. */
let pk: string;

beforeAll(async () => {
  dynamo = await startLocalDynamo({ now: () => clock, ttlSweepIntervalMs: 0 });
  ({ loyalty, profiles } = await dynamo.createTables(tables, "tx"));
  sdk = clientsFor(dynamo.endpoint);
});

afterAll(async () => {
  sdk?.client.destroy();
  await dynamo?.close();
});

beforeEach(() => {
  pk = `customer#${++customer}`;
});

/** The Put-ledger-entry + ADD-to-balance pair the loyalty accrual commits. */
function accrual(purchaseId: string, points: number, token?: string) {
  return new TransactWriteCommand({
    ClientRequestToken: token,
    TransactItems: [
      {
        Put: {
          TableName: loyalty,
          Item: { pk, sk: `ledger#${purchaseId}`, points },
          ConditionExpression: "attribute_not_exists(pk)",
        },
      },
      {
        Update: {
          TableName: loyalty,
          Key: { pk, sk: "balance" },
          UpdateExpression: "ADD points :n",
          ExpressionAttributeValues: { ":n": points },
        },
      },
    ],
  });
}

async function item(sk: string, key = pk): Promise<Record<string, unknown> | undefined> {
  return (await sdk.documents.send(new GetCommand({ TableName: loyalty, Key: { pk: key, sk } }))).Item;
}

async function balance(key = pk): Promise<unknown> {
  return (await item("balance", key))?.points;
}

describe("TransactWriteItems", () => {
  it("applies every item when all conditions hold", async () => {
    // Act
    await sdk.documents.send(accrual("p1", 40));

    // Assert
    expect(await item("ledger#p1")).toEqual({ pk, sk: "ledger#p1", points: 40 });
    expect(await balance()).toBe(40);
  });

  it("writes nothing when one condition fails, and says which", async () => {
    // Arrange
    await sdk.documents.send(new PutCommand({ TableName: loyalty, Item: { pk, sk: "balance", points: 5, tier: "gold" } }));
    const before = dynamo.stats().transactions.cancelled;

    // Act
    const outcome = sdk.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: loyalty, Item: { pk, sk: "ledger#p2", points: 7 } } },
          {
            Update: {
              TableName: loyalty,
              Key: { pk, sk: "balance" },
              UpdateExpression: "ADD points :n",
              ConditionExpression: "tier = :silver",
              ExpressionAttributeValues: { ":n": 7, ":silver": "silver" },
            },
          },
        ],
      }),
    );

    // Assert
    await expect(outcome).rejects.toMatchObject({
      name: "TransactionCanceledException",
      message: "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]",
      CancellationReasons: [{ Code: "None" }, { Code: "ConditionalCheckFailed", Message: "The conditional request failed" }],
    });
    expect(await item("ledger#p2")).toBeUndefined();
    expect(await balance()).toBe(5);
    expect(dynamo.stats().transactions.cancelled).toBe(before + 1);
  });

  it("reports every failed condition and returns the old item when asked (ALL_OLD)", async () => {
    // Arrange
    await sdk.client.send(new PutItemCommand({ TableName: loyalty, Item: { pk: { S: pk }, sk: { S: "ledger#p3" }, points: { N: "3" } } }));

    // Act
    const outcome = sdk.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: loyalty,
              Item: { pk: { S: pk }, sk: { S: "ledger#p3" }, points: { N: "9" } },
              ConditionExpression: "attribute_not_exists(pk)",
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
          },
          {
            ConditionCheck: {
              TableName: loyalty,
              Key: { pk: { S: pk }, sk: { S: "balance" } },
              ConditionExpression: "attribute_exists(pk)",
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
          },
        ],
      }),
    );

    // Assert
    const error = await outcome.catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    const reasons = (error as TransactionCanceledException).CancellationReasons;
    expect(reasons).toEqual([
      {
        Code: "ConditionalCheckFailed",
        Message: "The conditional request failed",
        Item: { pk: { S: pk }, sk: { S: "ledger#p3" }, points: { N: "3" } },
      },
      { Code: "ConditionalCheckFailed", Message: "The conditional request failed" },
    ]);
  });

  it("supports ConditionCheck and Delete alongside writes", async () => {
    // Arrange
    await sdk.documents.send(new PutCommand({ TableName: loyalty, Item: { pk, sk: "tier", tier: "gold" } }));
    await sdk.documents.send(new PutCommand({ TableName: loyalty, Item: { pk, sk: "ledger#old", points: 1 } }));

    // Act
    await sdk.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            ConditionCheck: {
              TableName: loyalty,
              Key: { pk, sk: "tier" },
              ConditionExpression: "#tier = :gold",
              ExpressionAttributeNames: { "#tier": "tier" },
              ExpressionAttributeValues: { ":gold": "gold" },
            },
          },
          { Delete: { TableName: loyalty, Key: { pk, sk: "ledger#old" }, ConditionExpression: "attribute_exists(pk)" } },
          { Put: { TableName: loyalty, Item: { pk, sk: "ledger#new", points: 2 } } },
        ],
      }),
    );

    // Assert
    expect(await item("ledger#old")).toBeUndefined();
    expect(await item("ledger#new")).toMatchObject({ points: 2 });
    expect(await item("tier")).toEqual({ pk, sk: "tier", tier: "gold" });
  });

  it("rolls back applied writes when a write fails on the item's contents", async () => {
    // Arrange: ADD to a string attribute passes validation and every condition, then fails.
    await sdk.documents.send(new PutCommand({ TableName: loyalty, Item: { pk, sk: "balance", points: "many" } }));
    await sdk.documents.send(new PutCommand({ TableName: loyalty, Item: { pk, sk: "ledger#kept", points: 1 } }));
    const before = dynamo.stats().transactions.rolledBack;

    // Act
    const outcome = sdk.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: loyalty, Item: { pk, sk: "ledger#p4", points: 4 } } },
          { Delete: { TableName: loyalty, Key: { pk, sk: "ledger#kept" } } },
          { Update: { TableName: loyalty, Key: { pk, sk: "balance" }, UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": 4 } } },
        ],
      }),
    );

    // Assert
    await expect(outcome).rejects.toMatchObject({
      name: "TransactionCanceledException",
      CancellationReasons: [{ Code: "None" }, { Code: "None" }, { Code: "ValidationError" }],
    });
    expect(await item("ledger#p4")).toBeUndefined();
    expect(await item("ledger#kept")).toEqual({ pk, sk: "ledger#kept", points: 1 });
    expect(await balance()).toBe("many");
    expect(dynamo.stats().transactions.rolledBack).toBe(before + 1);
  });

  it("applies a request once per ClientRequestToken", async () => {
    // Arrange
    const token = `token-${pk}`;
    await sdk.documents.send(accrual("p5", 10, token));
    const before = dynamo.stats().transactions.replayed;

    // Act: a retry of the committed request, whose Put condition would now fail if re-evaluated.
    await sdk.documents.send(accrual("p5", 10, token));

    // Assert
    expect(await balance()).toBe(10);
    expect(dynamo.stats().transactions.replayed).toBe(before + 1);
  });

  it("treats a token as new once its ten-minute window has passed", async () => {
    // Arrange
    const token = `token-${pk}`;
    await sdk.documents.send(accrual("p6", 10, token));
    clock += 11 * 60 * 1000;

    // Act
    const outcome = sdk.documents.send(accrual("p6", 10, token));

    // Assert: evaluated again, so the ledger entry's condition now fails.
    await expect(outcome).rejects.toMatchObject({ name: "TransactionCanceledException" });
  });

  it("rejects a token reused for a different request", async () => {
    // Arrange
    const token = `token-${pk}`;
    await sdk.documents.send(accrual("p7", 10, token));

    // Act
    const outcome = sdk.documents.send(accrual("p7", 11, token));

    // Assert
    await expect(outcome).rejects.toMatchObject({ name: "IdempotentParameterMismatchException" });
    expect(await balance()).toBe(10);
  });

  it("lets a cancelled request be retried with its token", async () => {
    // Arrange: the ledger entry exists, so the first attempt is cancelled; then it goes away.
    const token = `token-${pk}`;
    await sdk.documents.send(new PutCommand({ TableName: loyalty, Item: { pk, sk: "ledger#p8", points: 0 } }));
    await expect(sdk.documents.send(accrual("p8", 8, token))).rejects.toMatchObject({ name: "TransactionCanceledException" });
    await sdk.documents.send(new DeleteCommand({ TableName: loyalty, Key: { pk, sk: "ledger#p8" } }));

    // Act: same token, same request.
    await sdk.documents.send(accrual("p8", 8, token));

    // Assert
    expect(await balance()).toBe(8);
  });

  it.each<[string, object[], string]>([
    [
      "two operations on one item",
      [
        { Put: { TableName: "tx-loyalty", Item: { pk: "a", sk: "b" } } },
        { ConditionCheck: { TableName: "tx-loyalty", Key: { pk: "a", sk: "b" }, ConditionExpression: "attribute_exists(pk)" } },
      ],
      "Transaction request cannot include multiple operations on one item",
    ],
    [
      "more than 100 items",
      Array.from({ length: 101 }, (_, i) => ({ Put: { TableName: "tx-loyalty", Item: { pk: "many", sk: `${i}` } } })),
      "Member must have length less than or equal to 100",
    ],
    ["no items", [], "Member must have length greater than or equal to 1"],
    [
      "an item with two operations",
      [{ Put: { TableName: "tx-loyalty", Item: { pk: "a", sk: "b" } }, Delete: { TableName: "tx-loyalty", Key: { pk: "a", sk: "c" } } }],
      "TransactItems can only contain one of Check, Put, Update or Delete",
    ],
    [
      "a condition check without a condition",
      [{ ConditionCheck: { TableName: "tx-loyalty", Key: { pk: "a", sk: "b" } } }],
      "Value null at 'transactItems.1.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null",
    ],
    [
      "an unused expression value",
      [{ Put: { TableName: "tx-loyalty", Item: { pk: "a", sk: "b" }, ConditionExpression: "attribute_not_exists(pk)", ExpressionAttributeValues: { ":x": 1 } } }],
      "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}",
    ],
    [
      "an update of a key attribute",
      [{ Update: { TableName: "tx-loyalty", Key: { pk: "a", sk: "b" }, UpdateExpression: "SET sk = :s", ExpressionAttributeValues: { ":s": "c" } } }],
      "Cannot update attribute sk. This attribute is part of the key",
    ],
    [
      "an item missing its sort key",
      [{ Put: { TableName: "tx-loyalty", Item: { pk: "a" } } }],
      "Missing the key sk in the item",
    ],
  ])("rejects %s with a ValidationException, writing nothing", async (_case, TransactItems, message) => {
    // Act: some requests are malformed on purpose; what the SDK's types forbid, the wire carries.
    const outcome = sdk.documents.send(new TransactWriteCommand({ TransactItems: TransactItems as TransactWriteCommandInput["TransactItems"] }));

    // Assert
    await expect(outcome).rejects.toMatchObject({ name: "ValidationException", message: expect.stringContaining(message) });
    expect(await item("b", "a")).toBeUndefined();
    expect(await item("0", "many")).toBeUndefined();
  });

  it("rejects a transaction on a table that does not exist", async () => {
    // Act
    const outcome = sdk.documents.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: "tx-missing", Item: { pk } } }] }));

    // Assert
    await expect(outcome).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("keeps exactly-once accrual under 1,000 concurrent transactions with duplicates", async () => {
    // Arrange: 700 purchases; 150 redeliveries with fresh tokens (duplicates the ledger condition
    // must stop) and 150 retries with the original token (which must replay, not re-apply).
    const points = (purchase: number) => (purchase % 9) + 1;
    const purchases = Array.from({ length: 700 }, (_, i) => i);
    const commands = [
      ...purchases.map((p) => accrual(`p${p}`, points(p), `${pk}-${p}`)),
      ...purchases.slice(0, 150).map((p) => accrual(`p${p}`, points(p), `${pk}-${p}-redelivery`)),
      ...purchases.slice(150, 300).map((p) => accrual(`p${p}`, points(p), `${pk}-${p}`)),
    ];
    const before = dynamo.stats().transactions;

    // Act
    const outcomes = await Promise.allSettled(commands.map((command) => sdk.documents.send(command)));

    // Assert
    const rejected = outcomes.filter((outcome) => outcome.status === "rejected");
    expect(rejected).toHaveLength(150);
    for (const { reason } of rejected) {
      expect(reason).toMatchObject({ name: "TransactionCanceledException", CancellationReasons: [{ Code: "ConditionalCheckFailed" }, { Code: "None" }] });
    }
    expect(await balance()).toBe(purchases.reduce((sum, p) => sum + points(p), 0));
    const after = dynamo.stats().transactions;
    expect(after.committed - before.committed).toBe(700);
    expect(after.replayed - before.replayed).toBe(150);
    expect(after.cancelled - before.cancelled).toBe(150);
    // 1,000 transactions through the real SDK cost ~3 s of CPU (client and endpoint together: ~3 ms
    // each, `npm run bench -- dynamo`), and all of them queue on one balance item, one at a time as
    // in DynamoDB. On a shared 2-core machine under load this process gets a fraction of a core
    // (a tenth was measured with the suite running beside other work): 30 s and more.
  }, 120_000);

  it("is isolated: concurrent reads never see half a transfer", async () => {
    // Arrange: two accounts holding 100 points in total, and 150 transfers between them.
    const accounts = [`${pk}-a`, `${pk}-b`];
    for (const account of accounts) {
      await sdk.documents.send(new PutCommand({ TableName: loyalty, Item: { pk: account, sk: "balance", points: 50 } }));
    }
    const transfer = (from: string, to: string) =>
      new TransactWriteCommand({
        TransactItems: [
          { Update: { TableName: loyalty, Key: { pk: from, sk: "balance" }, UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": -1 } } },
          { Update: { TableName: loyalty, Key: { pk: to, sk: "balance" }, UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": 1 } } },
        ],
      });
    const readBoth = async () => {
      const { Responses } = await sdk.documents.send(
        new TransactGetCommand({ TransactItems: accounts.map((account) => ({ Get: { TableName: loyalty, Key: { pk: account, sk: "balance" } } })) }),
      );
      return (Responses ?? []).reduce((sum, response) => sum + Number(response.Item?.points), 0);
    };

    // Act
    const [, totals] = await Promise.all([
      Promise.all(Array.from({ length: 150 }, (_, i) => sdk.documents.send(i % 3 ? transfer(accounts[0]!, accounts[1]!) : transfer(accounts[1]!, accounts[0]!)))),
      Promise.all(Array.from({ length: 150 }, readBoth)),
    ]);

    // Assert
    expect(new Set(totals)).toEqual(new Set([100]));
    expect(await balance(accounts[1])).toBe(50 + 100 - 50);
  });
});

describe("TransactGetItems", () => {
  it("returns the items in request order, an empty response for a missing one", async () => {
    // Arrange
    await sdk.documents.send(new PutCommand({ TableName: loyalty, Item: { pk, sk: "balance", points: 1 } }));
    await sdk.documents.send(new PutCommand({ TableName: profiles, Item: { pk, email: "redacted@example.com", locale: "en" } }));

    // Act
    const { Responses } = await sdk.documents.send(
      new TransactGetCommand({
        TransactItems: [
          { Get: { TableName: profiles, Key: { pk }, ProjectionExpression: "locale" } },
          { Get: { TableName: loyalty, Key: { pk, sk: "missing" } } },
          { Get: { TableName: loyalty, Key: { pk, sk: "balance" } } },
        ],
      }),
    );

    // Assert
    expect(Responses).toEqual([{ Item: { locale: "en" } }, {}, { Item: { pk, sk: "balance", points: 1 } }]);
  });

  it("rejects two reads of one item", async () => {
    // Act
    const outcome = sdk.documents.send(
      new TransactGetCommand({ TransactItems: [{ Get: { TableName: profiles, Key: { pk } } }, { Get: { TableName: profiles, Key: { pk } } }] }),
    );

    // Assert
    await expect(outcome).rejects.toMatchObject({ name: "ValidationException", message: "Transaction request cannot include multiple operations on one item" });
  });
});

describe("single-item writes", () => {
  it("return the item that failed the condition when asked (ALL_OLD)", async () => {
    // Arrange
    await sdk.client.send(new PutItemCommand({ TableName: profiles, Item: { pk: { S: pk }, locale: { S: "fr" } } }));

    // Act
    const outcome = sdk.client.send(
      new PutItemCommand({
        TableName: profiles,
        Item: { pk: { S: pk }, locale: { S: "de" } },
        ConditionExpression: "attribute_not_exists(pk)",
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );

    // Assert
    await expect(outcome).rejects.toMatchObject({ name: "ConditionalCheckFailedException", Item: { pk: { S: pk }, locale: { S: "fr" } } });
  });
});
