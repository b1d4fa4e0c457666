/**
 * The local SQS against the SQS API reference, with the real SDK v3 client: error codes as
 * `err.name`, receipt handles, redrive policies, batch answers, DLQ attributes, receive counts,
 * queue counters, queue names, unimplemented operations.
 */
import {
  AddPermissionCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:http";
import { close, listen } from "../aws-json.ts";
import { LocalSqs, sqsProtocolOf } from "../sqs.ts";

let sqs: LocalSqs;
let client: SQSClient;
let n = 0;

beforeAll(async () => {
  sqs = await LocalSqs.start({ region: "us-east-1" });
  client = new SQSClient({ endpoint: sqs.endpoint, region: "us-east-1", credentials: { accessKeyId: "AKIDLOCALTEST", secretAccessKey: "x" } });
});
afterAll(async () => {
  client.destroy();
  await sqs.stop();
});

async function queue(attributes: Record<string, string> = {}): Promise<string> {
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: `q${++n}-${Date.now()}`, Attributes: attributes }));
  return QueueUrl!;
}

const arnOf = async (url: string) => (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;

const counts = async (url: string) => {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"] }),
  );
  return [Attributes.ApproximateNumberOfMessages, Attributes.ApproximateNumberOfMessagesNotVisible, Attributes.ApproximateNumberOfMessagesDelayed].map(Number);
};

describe("errors are named as AWS names them (JSON protocol, x-amzn-query-error)", () => {
  it.each([
    ["an unknown queue", () => new GetQueueUrlCommand({ QueueName: "does-not-exist" }), "QueueDoesNotExist", "The specified queue does not exist."],
    ["a URL that is not a queue URL", () => new SendMessageCommand({ QueueUrl: "http://127.0.0.1/not-a-queue", MessageBody: "x" }), "InvalidAddress", "not valid for this endpoint"],
    ["a missing QueueName", () => new CreateQueueCommand({ QueueName: undefined }), "MissingParameter", "The request must contain the parameter QueueName."],
    ["an invalid queue name", () => new CreateQueueCommand({ QueueName: "has space" }), "InvalidParameterValue", "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"],
    ["an 81-character name", () => new CreateQueueCommand({ QueueName: "a".repeat(81) }), "InvalidParameterValue", "1 to 80 in length"],
    ["a .fifo name without FifoQueue", () => new CreateQueueCommand({ QueueName: "orders.fifo" }), "InvalidParameterValue", "must end with .fifo suffix"],
    ["a FIFO queue (not emulated)", () => new CreateQueueCommand({ QueueName: "orders.fifo", Attributes: { FifoQueue: "true" } }), "UnsupportedOperation", "FIFO"],
    ["an unknown attribute", () => new CreateQueueCommand({ QueueName: "attrs", Attributes: { Colour: "blue" } as never }), "InvalidAttributeName", "Unknown Attribute Colour."],
    ["an attribute out of range", () => new CreateQueueCommand({ QueueName: "attrs", Attributes: { VisibilityTimeout: "43201" } }), "InvalidAttributeValue", "Invalid value for the parameter VisibilityTimeout."],
    ["an unimplemented operation", () => new AddPermissionCommand({ QueueUrl: "x", Label: "l", AWSAccountIds: ["111122223333"], Actions: ["SendMessage"] }), "UnsupportedOperation", "AddPermission"],
  ])("%s", async (_case, command, name, message) => {
    await expect(client.send(command() as never)).rejects.toMatchObject({ name, message: expect.stringContaining(message), $metadata: { httpStatusCode: 400 } });
  });

  it("encodes errors as the SQS developer guide's JSON example, and answers unknown actions at once", async () => {
    const call = (target: string, body: object) =>
      fetch(sqs.endpoint, { method: "POST", headers: { "x-amz-target": target, "content-type": "application/x-amz-json-1.0" }, body: JSON.stringify(body) });
    const missing = await call("AmazonSQS.GetQueueUrl", { QueueName: "nope" });
    const unknown = await call("AmazonSQS.Frobnicate", {});

    expect(missing.status).toBe(400);
    expect(missing.headers.get("x-amzn-query-error")).toBe("AWS.SimpleQueueService.NonExistentQueue;Sender");
    expect(await missing.json()).toEqual({ __type: "com.amazonaws.sqs#QueueDoesNotExist", message: "The specified queue does not exist." });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get("x-amzn-query-error")).toBe("InvalidAction;Sender");
  });

  it("accepts the names AWS accepts: 80 characters, hyphens and underscores", async () => {
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: `A-_${"z".repeat(77)}` }));
    expect(QueueUrl).toMatch(/\/000000000000\/A-_z{77}$/);
  });

  it("validates messages and batches as SQS does", async () => {
    const url = await queue();
    await expect(client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "" }))).rejects.toMatchObject({ name: "MissingParameter" });
    await expect(client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "a\u0000b" }))).rejects.toMatchObject({ name: "InvalidMessageContents" });
    await expect(client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", DelaySeconds: 901 }))).rejects.toMatchObject({ name: "InvalidParameterValue" });
    await expect(client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 }))).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message: "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
    });
    await expect(client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [] }))).rejects.toMatchObject({ name: "EmptyBatchRequest" });
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: "x" }));
    await expect(client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: eleven }))).rejects.toMatchObject({
      name: "TooManyEntriesInBatchRequest",
      message: "Maximum number of entries per request are 10. You have sent 11.",
    });
    await expect(client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "bad:id", MessageBody: "x" }] }))).rejects.toMatchObject({ name: "InvalidBatchEntryId" });
    await expect(client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "a", MessageBody: "x" }, { Id: "a", MessageBody: "y" }] }))).rejects.toMatchObject({
      name: "BatchEntryIdsNotDistinct",
    });
    await expect(client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [] }))).rejects.toMatchObject({ name: "EmptyBatchRequest" });
    expect(await counts(url)).toEqual([0, 0, 0]);
  });
});

