/** The DLQ administration of the runtime (`paybus dlq`, the dashboard): redrive, discard, depths. */
import type { QueueName } from "../declarations/rules.ts";
import type { Runtime } from "./runtime.ts";

/** Moves DLQ messages (all, or the given ids) back to their queue, journaled; returns the ids moved. */
export async function redriveDlq(runtime: Runtime, queue: QueueName, messageIds?: readonly string[]): Promise<string[]> {
  const moved = await runtime.sqs.redrive(queue, messageIds);
  for (const messageId of moved) runtime.journal.record({ kind: "queue.redrive", queue, messageId });
  return moved;
}

/** Deletes DLQ messages (all, or the given ids) for good, journaled; returns the ids deleted. */
export async function discardDlq(runtime: Runtime, queue: QueueName, messageIds?: readonly string[]): Promise<string[]> {
  const deleted = await runtime.sqs.discard(queue, messageIds);
  for (const messageId of deleted) runtime.journal.record({ kind: "queue.discard", queue, messageId });
  return deleted;
}

/** Depth, in-flight and DLQ size of every queue. */
export function queueStatus(runtime: Runtime) {
  return [...runtime.mappings.keys()].map((name) => {
    const handle = runtime.sqs.queue(name);
    return {
      queue: name,
      ...runtime.sqs.depth(handle.physicalName),
      dlq: runtime.sqs.depth(handle.dlqName).ready,
      pollError: runtime.mappings.get(name)?.lastPollError?.message,
    };
  });
}
