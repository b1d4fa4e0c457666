/**
 * The process the SQS durability test kills with SIGKILL: a local SQS on a data directory, with
 * messages in every state (ready, in flight, delayed, in the DLQ with a note), then a flood of
 * sends, receives and deletes from real SDK clients. It prints one JSON line per acknowledged
 * operation, so the parent knows what SQS had answered before the kill, and one line before each
 * DeleteMessage it sends (`deleting`): a delete whose answer the kill cut off may have taken effect
 * (it is durable before it is answered), so the parent must not count its message as lost.
 *
 * Usage: `node --import tsx test/support/sqs-crash-child.ts '{"dataDir":"…"}'`; with
 * `"inDoubtDelete":true` there is no flood: the child sends, receives and deletes one message and
 * kills itself the moment the DeleteMessage answer arrives, before reporting it.
 */
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { LocalSqs } from "../../local/sqs.ts";

const { dataDir, inDoubtDelete } = JSON.parse(process.argv[2] ?? "{}") as { dataDir: string; inDoubtDelete?: boolean };
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

const sqs = await LocalSqs.start({ region: "us-east-1", dataDir, compactAfterBytes: 64 * 1024 });
const client = new SQSClient({ endpoint: sqs.endpoint, region: "us-east-1", credentials: { accessKeyId: "AKIDCRASH", secretAccessKey: "x" }, maxAttempts: 1 });
const dlq = (await client.send(new CreateQueueCommand({ QueueName: "crash-dlq" }))).QueueUrl!;
const source = (
  await client.send(
    new CreateQueueCommand({
      QueueName: "crash-src",
      Attributes: { VisibilityTimeout: "600", RedrivePolicy: JSON.stringify({ deadLetterTargetArn: "arn:aws:sqs:us-east-1:000000000000:crash-dlq", maxReceiveCount: 1 }) },
    }),
  )
).QueueUrl!;

// Poison: received once, noted, then moved to the DLQ by the next receive.
const poison: string[] = [];
for (let i = 0; i < 3; i++) {
  const { MessageId } = await client.send(
    new SendMessageCommand({
      QueueUrl: source,
      MessageBody: `poison-${i}`,
      MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: `Root=1-00000000-00000000000000000000000${i}` } },
    }),
  );
  poison.push(MessageId!);
  await client.send(new ReceiveMessageCommand({ QueueUrl: source, VisibilityTimeout: 0 }));
  sqs.note("crash-src", MessageId!, `PoisonError: message ${i} cannot be handled`);
  await client.send(new ReceiveMessageCommand({ QueueUrl: source, VisibilityTimeout: 0 }));
}
// In flight for 600 s.
const inFlight: string[] = [];
for (let i = 0; i < 5; i++) await client.send(new SendMessageCommand({ QueueUrl: source, MessageBody: `inflight-${i}` }));
const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }));
inFlight.push(...Messages.map((m) => m.MessageId!));
// Delayed for 15 minutes.
const delayed: string[] = [];
for (let i = 0; i < 2; i++) delayed.push((await client.send(new SendMessageCommand({ QueueUrl: source, MessageBody: `delayed-${i}`, DelaySeconds: 900 }))).MessageId!);
say({ ready: { poison, inFlight, delayed, dlq, source } });

if (inDoubtDelete) {
  const { MessageId } = await client.send(new SendMessageCommand({ QueueUrl: source, MessageBody: "in-doubt" }));
  say({ sent: MessageId });
  const { Messages: [message] = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: source, VisibilityTimeout: 600 }));
  say({ received: message!.MessageId });
  say({ deleting: message!.MessageId });
  await client.send(new DeleteMessageCommand({ QueueUrl: source, ReceiptHandle: message!.ReceiptHandle }));
  // Answered, but the parent never hears of it: a kill landing between the answer and the report.
  process.kill(process.pid, "SIGKILL");
}

// The flood, until killed: senders, and a consumer that receives and deletes every other message.
let n = 0;
const sender = async () => {
  for (;;) {
    const { MessageId } = await client.send(new SendMessageCommand({ QueueUrl: source, MessageBody: `flood-${n++}-${"x".repeat(200)}` }));
    say({ sent: MessageId });
  }
};
const consumer = async () => {
  for (let i = 0; ; i++) {
    const { Messages: got = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }));
    for (const message of got) {
      say({ received: message.MessageId });
      if (i % 2 === 0) {
        say({ deleting: message.MessageId });
        await client.send(new DeleteMessageCommand({ QueueUrl: source, ReceiptHandle: message.ReceiptHandle }));
        say({ deleted: message.MessageId });
      }
    }
  }
};
await Promise.all([sender(), sender(), sender(), sender(), consumer()]);
