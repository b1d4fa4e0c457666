/**
 * Older real clients against the local SQS: Debian's awscli 2.9 and boto3 1.26 speak the query
 * protocol (`Action=…`, XML). Skipped, saying so, where those packages are not installed.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { openAwsCli } from "../../test/support/aws-cli.ts";
import { LocalSqs } from "../sqs.ts";

const run = promisify(execFile);
const AWS_CLI = "/usr/bin/aws";
const PYTHON = "/usr/bin/python3";
// Only the query-protocol clients; the endpoint is given explicitly (they ignore AWS_ENDPOINT_URL_*).
const env = { PATH: "/usr/bin:/bin", HOME: "/tmp", AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local", AWS_DEFAULT_REGION: "us-east-1", AWS_PAGER: "" };

const hasCli = existsSync(AWS_CLI);
const hasBoto3 = existsSync(PYTHON) && (await run(PYTHON, ["-c", "import boto3"], { env }).then(() => true, () => false));

let sqs: LocalSqs;
beforeAll(async () => {
  sqs = await LocalSqs.start({ region: "us-east-1" });
});
afterAll(() => sqs.stop());

describe("query-protocol clients", () => {
  it.skipIf(!hasCli)("Debian's AWS CLI creates, sends, receives and deletes, and gets SQS's error codes", async () => {
    // The six commands in one interpreter (test/support/aws-cli.ts) when the CLI is a Python script,
    // as Debian's is: ~1 s of CPU importing it instead of ~6; a process per command otherwise.
    const cli = openAwsCli(AWS_CLI, env);
    onTestFinished(() => cli.close());
    const aws = async (...args: string[]) => JSON.parse((await cli.check(["--endpoint-url", sqs.endpoint, "--output", "json", "sqs", ...args])) || "{}");
    const { QueueUrl } = await aws("create-queue", "--queue-name", "cli-query", "--attributes", "VisibilityTimeout=20");
    const sent = await aws("send-message", "--queue-url", QueueUrl, "--message-body", "hello", "--message-attributes", '{"k":{"DataType":"String","StringValue":"v"}}');
    const { Messages } = await aws("receive-message", "--queue-url", QueueUrl, "--attribute-names", "All", "--message-attribute-names", "All");
    await aws("delete-message", "--queue-url", QueueUrl, "--receipt-handle", Messages[0].ReceiptHandle);
    const { Attributes } = await aws("get-queue-attributes", "--queue-url", QueueUrl, "--attribute-names", "All");
    const missing = await cli.run(["--endpoint-url", sqs.endpoint, "sqs", "get-queue-url", "--queue-name", "nope"]).then((result) => (result.code === 0 ? "" : result.stderr));

    expect(QueueUrl).toBe(`${sqs.endpoint}/000000000000/cli-query`);
    expect(Messages).toEqual([
      expect.objectContaining({
        MessageId: sent.MessageId,
        Body: "hello",
        MD5OfMessageAttributes: sent.MD5OfMessageAttributes,
        MessageAttributes: { k: { DataType: "String", StringValue: "v" } },
        Attributes: expect.objectContaining({ ApproximateReceiveCount: "1" }),
      }),
    ]);
    expect(Attributes).toMatchObject({ VisibilityTimeout: "20", ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" });
    expect(missing).toContain("(AWS.SimpleQueueService.NonExistentQueue)");
  }, 180_000);

  it.skipIf(!hasBoto3)("boto3 1.26 sends a batch with binary attributes, receives, and reads batch failures", async () => {
    const script = `
import boto3, json
c = boto3.client("sqs", endpoint_url=${JSON.stringify(sqs.endpoint)})
u = c.create_queue(QueueName="boto-query")["QueueUrl"]
s = c.send_message_batch(QueueUrl=u, Entries=[{"Id": "1", "MessageBody": "a"}, {"Id": "2", "MessageBody": "b", "MessageAttributes": {"bin": {"DataType": "Binary", "BinaryValue": b"\\x00\\x01"}}}])
r = c.receive_message(QueueUrl=u, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
d = c.delete_message_batch(QueueUrl=u, Entries=[{"Id": "ok", "ReceiptHandle": r["Messages"][0]["ReceiptHandle"]}, {"Id": "bad", "ReceiptHandle": "nope"}])
print(json.dumps({"sent": [e["Id"] for e in s["Successful"]], "failedKey": "Failed" in s, "bodies": sorted(m["Body"] for m in r["Messages"]),
  "binary": [list(m["MessageAttributes"]["bin"]["BinaryValue"]) for m in r["Messages"] if "MessageAttributes" in m], "deleted": d["Successful"], "failed": d["Failed"]}))
`;
    const out = JSON.parse((await run(PYTHON, ["-c", script], { env })).stdout);

    expect(out).toEqual({
      sent: ["1", "2"],
      failedKey: false,
      bodies: ["a", "b"],
      binary: [[0, 1]],
      deleted: [{ Id: "ok" }],
      failed: [{ Id: "bad", SenderFault: true, Code: "ReceiptHandleIsInvalid", Message: 'The input receipt handle "nope" is not a valid receipt handle.' }],
    });
  }, 180_000);
});
