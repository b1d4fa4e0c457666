import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { adminClient } from "../../local/admin-client.ts";
import { startLocalDynamo, type LocalDynamo } from "../../local/dynamodb/index.ts";
import { dynamo, dynamoClient } from "./clients/dynamodb.ts";
import { tables } from "./tables.ts";

let engine: LocalDynamo;
let names: { loyalty: string; profiles: string };
let admin: DynamoDBClient;

beforeAll(async () => {
  engine = await startLocalDynamo({ port: 0, ttlSweepIntervalMs: 0 });
  names = await engine.createTables({ loyalty: tables.loyalty, profiles: tables.profiles }, "test");
  admin = adminClient(DynamoDBClient, engine.endpoint, "us-east-1");
  // The shared clients read their endpoint, region and credentials from the environment, as in Lambda.
  vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", engine.endpoint);
  vi.stubEnv("AWS_REGION", "us-east-1");
  vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
});

afterAll(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  admin?.destroy();
  await engine?.close();
});

/** An item as stored, read with a low-level client (no document client involved). */
async function stored(table: string, key: Record<string, string>): Promise<Record<string, unknown> | undefined> {
  const wireKey = Object.fromEntries(Object.entries(key).map(([name, value]) => [name, { S: value }]));
  const { Item } = await admin.send(new GetItemCommand({ TableName: table, Key: wireKey, ConsistentRead: true }));
  return Item;
}

describe("why the document client cannot take the SDK's cacheMiddleware", () => {
  it("lib-dynamodb refuses the option, and with it set afterwards every command of a class sends the first one's input", async () => {
    // Arrange
    expect(() => DynamoDBDocumentClient.from(new DynamoDBClient({ cacheMiddleware: true, region: "us-east-1" }))).toThrow(/cacheMiddleware/);
    const base = adminClient(DynamoDBClient, engine.endpoint, "us-east-1");
    const documents = DynamoDBDocumentClient.from(base);
    // The document client shares its configuration object with the base client.
    (base.config as { cacheMiddleware?: boolean }).cacheMiddleware = true;

    try {
      // Act
      for (const id of ["stale-a", "stale-b"]) {
        await documents.send(new UpdateCommand({ TableName: names.profiles, Key: { pk: id }, UpdateExpression: "SET v = :v", ExpressionAttributeValues: { ":v": id } }));
      }

      // Assert: the second update wrote the first one's item again; its own item does not exist.
      expect(await stored(names.profiles, { pk: "stale-a" })).toEqual({ pk: { S: "stale-a" }, v: { S: "stale-a" } });
      expect(await stored(names.profiles, { pk: "stale-b" })).toBeUndefined();
    } finally {
      base.destroy();
    }
  });
});

