/**
 * Every declared queue (notifications, loyalty, and any context added to `declarations/rules.ts` later),
 * its dead-letter queue and its consumer: a function fed by an event source mapping that reports
 * partial batch failures. New contexts need no new stack file.
 */
import { PlanError, type QueuePlan } from "./plan.ts";
import type { Registry } from "./registry.ts";

/** The SQS actions an event source mapping needs from the consumer's role, on its own queue only. */
const CONSUME_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"];

/** Creates an SQS queue with SSE-SQS (the only encryption EventBridge can send to without a customer key). */
export function createQueue(
  logicalName: string,
  settings: { retentionSeconds: number; visibilityTimeoutSeconds?: number; redrivePolicy?: $util.Input<string> },
  registry: Registry,
): aws.sqs.Queue {
  const queue = new aws.sqs.Queue(logicalName, {
    messageRetentionSeconds: settings.retentionSeconds,
    ...(settings.visibilityTimeoutSeconds === undefined ? {} : { visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds }),
    ...(settings.redrivePolicy === undefined ? {} : { redrivePolicy: settings.redrivePolicy }),
    sqsManagedSseEnabled: true,
  });
  registry.add(logicalName, { name: queue.name, arn: queue.arn });
  return queue;
}

function createConsumer(queuePlan: QueuePlan, registry: Registry): aws.sqs.Queue {
  const dlq = createQueue(queuePlan.deadLetter.logicalName, { retentionSeconds: queuePlan.deadLetter.retentionSeconds }, registry);
  const queue = createQueue(
    queuePlan.logicalName,
    {
      retentionSeconds: queuePlan.retentionSeconds,
      visibilityTimeoutSeconds: queuePlan.visibilityTimeoutSeconds,
      redrivePolicy: $jsonStringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: queuePlan.deadLetter.maxReceiveCount }),
    },
    registry,
  );
  // Only the DLQ's own queue may redrive into it, and only back to its source queue.
  new aws.sqs.RedriveAllowPolicy(`${queuePlan.deadLetter.logicalName}RedriveAllow`, {
    queueUrl: dlq.url,
    redriveAllowPolicy: $jsonStringify({ redrivePermission: "byQueue", sourceQueueArns: [queue.arn] }),
  });

  const consumer = registry.plan.functions.find((fn) => fn.logicalName === queuePlan.consumer);
  if (!consumer || consumer.trigger.kind !== "queue") {
    throw new PlanError(`the plan has no queue consumer ${queuePlan.consumer} for ${queuePlan.logicalName}`);
  }
  const fn = registry.function(consumer, { permissions: [{ actions: CONSUME_ACTIONS, resources: [queue.arn] }] });
  new aws.lambda.EventSourceMapping(`${consumer.logicalName}Source`, {
    eventSourceArn: queue.arn,
    functionName: fn.arn,
    batchSize: consumer.trigger.batchSize,
    maximumBatchingWindowInSeconds: consumer.trigger.batchingWindowSeconds,
    scalingConfig: { maximumConcurrency: consumer.trigger.maximumConcurrency },
    // `reportBatchItemFailures` is `true` for every consumer (by type, checked in test/infra).
    functionResponseTypes: ["ReportBatchItemFailures"],
  });
  return queue;
}

/** Creates every queue of the plan with its DLQ and consumer; returns the queues by logical name. */
export function createConsumers(registry: Registry): Map<string, aws.sqs.Queue> {
  return new Map(registry.plan.queues.map((queuePlan) => [queuePlan.logicalName, createConsumer(queuePlan, registry)]));
}
