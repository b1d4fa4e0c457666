/**
 * The DLQs view's read model: the messages each consumer gave up on, with the last error and what
 * the body says about itself.
 */
import { dlqListing } from "../local/admin.ts";
import type { Runtime } from "../local/runtime.ts";
import { summarizeText } from "./events.ts";
import type { DlqView } from "./protocol.ts";

/** Every dead-letter queue with its messages. */
export function dlqViews(runtime: Runtime): DlqView[] {
  return dlqListing(runtime).map(({ queue, messages }) => ({
    queue,
    messages: messages.map((message) => {
      let eventId: string | undefined;
      try {
        const id = (JSON.parse(message.body) as { id?: unknown }).id;
        if (typeof id === "string") eventId = id;
      } catch {
        // A body that is not JSON still deserves a line in the DLQ.
      }
      return { messageId: message.messageId, receiveCount: message.receiveCount, error: message.error, eventId, summary: summarizeText(message.body) };
    }),
  }));
}
