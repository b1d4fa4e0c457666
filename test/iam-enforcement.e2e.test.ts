/**
 * Least privilege enforced locally (issue 15): real SDK clients signing with a function's own
 * credentials (`functionCredentials`) call the runtime's gateway, which checks each request against
 * the IAM statements the plan grants that function and refuses the rest as AWS does.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { SendEmailCommand, SESClient } from "@aws-sdk/client-ses";
import { SendEmailCommand as SendEmailV2Command, SESv2Client } from "@aws-sdk/client-sesv2";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { CreatePlatformEndpointCommand, DeleteEndpointCommand, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_CREDENTIALS, functionCredentials } from "../local/function-credentials.ts";
import type { Runtime } from "../local/runtime.ts";
import { startTestRuntime } from "./support/runtime.ts";

type AwsError = Error & { $metadata: { httpStatusCode?: number } };

let runtime: Runtime;
const clients: Array<{ destroy(): void }> = [];

/** SDK client options for the gateway, signed as `who` (a local function name, or the administrator). */
function as(who: string | "admin", accessKeyId?: string) {
  const credentials = who === "admin" ? ADMIN_CREDENTIALS : accessKeyId ? { accessKeyId, secretAccessKey: "whatever" } : functionCredentials(who);
  return { endpoint: runtime.gatewayUrl, region: "us-east-1", credentials, maxAttempts: 1 };
}
function track<T extends { destroy(): void }>(client: T): T {
  clients.push(client);
  return client;
}
const docs = (who: string, accessKeyId?: string) => track(DynamoDBDocumentClient.from(new DynamoDBClient(as(who, accessKeyId))));
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: AwsError) => error);

const LOYALTY_CONSUMER = "paybus-LoyaltyConsumer";
const NOTIFICATIONS_CONSUMER = "paybus-NotificationsConsumer";

beforeAll(async () => {
  runtime = await startTestRuntime({ dataDir: null, port: 0, timeScale: 0.01, workflowTimeScale: 0.0001, warn: () => {} });
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await runtime?.stop();
});