describe("receipt handles", () => {
  it("refuses garbage, a message id and another queue's handle without deleting anything", async () => {
    const url = await queue();
    const other = await queue();
    const { MessageId } = await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "keep me" }));
    await client.send(new SendMessageCommand({ QueueUrl: other, MessageBody: "other" }));
    const [otherMessage] = (await client.send(new ReceiveMessageCommand({ QueueUrl: other }))).Messages ?? [];

    for (const handle of ["garbage", MessageId!, otherMessage!.ReceiptHandle!]) {
      await expect(client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: handle }))).rejects.toMatchObject({
        name: "ReceiptHandleIsInvalid",
        message: `The input receipt handle "${handle}" is not a valid receipt handle.`,
      });
    }

    expect(await counts(url)).toEqual([1, 0, 0]);
    const batch = await client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "g", ReceiptHandle: "garbage" }] }));
    expect(batch.Successful).toBeUndefined();
    expect(batch.Failed).toEqual([{ Id: "g", SenderFault: true, Code: "ReceiptHandleIsInvalid", Message: 'The input receipt handle "garbage" is not a valid receipt handle.' }]);
    expect(await counts(url)).toEqual([1, 0, 0]);
  });

  it("deletes with the latest handle, ignores a superseded one, and answers a deleted message's handle", async () => {
    const url = await queue();
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "m" }));
    const first = (await client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }))).Messages![0]!;
    const second = (await client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 30 }))).Messages![0]!;

    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle }));
    expect(await counts(url)).toEqual([0, 1, 0]);
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second.ReceiptHandle }));
    expect(await counts(url)).toEqual([0, 0, 0]);
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second.ReceiptHandle }));
    await expect(client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: second.ReceiptHandle, VisibilityTimeout: 5 }))).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message: expect.stringContaining("Message does not exist or is not available for visibility timeout change."),
    });
  });
});

describe("batches", () => {
  it("answers a batch without failures with no Failed key, and reports per-entry failures", async () => {
    const url = await queue();
    const ok = await client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "a", MessageBody: "1" }, { Id: "b", MessageBody: "2" }] }));
    const mixed = await client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "c", MessageBody: "3" }, { Id: "d", MessageBody: "bad\u0001" }] }));

    expect(ok.Successful?.map((entry) => entry.Id)).toEqual(["a", "b"]);
    expect(ok).not.toHaveProperty("Failed");
    expect(mixed.Successful?.map((entry) => entry.Id)).toEqual(["c"]);
    expect(mixed.Failed).toEqual([{ Id: "d", SenderFault: true, Code: "InvalidMessageContents", Message: expect.stringContaining("Invalid binary character '#x1'") }]);
    expect(await counts(url)).toEqual([3, 0, 0]);
  });
});

