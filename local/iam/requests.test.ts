/**
 * Request → IAM authorizations, for every API the shipped functions call (DynamoDB item and batch
 * calls, transactions, SES v1/v2, SNS, Step Functions, EventBridge) and SQS.
 */
import { describe, expect, it } from "vitest";
import { authorizationsOf, UnreadableRequestError, type AwsRequest, type RequestContext } from "./requests.ts";

const ctx: RequestContext = {
  region: "us-east-1",
  accountId: "000000000000",
  partitionKeyOf: (table) => ({ "paybus-loyalty": "pk", "paybus-idempotency": "id" })[table],
  sesIdentityOf: (address) => (address.endsWith("@example.com") ? "example.com" : undefined),
  taskTokenStateMachine: (token) => (token === "tok-1" ? "arn:aws:states:us-east-1:000000000000:stateMachine:paybus-engagement" : undefined),
};
const LOYALTY = "arn:aws:dynamodb:us-east-1:000000000000:table/paybus-loyalty";
const URL_ = new URL("http://127.0.0.1:4010/");

const json = (service: AwsRequest["service"], target: string, body: unknown): AwsRequest => ({
  service,
  protocol: "json",
  target,
  method: "POST",
  url: URL_,
  body: Buffer.from(JSON.stringify(body)),
});
const ddb = (operation: string, body: unknown) => authorizationsOf(json("dynamodb", `DynamoDB_20120810.${operation}`, body), ctx);
const query = (service: AwsRequest["service"], form: Record<string, string>) =>
  authorizationsOf({ service, protocol: "query", method: "POST", url: URL_, body: Buffer.from(new URLSearchParams(form).toString()) }, ctx);