describe("the functions' document client (dynamo())", () => {
  it("sends each command's own input and returns its own output, for every command class the functions use", async () => {
    // Arrange
    const client = dynamo();
    const T = names.loyalty;

    // Act: two different commands of each class in a row.
    for (const [pk, n] of [["CUSTOMER#one", 1], ["CUSTOMER#two", 2]] as const) {
      await client.send(new PutCommand({ TableName: T, Item: { pk, sk: "BALANCE", points: n, skipped: undefined } }));
    }
    const updated = [];
    for (const [pk, n] of [["CUSTOMER#one", 10], ["CUSTOMER#two", 20]] as const) {
      updated.push(
        await client.send(
          new UpdateCommand({ TableName: T, Key: { pk, sk: "BALANCE" }, UpdateExpression: "ADD points :n SET tags = :tags", ExpressionAttributeValues: { ":n": n, ":tags": [pk] }, ReturnValues: "ALL_NEW" }),
        ),
      );
    }
    const got = [];
    for (const pk of ["CUSTOMER#one", "CUSTOMER#two"]) got.push(await client.send(new GetCommand({ TableName: T, Key: { pk, sk: "BALANCE" }, ConsistentRead: true })));
    await client.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: T, Item: { pk: "CUSTOMER#one", sk: "ENTRY#1", points: 5 } } }] }));
    await client.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: T, Item: { pk: "CUSTOMER#two", sk: "ENTRY#1", points: 7 } } }] }));
    const queried = [];
    for (const pk of ["CUSTOMER#one", "CUSTOMER#two"]) {
      queried.push(await client.send(new QueryCommand({ TableName: T, KeyConditionExpression: "pk = :pk AND begins_with(sk, :entry)", ExpressionAttributeValues: { ":pk": pk, ":entry": "ENTRY#" } })));
    }
    const pairs = [];
    for (const pk of ["CUSTOMER#two", "CUSTOMER#one"]) pairs.push(await client.send(new TransactGetCommand({ TransactItems: [{ Get: { TableName: T, Key: { pk, sk: "BALANCE" } } }] })));
    await client.send(new DeleteCommand({ TableName: T, Key: { pk: "CUSTOMER#one", sk: "ENTRY#1" } }));
    await client.send(new DeleteCommand({ TableName: T, Key: { pk: "CUSTOMER#two", sk: "ENTRY#1" } }));

    // Assert: every write landed on its own item, every read answered its own key, in native values.
    expect(updated.map((answer) => answer.Attributes)).toEqual([
      { pk: "CUSTOMER#one", sk: "BALANCE", points: 11, tags: ["CUSTOMER#one"] },
      { pk: "CUSTOMER#two", sk: "BALANCE", points: 22, tags: ["CUSTOMER#two"] },
    ]);
    expect(got.map((answer) => answer.Item)).toEqual(updated.map((answer) => answer.Attributes));
    expect(queried.map((answer) => answer.Items)).toEqual([
      [{ pk: "CUSTOMER#one", sk: "ENTRY#1", points: 5 }],
      [{ pk: "CUSTOMER#two", sk: "ENTRY#1", points: 7 }],
    ]);
    expect(pairs.map((answer) => answer.Responses?.[0]?.Item?.points)).toEqual([22, 11]);
    expect(await stored(T, { pk: "CUSTOMER#one", sk: "ENTRY#1" })).toBeUndefined();
    expect(await stored(T, { pk: "CUSTOMER#two", sk: "ENTRY#1" })).toBeUndefined();
  });

  it("keeps each input apart with many commands of one class in flight, and after a failed one", async () => {
    // Arrange
    const client = dynamo();
    const T = names.profiles;
    const ids = Array.from({ length: 40 }, (_, i) => `inflight-${i}`);
    await client.send(new PutCommand({ TableName: T, Item: { pk: "inflight-taken", v: "first" } }));

    // Act: a conditional write that fails, then 40 different updates at once.
    const refused = await client
      .send(new PutCommand({ TableName: T, Item: { pk: "inflight-taken", v: "second" }, ConditionExpression: "attribute_not_exists(pk)" }))
      .then(() => "written", (error: Error) => error.name);
    await Promise.all(ids.map((id, i) => client.send(new UpdateCommand({ TableName: T, Key: { pk: id }, UpdateExpression: "SET v = :v, n = :n", ExpressionAttributeValues: { ":v": id, ":n": i } }))));

    // Assert
    expect(refused).toBe("ConditionalCheckFailedException");
    expect(await stored(T, { pk: "inflight-taken" })).toEqual({ pk: { S: "inflight-taken" }, v: { S: "first" } });
    const items = await Promise.all(ids.map((id) => stored(T, { pk: id })));
    expect(items).toEqual(ids.map((id, i) => ({ pk: { S: id }, v: { S: id }, n: { N: String(i) } })));
  });

  it("runs the middleware a command carries of its own, even once its class's chain is cached", async () => {
    // Arrange
    const client = dynamo();
    await client.send(new GetCommand({ TableName: names.profiles, Key: { pk: "own-middleware" } }));
    const seen: string[] = [];
    const command = new GetCommand({ TableName: names.profiles, Key: { pk: "own-middleware" } });
    command.middlewareStack.add((next) => async (args) => (seen.push("own middleware"), next(args)), { step: "initialize", name: "ownMiddleware", override: true });

    // Act
    await client.send(command);

    // Assert
    expect(seen).toEqual(["own middleware"]);
  });

  it("builds a command class's middleware chain once, not on every call", async () => {
    // Arrange
    const client = dynamo();
    await client.send(new UpdateCommand({ TableName: names.profiles, Key: { pk: "chain-0" }, UpdateExpression: "SET v = :v", ExpressionAttributeValues: { ":v": 0 } }));
    const resolutions = vi.spyOn(UpdateItemCommand.prototype, "resolveMiddleware");

    // Act
    for (let i = 1; i <= 5; i++) {
      await client.send(new UpdateCommand({ TableName: names.profiles, Key: { pk: `chain-${i}` }, UpdateExpression: "SET v = :v", ExpressionAttributeValues: { ":v": i } }));
    }

    // Assert
    expect(resolutions).not.toHaveBeenCalled();
    expect(await stored(names.profiles, { pk: "chain-5" })).toEqual({ pk: { S: "chain-5" }, v: { N: "5" } });
    resolutions.mockRestore();
  });
});

describe("the plain clients (dynamoClient() and the others)", () => {
  it("build a command class's middleware chain once and still send each command's own input", async () => {
    // Arrange
    const client = dynamoClient();
    await client.send(new PutItemCommand({ TableName: names.profiles, Item: { pk: { S: "plain-0" } } }));
    const resolutions = vi.spyOn(PutItemCommand.prototype, "resolveMiddleware");

    // Act
    for (const id of ["plain-1", "plain-2"]) await client.send(new PutItemCommand({ TableName: names.profiles, Item: { pk: { S: id }, v: { S: id } } }));

    // Assert
    expect(resolutions).not.toHaveBeenCalled();
    expect(await stored(names.profiles, { pk: "plain-1" })).toEqual({ pk: { S: "plain-1" }, v: { S: "plain-1" } });
    expect(await stored(names.profiles, { pk: "plain-2" })).toEqual({ pk: { S: "plain-2" }, v: { S: "plain-2" } });
    resolutions.mockRestore();
  });
});