describe("redrive policy and dead-letter queues", () => {
  it("validates RedrivePolicy, stores it normalised, and clears it with an empty string", async () => {
    const dlq = await queue();
    const dlqArn = await arnOf(dlq);
    const source = await queue();
    const set = (policy: string) => client.send(new SetQueueAttributesCommand({ QueueUrl: source, Attributes: { RedrivePolicy: policy } }));

    await expect(set('{"deadLetterTargetArn":"dummy","maxReceiveCount":3}')).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message: 'Value {"deadLetterTargetArn":"dummy","maxReceiveCount":3} for parameter RedrivePolicy is invalid. Reason: Invalid value for deadLetterTargetArn.',
    });
    await expect(set(`{"deadLetterTargetArn":"${dlqArn}","maxReceiveCount":0}`)).rejects.toMatchObject({ name: "InvalidParameterValue", message: expect.stringContaining("maxReceiveCount") });
    await expect(set(`{"deadLetterTargetArn":"${dlqArn}"}`)).rejects.toMatchObject({ name: "InvalidParameterValue", message: expect.stringContaining("maxReceiveCount") });
    await expect(set("not json")).rejects.toMatchObject({ name: "InvalidParameterValue" });
    await expect(set('{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:nothing-here","maxReceiveCount":3}')).rejects.toMatchObject({ name: "InvalidParameterValue" });

    await set(`{"deadLetterTargetArn":"${dlqArn}","maxReceiveCount":"3"}`);
    const stored = await client.send(new GetQueueAttributesCommand({ QueueUrl: source, AttributeNames: ["RedrivePolicy"] }));
    expect(JSON.parse(stored.Attributes!.RedrivePolicy!)).toEqual({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 });
    expect((await client.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }))).queueUrls).toEqual([source]);

    await set("");
    const cleared = await client.send(new GetQueueAttributesCommand({ QueueUrl: source, AttributeNames: ["All"] }));
    expect(cleared.Attributes).not.toHaveProperty("RedrivePolicy");
    expect((await client.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }))).queueUrls).toEqual([]);
  });

  it("counts receives exactly, moves the message after maxReceiveCount keeping DeadLetterQueueSourceArn and AWSTraceHeader", async () => {
    const dlq = await queue();
    const source = await queue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await arnOf(dlq), maxReceiveCount: 3 }) });
    const trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
    const { MessageId } = await client.send(
      new SendMessageCommand({
        QueueUrl: source,
        MessageBody: "poison",
        MessageAttributes: { kind: { DataType: "String", StringValue: "test" } },
        MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: trace } },
      }),
    );

    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: source, VisibilityTimeout: 0, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }));
      seen.push(...Messages.map((m) => m.Attributes!.ApproximateReceiveCount!));
    }
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: dlq, MessageSystemAttributeNames: ["All"], MessageAttributeNames: ["All"] }));

    expect(seen).toEqual(["1", "2", "3"]);
    expect(await counts(source)).toEqual([0, 0, 0]);
    expect(Messages).toHaveLength(1);
    expect(Messages[0]).toMatchObject({
      MessageId,
      Body: "poison",
      MessageAttributes: { kind: { DataType: "String", StringValue: "test" } },
      Attributes: { DeadLetterQueueSourceArn: await arnOf(source), AWSTraceHeader: trace, ApproximateReceiveCount: "4", SenderId: "AKIDLOCALTEST" },
    });
  });

  it("moves DLQ messages back with StartMessageMoveTask", async () => {
    const dlq = await queue();
    const dlqArn = await arnOf(dlq);
    const source = await queue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) });
    await client.send(new SendMessageCommand({ QueueUrl: source, MessageBody: "again" }));
    await client.send(new ReceiveMessageCommand({ QueueUrl: source, VisibilityTimeout: 0 }));
    await client.send(new ReceiveMessageCommand({ QueueUrl: source }));
    expect(await counts(dlq)).toEqual([1, 0, 0]);

    await expect(client.send(new StartMessageMoveTaskCommand({ SourceArn: await arnOf(source) }))).rejects.toMatchObject({ name: "InvalidParameterValue" });
    await client.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));

    expect(await counts(dlq)).toEqual([0, 0, 0]);
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: source, MessageSystemAttributeNames: ["All"] }));
    expect(Messages.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([["again", "1"]]);
  });
});

describe("visibility and queue counters", () => {
  it("counts a message as visible again once its visibility expires, without a receive", async () => {
    const url = await queue();
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "m" }));
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "later", DelaySeconds: 1 }));
    await client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 1 }));
    expect(await counts(url)).toEqual([0, 1, 1]);

    await new Promise((resolve) => setTimeout(resolve, 1_100));

    expect(await counts(url)).toEqual([2, 0, 0]);
  });

  it("wakes a long poll as soon as a message arrives", async () => {
    const url = await queue();
    const poll = client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "wake" }));
    expect((await poll).Messages?.map((m) => m.Body)).toEqual(["wake"]);
  });

  it("answers an empty receive without a Messages key", async () => {
    const url = await queue();
    const answer = await client.send(new ReceiveMessageCommand({ QueueUrl: url }));
    expect(answer.Messages).toBeUndefined();
  });
});