describe("DynamoDB", () => {
  it("item actions: the table ARN and the partition key as LeadingKeys", () => {
    expect(ddb("GetItem", { TableName: "paybus-loyalty", Key: { pk: { S: "CUSTOMER#cus_1" }, sk: { S: "x" } } })).toEqual([
      { action: "dynamodb:GetItem", resource: LOYALTY, context: { "dynamodb:LeadingKeys": ["CUSTOMER#cus_1"] } },
    ]);
    expect(ddb("PutItem", { TableName: "paybus-loyalty", Item: { pk: { S: "PURCHASE#pi_1" }, n: { N: "1" } } })[0]!.context).toEqual({ "dynamodb:LeadingKeys": ["PURCHASE#pi_1"] });
    expect(ddb("UpdateItem", { TableName: "paybus-loyalty", Key: { pk: { S: "A" } } })[0]!.action).toBe("dynamodb:UpdateItem");
    expect(ddb("DeleteItem", { TableName: "paybus-loyalty", Key: { pk: { S: "A" } } })[0]!.action).toBe("dynamodb:DeleteItem");
    // The table's own key attribute (Powertools' idempotency table keys on `id`).
    expect(ddb("PutItem", { TableName: "paybus-idempotency", Item: { id: { S: "devices.register#1" } } })[0]!.context).toEqual({ "dynamodb:LeadingKeys": ["devices.register#1"] });
  });

  it("Query: the partition key from the key condition (plain or #alias, either side), the index ARN for an index", () => {
    const q = (body: object) => ddb("Query", { TableName: "paybus-loyalty", ...body })[0]!;
    expect(q({ KeyConditionExpression: "pk = :p AND sk < :s", ExpressionAttributeValues: { ":p": { S: "FOLLOWUP" }, ":s": { S: "2" } } })).toEqual({
      action: "dynamodb:Query",
      resource: LOYALTY,
      context: { "dynamodb:LeadingKeys": ["FOLLOWUP"] },
    });
    expect(q({ KeyConditionExpression: "#k = :p", ExpressionAttributeNames: { "#k": "pk" }, ExpressionAttributeValues: { ":p": { S: "FOLLOWUP" } } }).context).toEqual({
      "dynamodb:LeadingKeys": ["FOLLOWUP"],
    });
    expect(q({ KeyConditionExpression: ":p = pk", ExpressionAttributeValues: { ":p": { S: "X" } } }).context).toEqual({ "dynamodb:LeadingKeys": ["X"] });
    expect(q({ IndexName: "byDate", KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: "X" } } }).resource).toBe(`${LOYALTY}/index/byDate`);
    expect(q({ KeyConditions: { pk: { ComparisonOperator: "EQ", AttributeValueList: [{ S: "Y" }] } } }).context).toEqual({ "dynamodb:LeadingKeys": ["Y"] });
  });

  it("a key it cannot read stays in LeadingKeys as a value no prefix pattern matches (never widens ForAllValues)", () => {
    const [check] = ddb("Query", { TableName: "paybus-loyalty", KeyConditionExpression: "begins_with(sk, :s)", ExpressionAttributeValues: { ":s": { S: "a" } } });
    expect((check!.context!["dynamodb:LeadingKeys"] as string[]).length).toBe(1);
    expect((check!.context!["dynamodb:LeadingKeys"] as string[])[0]).not.toMatch(/^[A-Za-z]/);
  });

  it("BatchGetItem and BatchWriteItem: one authorization per table, every key of that table in LeadingKeys", () => {
    expect(
      ddb("BatchGetItem", {
        RequestItems: {
          "paybus-loyalty": { Keys: [{ pk: { S: "CUSTOMER#1" } }, { pk: { S: "CUSTOMER#2" } }] },
          "paybus-idempotency": { Keys: [{ id: { S: "k" } }] },
        },
      }),
    ).toEqual([
      { action: "dynamodb:BatchGetItem", resource: LOYALTY, context: { "dynamodb:LeadingKeys": ["CUSTOMER#1", "CUSTOMER#2"] } },
      { action: "dynamodb:BatchGetItem", resource: "arn:aws:dynamodb:us-east-1:000000000000:table/paybus-idempotency", context: { "dynamodb:LeadingKeys": ["k"] } },
    ]);
    expect(
      ddb("BatchWriteItem", { RequestItems: { "paybus-loyalty": [{ PutRequest: { Item: { pk: { S: "A" } } } }, { DeleteRequest: { Key: { pk: { S: "B" } } } }] } }),
    ).toEqual([{ action: "dynamodb:BatchWriteItem", resource: LOYALTY, context: { "dynamodb:LeadingKeys": ["A", "B"] } }]);
  });

  it("transactions: each item authorized as its own action (ConditionCheck → ConditionCheckItem), with its own key", () => {
    expect(
      ddb("TransactWriteItems", {
        TransactItems: [
          { Put: { TableName: "paybus-loyalty", Item: { pk: { S: "PURCHASE#1" } } } },
          { Update: { TableName: "paybus-loyalty", Key: { pk: { S: "CUSTOMER#1" } } } },
          { Delete: { TableName: "paybus-loyalty", Key: { pk: { S: "X" } } } },
          { ConditionCheck: { TableName: "paybus-loyalty", Key: { pk: { S: "Y" } }, ConditionExpression: "attribute_exists(pk)" } },
        ],
      }).map((check) => [check.action, check.context!["dynamodb:LeadingKeys"]]),
    ).toEqual([
      ["dynamodb:PutItem", ["PURCHASE#1"]],
      ["dynamodb:UpdateItem", ["CUSTOMER#1"]],
      ["dynamodb:DeleteItem", ["X"]],
      ["dynamodb:ConditionCheckItem", ["Y"]],
    ]);
    expect(ddb("TransactGetItems", { TransactItems: [{ Get: { TableName: "paybus-loyalty", Key: { pk: { S: "Z" } } } }] })).toEqual([
      { action: "dynamodb:GetItem", resource: LOYALTY, context: { "dynamodb:LeadingKeys": ["Z"] } },
    ]);
  });

  it("other operations: the table ARN, or * without a table", () => {
    expect(ddb("Scan", { TableName: "paybus-loyalty" })).toEqual([{ action: "dynamodb:Scan", resource: LOYALTY }]);
    expect(ddb("ListTables", {})).toEqual([{ action: "dynamodb:ListTables", resource: "*" }]);
  });

  it("a body that is not JSON is left to the engine", () => {
    expect(() => authorizationsOf({ ...json("dynamodb", "DynamoDB_20120810.GetItem", {}), body: Buffer.from("{not json") }, ctx)).toThrow(UnreadableRequestError);
  });
});