describe("a function signing with its own key", () => {
  it("is known by that key: every local function maps to its plan function", () => {
    expect(runtime.functions.size).toBeGreaterThan(5);
    for (const name of runtime.functions.keys()) {
      const principal = runtime.iam.principal(functionCredentials(name).accessKeyId);
      expect(principal, name).toBeDefined();
      expect(principal!.functionName).toBe(name);
      // A function declared with no access (a consumer fresh from `paybus new consumer`) has none.
      const planned = runtime.plan.functions.find((fn) => runtime.functionFor(fn.logicalName).name === name)!;
      if (planned.links.length > 0) expect(principal!.statements.length, name).toBeGreaterThan(0);
      else expect(principal!.statements, name).toEqual([]);
    }
  });

  it("may call what the plan grants it (loyalty consumer: UpdateItem on CUSTOMER# keys of the loyalty table)", async () => {
    const table = runtime.tableNames.loyalty;
    await docs(LOYALTY_CONSUMER).send(new UpdateCommand({ TableName: table, Key: { pk: "CUSTOMER#iam-e2e", sk: "BALANCE" }, UpdateExpression: "ADD points :p", ExpressionAttributeValues: { ":p": 5 } }));

    const { Item } = await docs("admin").send(new GetCommand({ TableName: table, Key: { pk: "CUSTOMER#iam-e2e", sk: "BALANCE" } }));
    expect(Item).toMatchObject({ points: 5 });
    expect(runtime.iam.decisionsOf(LOYALTY_CONSUMER)).toContainEqual(
      expect.objectContaining({ action: "dynamodb:UpdateItem", resource: `arn:aws:dynamodb:us-east-1:000000000000:table/${table}`, allowed: true }),
    );
  });

  it("is denied a table it was not granted, with AccessDeniedException as the SDK surfaces it", async () => {
    const table = runtime.tableNames.profiles;
    const error = await failure(docs(LOYALTY_CONSUMER).send(new GetCommand({ TableName: table, Key: { pk: "cus_1" } })));

    expect(error?.name).toBe("AccessDeniedException");
    expect(error?.$metadata.httpStatusCode).toBe(400);
    expect(error?.message).toMatch(
      new RegExp(`^User: arn:aws:sts::000000000000:assumed-role/[^/]+/${LOYALTY_CONSUMER} is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/${table} because no identity-based policy allows the dynamodb:GetItem action$`),
    );
    expect(runtime.iam.decisions.at(-1)).toMatchObject({ caller: LOYALTY_CONSUMER, action: "dynamodb:GetItem", allowed: false, enforced: true });
    // The developer is told which grant is missing, once.
    expect(runtime.warnings.filter((warning) => warning.startsWith(`IAM: denied: ${LOYALTY_CONSUMER} (LoyaltyConsumer) dynamodb:GetItem on arn:aws:dynamodb:us-east-1:000000000000:table/${table}`))).toHaveLength(1);
  });

  it("is denied a partition key outside its grant's dynamodb:LeadingKeys, and the item is not written", async () => {
    const table = runtime.tableNames.loyalty;
    // The loyalty consumer may PutItem only PURCHASE#, CUSTOMER# and LOTEXPIRY keys, not the workflow's ENGAGEMENT# ones.
    const error = await failure(docs(LOYALTY_CONSUMER).send(new PutCommand({ TableName: table, Item: { pk: "ENGAGEMENT#iam-put", sk: "STATE", points: 1 } })));
    expect(error?.name).toBe("AccessDeniedException");

    const { Item } = await docs("admin").send(new GetCommand({ TableName: table, Key: { pk: "ENGAGEMENT#iam-put", sk: "STATE" } }));
    expect(Item).toBeUndefined();
  });

  it("needs every item of a transaction allowed: one ungranted key denies the whole TransactWriteItems", async () => {
    const table = runtime.tableNames.loyalty;
    const put = (pk: string) => ({ Put: { TableName: table, Item: { pk, sk: "TX", n: 1 } } });
    await docs(LOYALTY_CONSUMER).send(new TransactWriteCommand({ TransactItems: [put("PURCHASE#iam-tx-1"), { Update: { TableName: table, Key: { pk: "CUSTOMER#iam-tx", sk: "TX" }, UpdateExpression: "SET n = :n", ExpressionAttributeValues: { ":n": 1 } } }] }));

    const error = await failure(docs(LOYALTY_CONSUMER).send(new TransactWriteCommand({ TransactItems: [put("PURCHASE#iam-tx-2"), put("ENGAGEMENT#iam-tx")] })));
    expect(error?.name).toBe("AccessDeniedException");
    expect(error?.message).toContain("dynamodb:PutItem");

    const admin = docs("admin");
    expect((await admin.send(new GetCommand({ TableName: table, Key: { pk: "PURCHASE#iam-tx-1", sk: "TX" } }))).Item).toBeDefined();
    expect((await admin.send(new GetCommand({ TableName: table, Key: { pk: "PURCHASE#iam-tx-2", sk: "TX" } }))).Item).toBeUndefined();
  });

  it("a ConditionCheck inside a transaction needs dynamodb:ConditionCheckItem, which the loyalty consumer lacks", async () => {
    const table = runtime.tableNames.loyalty;
    const error = await failure(
      docs(LOYALTY_CONSUMER).send(
        new TransactWriteCommand({
          TransactItems: [
            { ConditionCheck: { TableName: table, Key: { pk: "PURCHASE#iam-cc", sk: "TX" }, ConditionExpression: "attribute_not_exists(pk)" } },
            { Put: { TableName: table, Item: { pk: "PURCHASE#iam-cc-2", sk: "TX" } } },
          ],
        }),
      ),
    );
    expect(error).not.toBeInstanceOf(ConditionalCheckFailedException);
    expect(error?.name).toBe("AccessDeniedException");
    expect(error?.message).toContain("dynamodb:ConditionCheckItem");
  });

  it("is refused by each service in that service's own words", async () => {
    const sns = track(new SNSClient(as(LOYALTY_CONSUMER)));
    const snsError = await failure(sns.send(new PublishCommand({ TargetArn: "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/paybus-app/none", Message: "x" })));
    expect([snsError?.name, snsError?.$metadata.httpStatusCode]).toEqual(["AuthorizationErrorException", 403]);

    const ses = track(new SESClient(as(LOYALTY_CONSUMER)));
    const sesError = await failure(ses.send(new SendEmailCommand({ Source: "billing@example.com", Destination: { ToAddresses: ["a@example.com"] }, Message: { Subject: { Data: "s" }, Body: { Text: { Data: "b" } } } })));
    expect([sesError?.name, sesError?.$metadata.httpStatusCode]).toEqual(["AccessDenied", 403]);

    const sesv2 = track(new SESv2Client(as(LOYALTY_CONSUMER)));
    const sesv2Error = await failure(sesv2.send(new SendEmailV2Command({ FromEmailAddress: "billing@example.com", Destination: { ToAddresses: ["a@example.com"] }, Content: { Simple: { Subject: { Data: "s" }, Body: { Text: { Data: "b" } } } } })));
    expect([sesv2Error?.name, sesv2Error?.$metadata.httpStatusCode]).toEqual(["AccessDeniedException", 403]);

    const sfn = track(new SFNClient(as("paybus-EngagementCrm")));
    const sfnError = await failure(sfn.send(new StartExecutionCommand({ stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:paybus-engagement", input: "{}" })));
    expect([sfnError?.name, sfnError?.$metadata.httpStatusCode]).toEqual(["AccessDeniedException", 400]);

    // The loyalty consumer publishes its domain events; the notifications consumer publishes nothing.
    const events = track(new EventBridgeClient(as(NOTIFICATIONS_CONSUMER)));
    const eventsError = await failure(events.send(new PutEventsCommand({ Entries: [{ EventBusName: runtime.busName, Source: "x", DetailType: "y", Detail: "{}" }] })));
    expect([eventsError?.name, eventsError?.$metadata.httpStatusCode]).toEqual(["AccessDeniedException", 400]);

    const sqs = track(new SQSClient(as(LOYALTY_CONSUMER)));
    const sqsError = await failure(sqs.send(new SendMessageCommand({ QueueUrl: `${runtime.gatewayUrl}/000000000000/paybus-loyalty`, MessageBody: "x" })));
    expect([sqsError?.name, sqsError?.$metadata.httpStatusCode]).toEqual(["AccessDenied", 403]);
  });

  it("applies conditions: the notifications consumer may send email only from the stage's sender", async () => {
    const ses = track(new SESClient(as(NOTIFICATIONS_CONSUMER)));
    const send = (source: string) => ses.send(new SendEmailCommand({ Source: source, Destination: { ToAddresses: ["a@example.com"] }, Message: { Subject: { Data: "s" }, Body: { Text: { Data: "b" } } } }));

    expect((await send("billing@example.com")).MessageId).toEqual(expect.any(String));
    expect((await failure(send("rewards@example.com")))?.name).toBe("AccessDenied");
  });

  it("may manage push endpoints only where the plan says (device API registers, the customers consumer only deletes)", async () => {
    const device = track(new SNSClient(as("paybus-DeviceApi")));
    const { EndpointArn } = await device.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: runtime.pushApplications.GCM, Token: `iamE2e:APA91b${"x".repeat(140)}` }));
    expect(EndpointArn).toMatch(/:endpoint\/GCM\//);

    const customers = track(new SNSClient(as("paybus-CustomersConsumer")));
    const create = await failure(customers.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: runtime.pushApplications.GCM, Token: `iamE2e2:APA91b${"y".repeat(140)}` })));
    expect(create?.name).toBe("AuthorizationErrorException");
    await customers.send(new DeleteEndpointCommand({ EndpointArn: EndpointArn! }));
  });
});