describe("queue URLs", () => {
  it("builds queue URLs from the Host the client used", async () => {
    const port = new URL(sqs.endpoint).port;
    const viaLocalhost = new SQSClient({ endpoint: `http://localhost:${port}`, region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
    const { QueueUrl } = await viaLocalhost.send(new CreateQueueCommand({ QueueName: "by-host" }));
    const listed = await viaLocalhost.send(new ListQueuesCommand({ QueueNamePrefix: "by-host" }));
    viaLocalhost.destroy();
    expect(QueueUrl).toBe(`http://localhost:${port}/000000000000/by-host`);
    expect(listed.QueueUrls).toEqual([QueueUrl]);
    // The URL is usable as given.
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: "x" }));
    await client.send(new DeleteQueueCommand({ QueueUrl }));
    await expect(client.send(new GetQueueUrlCommand({ QueueName: "by-host" }))).rejects.toMatchObject({ name: "QueueDoesNotExist" });
  });
});

describe("the query protocol (older CLIs and boto3)", () => {
  const post = (form: Record<string, string>) =>
    fetch(sqs.endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
      body: new URLSearchParams({ Version: "2012-11-05", ...form }),
    });

  it("serves Action= requests with XML answers and query error codes", async () => {
    const created = await post({ Action: "CreateQueue", QueueName: "query-q", "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "7" });
    const createdXml = await created.text();
    const url = /<QueueUrl>([^<]+)<\/QueueUrl>/.exec(createdXml)?.[1];
    const sent = await post({ Action: "SendMessage", QueueUrl: url!, MessageBody: "hello", "MessageAttribute.1.Name": "k", "MessageAttribute.1.Value.DataType": "String", "MessageAttribute.1.Value.StringValue": "v" });
    const received = await (await post({ Action: "ReceiveMessage", QueueUrl: url!, "AttributeName.1": "All", "MessageAttributeName.1": "All" })).text();
    const missing = await post({ Action: "GetQueueUrl", QueueName: "nope" });
    const unknown = await post({ Action: "Frobnicate" });

    expect(created.status).toBe(200);
    expect(createdXml).toContain('<CreateQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><CreateQueueResult><QueueUrl>');
    expect(await sent.text()).toContain("<MD5OfMessageBody>5d41402abc4b2a76b9719d911017c592</MD5OfMessageBody>");
    expect(received).toContain("<Body>hello</Body>");
    expect(received).toContain("<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>");
    expect(received).toContain("<MessageAttribute><Name>k</Name><Value><DataType>String</DataType><StringValue>v</StringValue></Value></MessageAttribute>");
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>");
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain("<Code>InvalidAction</Code>");
  });
});

describe("web pages", () => {
  it("refuses a cross-site form post and a foreign Host, and sends nothing", async () => {
    const url = await queue();
    const form = new URLSearchParams({ Action: "SendMessage", QueueUrl: url, MessageBody: "forged" });
    const fromPage = await fetch(sqs.endpoint, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://evil.example" }, body: form });
    const { request } = await import("node:http");
    const rebound = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const { hostname, port } = new URL(sqs.endpoint);
      const req = request({ hostname, port, method: "POST", path: "/", headers: { host: `evil.example:${port}`, "content-type": "application/x-www-form-urlencoded" } }, (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end(form.toString());
    });

    expect(fromPage.status).toBe(403);
    expect(await fromPage.text()).toContain("<Code>AccessDenied</Code>");
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain("<Code>AccessDenied</Code>");
    expect(await counts(url)).toEqual([0, 0, 0]);
  });
});

describe("behind another server (the gateway)", () => {
  it("recognises SQS requests by their headers and answers with URLs on that server's Host", async () => {
    const seen: string[] = [];
    const gateway = createServer((req, res) => {
      const protocol = sqsProtocolOf(req);
      seen.push(protocol ?? "other");
      if (protocol) return void sqs.handle(req, res);
      res.writeHead(404).end();
    });
    const endpoint = await listen(gateway, "127.0.0.1", 0);
    const viaGateway = new SQSClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
    try {
      const { QueueUrl } = await viaGateway.send(new CreateQueueCommand({ QueueName: "via-gateway" }));
      await viaGateway.send(new SendMessageCommand({ QueueUrl, MessageBody: "through" }));
      const signed = await fetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: "AWS4-HMAC-SHA256 Credential=a/20261205/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0" },
        body: new URLSearchParams({ Action: "GetQueueUrl", QueueName: "via-gateway" }),
      });
      const notSqs = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "Action=ListQueues" });

      expect(QueueUrl).toBe(`${endpoint}/000000000000/via-gateway`);
      expect(await signed.text()).toContain(`<QueueUrl>${endpoint}/000000000000/via-gateway</QueueUrl>`);
      expect(notSqs.status).toBe(404);
      expect(seen).toEqual(["json", "json", "query", "other"]);
      expect(await counts(QueueUrl!)).toEqual([1, 0, 0]);
    } finally {
      viaGateway.destroy();
      await close(gateway);
    }
  });
});