describe("SES", () => {
  it("v1 SendEmail (query): the identity that verifies Source, ses:FromAddress the bare address", () => {
    expect(query("ses", { Action: "SendEmail", Source: "Billing <billing@example.com>", "Destination.ToAddresses.member.1": "a@b.c" })).toEqual([
      { action: "ses:SendEmail", resource: "arn:aws:ses:us-east-1:000000000000:identity/example.com", context: { "ses:FromAddress": "billing@example.com" } },
    ]);
  });

  it("v2 SendEmail (REST): FromEmailAddress", () => {
    const checks = authorizationsOf(
      { service: "ses", protocol: "rest", method: "POST", url: new URL("http://127.0.0.1/v2/email/outbound-emails"), body: Buffer.from(JSON.stringify({ FromEmailAddress: "rewards@example.com" })) },
      ctx,
    );
    expect(checks).toEqual([{ action: "ses:SendEmail", resource: "arn:aws:ses:us-east-1:000000000000:identity/example.com", context: { "ses:FromAddress": "rewards@example.com" } }]);
  });
});

describe("SNS, Step Functions, EventBridge, SQS", () => {
  it("SNS: Publish on its target, CreatePlatformEndpoint on the application, endpoint calls on the endpoint", () => {
    const endpoint = "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/paybus-app/1";
    const application = "arn:aws:sns:us-east-1:000000000000:app/GCM/paybus-app";
    expect(query("sns", { Action: "Publish", TargetArn: endpoint, Message: "m" })).toEqual([{ action: "sns:Publish", resource: endpoint }]);
    expect(query("sns", { Action: "CreatePlatformEndpoint", PlatformApplicationArn: application, Token: "t" })).toEqual([{ action: "sns:CreatePlatformEndpoint", resource: application }]);
    expect(query("sns", { Action: "SetEndpointAttributes", EndpointArn: endpoint })).toEqual([{ action: "sns:SetEndpointAttributes", resource: endpoint }]);
    expect(query("sns", { Action: "DeleteEndpoint", EndpointArn: endpoint })).toEqual([{ action: "sns:DeleteEndpoint", resource: endpoint }]);
  });

  it("Step Functions: StartExecution on the machine, SendTaskSuccess on the token's machine (unknown token: no resource)", () => {
    const machine = "arn:aws:states:us-east-1:000000000000:stateMachine:paybus-engagement";
    expect(authorizationsOf(json("states", "AWSStepFunctions.StartExecution", { stateMachineArn: machine, input: "{}" }), ctx)).toEqual([{ action: "states:StartExecution", resource: machine }]);
    expect(authorizationsOf(json("states", "AWSStepFunctions.SendTaskSuccess", { taskToken: "tok-1", output: "{}" }), ctx)).toEqual([{ action: "states:SendTaskSuccess", resource: machine }]);
    expect(authorizationsOf(json("states", "AWSStepFunctions.SendTaskSuccess", { taskToken: "gone", output: "{}" }), ctx)).toEqual([{ action: "states:SendTaskSuccess", resource: undefined }]);
  });

  it("EventBridge PutEvents: once per bus its entries name, the default bus when they name none", () => {
    expect(
      authorizationsOf(
        json("events", "AWSEvents.PutEvents", { Entries: [{ EventBusName: "paybus-bus" }, { EventBusName: "arn:aws:events:us-east-1:000000000000:event-bus/paybus-bus" }, {}] }),
        ctx,
      ),
    ).toEqual([
      { action: "events:PutEvents", resource: "arn:aws:events:us-east-1:000000000000:event-bus/paybus-bus" },
      { action: "events:PutEvents", resource: "arn:aws:events:us-east-1:000000000000:event-bus/default" },
    ]);
  });

  it("SQS: the queue ARN from the queue URL (JSON and query protocols)", () => {
    const arn = "arn:aws:sqs:us-east-1:000000000000:paybus-loyalty";
    expect(authorizationsOf(json("sqs", "AmazonSQS.SendMessage", { QueueUrl: "http://127.0.0.1:4010/000000000000/paybus-loyalty", MessageBody: "x" }), ctx)).toEqual([{ action: "sqs:SendMessage", resource: arn }]);
    expect(query("sqs", { Action: "SendMessage", QueueUrl: "http://127.0.0.1:4010/000000000000/paybus-loyalty" })).toEqual([{ action: "sqs:SendMessage", resource: arn }]);
  });
});