describe("other callers", () => {
  it("an invented access key is refused as AWS refuses an unknown key", async () => {
    const error = await failure(docs(LOYALTY_CONSUMER, "ASIAINVENTED00000001").send(new GetCommand({ TableName: runtime.tableNames.loyalty, Key: { pk: "CUSTOMER#1", sk: "BALANCE" } })));
    expect([error?.name, error?.$metadata.httpStatusCode]).toEqual(["UnrecognizedClientException", 400]);

    const ses = track(new SESClient(as("x", "AKIAINVENTED00000002")));
    const sesError = await failure(ses.send(new SendEmailCommand({ Source: "billing@example.com", Destination: { ToAddresses: ["a@example.com"] }, Message: { Subject: { Data: "s" }, Body: { Text: { Data: "b" } } } })));
    expect([sesError?.name, sesError?.$metadata.httpStatusCode]).toEqual(["InvalidClientTokenId", 403]);
  });

  it("the administrator key (`local`: CLI, dashboard, tests) may do everything", async () => {
    const { Item } = await docs("admin").send(new GetCommand({ TableName: runtime.tableNames.profiles, Key: { pk: "cus_nobody" } }));
    expect(Item).toBeUndefined();
    expect(runtime.iam.decisions.at(-1)).toMatchObject({ caller: "admin", action: "dynamodb:GetItem", allowed: true });
  });
});
