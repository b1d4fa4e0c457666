/** SQS (`local/sqs/`) with every declared queue and its DLQ, durable in the data directory. */
import { join } from "node:path";
import { queues } from "../../declarations/rules.ts";
import { defineService } from "../service.ts";
import { LocalSqs } from "../sqs.ts";

export const sqsService = defineService({
  name: "sqs",
  routing: {
    service: "sqs",
    targetPrefixes: ["AmazonSQS"],
    signingNames: ["sqs"],
    queryActions: [
      "AddPermission", "CancelMessageMoveTask", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch", "CreateQueue",
      "DeleteMessage", "DeleteMessageBatch", "DeleteQueue", "GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues",
      "ListMessageMoveTasks", "ListQueueTags", "ListQueues", "PurgeQueue", "ReceiveMessage", "RemovePermission", "SendMessage",
      "SendMessageBatch", "SetQueueAttributes", "StartMessageMoveTask", "TagQueue", "UntagQueue",
    ],
  },
  async start({ host, region, accountId, prefix, timeScale, durableDir }) {
    const sqs = await LocalSqs.start({ host, region, accountId, prefix, timeScale, ...(durableDir ? { dataDir: join(durableDir, "sqs") } : {}) });
    for (const [name, declaration] of Object.entries(queues)) sqs.createQueue(name, declaration);
    return { handle: sqs, api: { service: "sqs", upstream: sqs.endpoint }, stop: () => sqs.stop() };
  },
});
