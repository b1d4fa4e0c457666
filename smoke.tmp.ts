import { SQSClient, CreateQueueCommand, SendMessageCommand, ReceiveMessageCommand, DeleteMessageCommand, GetQueueAttributesCommand, ListQueuesCommand, SendMessageBatchCommand, DeleteMessageBatchCommand, GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { LocalSqs } from "./local/sqs.ts";
const sqs = await LocalSqs.start({ region: "us-east-1", dataDir: "/tmp/sqs-smoke" });
console.log(sqs.endpoint);
const c = new SQSClient({ endpoint: sqs.endpoint, region: "us-east-1", credentials: { accessKeyId: "AKIDX", secretAccessKey: "x" } });
const { QueueUrl } = await c.send(new CreateQueueCommand({ QueueName: "smoke", Attributes: { VisibilityTimeout: "5" } }));
console.log(QueueUrl);
console.log(await c.send(new SendMessageCommand({ QueueUrl, MessageBody: "hi", MessageAttributes: { a: { DataType: "String", StringValue: "b" } } })));
const r = await c.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"] }));
console.log(JSON.stringify(r.Messages));
console.log(await c.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] })));
try { await c.send(new GetQueueUrlCommand({ QueueName: "nope" })); } catch (e: any) { console.log(e.name, e.message, e.Code) }
try { await c.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: "garbage" })); } catch (e: any) { console.log(e.name, e.message) }
try { await c.send(new SendMessageBatchCommand({ QueueUrl, Entries: [] })); } catch (e: any) { console.log(e.name, e.message) }
try { await c.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 11 })); } catch (e: any) { console.log(e.name, e.message) }
console.log(await c.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: "a", MessageBody: "x" }, { Id: "b", MessageBody: "y" }] })));
console.log(await c.send(new ListQueuesCommand({})));
await c.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: r.Messages![0]!.ReceiptHandle }));
console.log(await c.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] })));
if (process.argv[2] === "hold") { console.log("holding"); await new Promise(r => setTimeout(r, 60000)); }
await sqs.stop();
