/**
 * paybus's SQS engine: standard queues with AWS's semantics (visibility timeouts, long polling,
 * exact receive counts, redrive to a DLQ after `maxReceiveCount` with `DeadLetterQueueSourceArn`,
 * delays, retention, batches), every change recorded in a {@link SqsStore} before it is answered.
 * Operations take and return the shapes of the SQS JSON protocol; `protocol.ts` serves them over
 * JSON and the query protocol. Queue operations, persistence and receipt handles are in
 * `queues.ts`; this file has the message operations.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { invalidValue, missing, SqsError } from "./errors.ts";
import type { QueueState, StoredMessage } from "./queue.ts";
import { SqsQueues, type RequestContext } from "./queues.ts";
import { checkBatch, checkBody, checkMessageAttributes, md5, md5OfAttributes, optionalInt, parseRedrivePolicy } from "./validate.ts";

export type { RequestContext } from "./queues.ts";

type Input = Record<string, any>;

const SYSTEM_ATTRIBUTES = ["SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp", "AWSTraceHeader", "DeadLetterQueueSourceArn", "MessageGroupId"] as const;

/** The SQS engine. Create it, {@link SqsQueues.restore} what the store recovered, then serve it. */
export class SqsEngine extends SqsQueues {
  private readonly moveTasks: Array<Record<string, unknown>> = [];

  // ---- messages ----------------------------------------------------------------------------

  /** Validates one message to send; returns it ready to store, or throws the entry's error. */
  private prepare(q: QueueState, entry: Input, sender: string): StoredMessage & { md5Attrs?: string } {
    const body = checkBody(entry.MessageBody);
    const delay = optionalInt(entry.DelaySeconds, "DelaySeconds", 0, 900, "must be between 0 and 900, if provided.") ?? Number(q.attributes.DelaySeconds ?? 0);
    const { attributes, bytes } = checkMessageAttributes(entry.MessageAttributes);
    if (entry.MessageDeduplicationId !== undefined) {
      throw invalidValue("MessageDeduplicationId", entry.MessageDeduplicationId, "The request include parameter that is not valid for this queue type.");
    }
    if (entry.MessageGroupId !== undefined && (typeof entry.MessageGroupId !== "string" || !/^[\x21-\x7e]{1,128}$/.test(entry.MessageGroupId))) {
      throw invalidValue("MessageGroupId", entry.MessageGroupId, "MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.");
    }
    let trace: string | undefined;
    for (const [name, value] of Object.entries((entry.MessageSystemAttributes ?? {}) as Record<string, any>)) {
      if (name !== "AWSTraceHeader") throw new SqsError("InvalidParameterValue", `Message system attribute name '${name}' is invalid.`);
      if (value?.DataType !== "String" || typeof value.StringValue !== "string" || value.StringValue === "") {
        throw new SqsError("InvalidParameterValue", "The message system attribute 'AWSTraceHeader' must contain a non-empty String value.");
      }
      trace = value.StringValue;
    }
    const size = Buffer.byteLength(body) + bytes;
    const limit = Number(q.attributes.MaximumMessageSize ?? 1_048_576);
    if (size > limit) throw new SqsError("InvalidParameterValue", `One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`);
    const now = this.now();
    return {
      id: randomUUID(),
      body,
      md5: md5(body),
      ...(attributes ? { attrs: attributes, md5Attrs: md5OfAttributes(attributes) } : {}),
      ...(trace ? { trace } : {}),
      ...(entry.MessageGroupId !== undefined ? { group: entry.MessageGroupId } : {}),
      sent: now,
      sender,
      visibleAt: now + delay * 1000,
      receiveCount: 0,
    };
  }

  private enqueue(q: QueueState, prepared: StoredMessage & { md5Attrs?: string }): StoredMessage {
    const { md5Attrs: _unused, ...message } = prepared;
    q.add(message, this.now());
    this.record({ o: "s", q: q.name, m: message });
    return message;
  }

  async SendMessage(input: Input, ctx: RequestContext): Promise<Record<string, string>> {
    const q = this.queueOf(input.QueueUrl);
    const prepared = this.prepare(q, input, ctx.sender ?? this.accountId);
    this.enqueue(q, prepared);
    await this.store.durable();
    return {
      MD5OfMessageBody: prepared.md5,
      ...(prepared.md5Attrs ? { MD5OfMessageAttributes: prepared.md5Attrs } : {}),
      ...(prepared.trace ? { MD5OfMessageSystemAttributes: md5OfAttributes({ AWSTraceHeader: { DataType: "String", StringValue: prepared.trace } }) } : {}),
      MessageId: prepared.id,
    };
  }

  async SendMessageBatch(input: Input, ctx: RequestContext) {
    const q = this.queueOf(input.QueueUrl);
    const entries = checkBatch<Input>(input.Entries, "SendMessageBatchRequestEntry");
    const total = entries.reduce((sum, entry) => sum + (typeof entry.MessageBody === "string" ? Buffer.byteLength(entry.MessageBody) : 0), 0);
    const limit = Number(q.attributes.MaximumMessageSize ?? 1_048_576);
    if (total > limit) throw new SqsError("BatchRequestTooLong", `Batch requests cannot be longer than ${limit} bytes. You have sent ${total} bytes.`);
    const answer = batchOf(entries, (entry) => {
      const prepared = this.prepare(q, entry, ctx.sender ?? this.accountId);
      this.enqueue(q, prepared);
      return {
        MessageId: prepared.id,
        MD5OfMessageBody: prepared.md5,
        ...(prepared.md5Attrs ? { MD5OfMessageAttributes: prepared.md5Attrs } : {}),
      };
    });
    await this.store.durable();
    return answer;
  }

  async ReceiveMessage(input: Input, ctx: RequestContext): Promise<{ Messages?: Array<Record<string, unknown>> }> {
    const q = this.queueOf(input.QueueUrl);
    const max = optionalInt(input.MaxNumberOfMessages, "MaxNumberOfMessages", 1, 10, "Must be between 1 and 10, if provided.") ?? 1;
    const visibility = optionalInt(input.VisibilityTimeout, "VisibilityTimeout", 0, 43_200, "Must be >= 0 and <= 43200, if provided.");
    const wait = optionalInt(input.WaitTimeSeconds, "WaitTimeSeconds", 0, 20, "Must be >= 0 and <= 20, if provided.") ?? Number(q.attributes.ReceiveMessageWaitTimeSeconds ?? 0);
    const systemNames = new Set<string>([...asList(input.AttributeNames, "AttributeNames"), ...asList(input.MessageSystemAttributeNames, "MessageSystemAttributeNames")]);
    const attributeNames = asList(input.MessageAttributeNames, "MessageAttributeNames");
    const deadline = this.now() + wait * 1000;
    let wake: (() => void) | undefined;
    const onAbort = () => wake?.();
    ctx.signal?.addEventListener("abort", onAbort);
    try {
      for (;;) {
        const taken = this.take(q, max, visibility ?? Number(q.attributes.VisibilityTimeout ?? 30));
        if (taken.length > 0) {
          await this.store.durable();
          return { Messages: taken.map((message) => this.render(q, message, systemNames, attributeNames)) };
        }
        const remaining = deadline - this.now();
        if (remaining <= 0 || ctx.signal?.aborted || !this.queues.has(q.name)) {
          await this.store.durable(); // moves to the DLQ made while looking
          return {};
        }
        const change = q.changed();
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          void change.promise.then(resolve);
          timer = setTimeout(resolve, remaining);
        });
        clearTimeout(timer);
        change.cancel();
      }
    } finally {
      ctx.signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Takes up to `max` visible messages, moving those past `maxReceiveCount` to the DLQ. */
  private take(q: QueueState, max: number, visibilitySeconds: number): StoredMessage[] {
    const now = this.now();
    q.promote(now);
    const retention = Number(q.attributes.MessageRetentionPeriod ?? 345_600) * 1000;
    const redrive = q.attributes.RedrivePolicy ? parseRedrivePolicy(q.attributes.RedrivePolicy) : undefined;
    const dlq = redrive ? this.queueByArn(redrive.deadLetterTargetArn) : undefined;
    const taken: StoredMessage[] = [];
    for (const message of q.visibleMessages()) {
      if (taken.length >= max) break;
      if (message.sent + retention <= now) {
        q.remove(message);
        this.record({ o: "d", q: q.name, id: message.id });
        continue;
      }
      if (redrive && dlq && message.receiveCount >= redrive.maxReceiveCount) {
        // The receive that would exceed maxReceiveCount moves the message instead (as SQS does).
        q.remove(message);
        dlq.add({ ...message, dlqSource: this.arn(q.name), visibleAt: now }, now);
        this.record({ o: "mv", q: q.name, id: message.id, to: dlq.name, v: now });
        continue;
      }
      q.hide(message, now + visibilitySeconds * 1000, () => {
        message.receiveCount += 1;
        message.firstReceive ??= now;
        message.receipt = randomBytes(9).toString("base64url");
      });
      this.record({ o: "r", q: q.name, id: message.id, n: message.receiveCount, v: message.visibleAt, f: message.firstReceive!, h: message.receipt! });
      taken.push(message);
    }
    return taken;
  }

  private render(q: QueueState, message: StoredMessage, systemNames: Set<string>, attributeNames: string[]): Record<string, unknown> {
    const all = systemNames.has("All");
    const system: Record<string, string | undefined> = {
      SenderId: message.sender,
      SentTimestamp: String(message.sent),
      ApproximateReceiveCount: String(message.receiveCount),
      ApproximateFirstReceiveTimestamp: String(message.firstReceive ?? this.now()),
      AWSTraceHeader: message.trace,
      DeadLetterQueueSourceArn: message.dlqSource,
      MessageGroupId: message.group,
    };
    const attributes: Record<string, string> = {};
    for (const name of SYSTEM_ATTRIBUTES) if ((all || systemNames.has(name)) && system[name] !== undefined) attributes[name] = system[name]!;
    const selected: Record<string, NonNullable<StoredMessage["attrs"]>[string]> = {};
    for (const [name, value] of Object.entries(message.attrs ?? {})) {
      const wanted = attributeNames.some((pattern) => pattern === "All" || pattern === ".*" || pattern === name || (pattern.endsWith(".*") && name.startsWith(pattern.slice(0, -1))));
      if (wanted) selected[name] = value;
    }
    return {
      MessageId: message.id,
      ReceiptHandle: this.receiptHandle(q, message),
      MD5OfBody: message.md5,
      Body: message.body,
      ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
      ...(Object.keys(selected).length > 0 ? { MD5OfMessageAttributes: md5OfAttributes(selected), MessageAttributes: selected } : {}),
    };
  }

  private deleteOne(q: QueueState, handle: unknown): void {
    const { message, stale } = this.resolveHandle(q, handle);
    // Deleting twice succeeds; a handle superseded by a later receive deletes nothing (as SQS documents).
    if (!message || stale) return;
    q.remove(message);
    this.record({ o: "d", q: q.name, id: message.id });
  }

  async DeleteMessage(input: Input): Promise<Record<string, never>> {
    const q = this.queueOf(input.QueueUrl);
    this.deleteOne(q, input.ReceiptHandle);
    await this.store.durable();
    return {};
  }

  async DeleteMessageBatch(input: Input) {
    const q = this.queueOf(input.QueueUrl);
    const entries = checkBatch<Input>(input.Entries, "DeleteMessageBatchRequestEntry");
    const answer = batchOf(entries, (entry) => {
      this.deleteOne(q, entry.ReceiptHandle);
      return {};
    });
    await this.store.durable();
    return answer;
  }

  private changeOne(q: QueueState, handle: unknown, timeout: unknown): void {
    if (timeout === undefined || timeout === null) throw missing("VisibilityTimeout");
    const seconds = optionalInt(timeout, "VisibilityTimeout", 0, 43_200, "Must be >= 0 and <= 43200, if provided.")!;
    const { message, stale } = this.resolveHandle(q, handle);
    const now = this.now();
    q.promote(now);
    if (!message) throw invalidValue("ReceiptHandle", handle, "Message does not exist or is not available for visibility timeout change.");
    if (stale) throw invalidValue("ReceiptHandle", handle, "The receipt handle has expired.");
    if (message.visibleAt <= now) throw new SqsError("MessageNotInflight", "The message referred to isn't in flight.");
    if (seconds === 0) q.show(message, now);
    else q.hide(message, now + seconds * 1000);
    this.record({ o: "v", q: q.name, id: message.id, v: message.visibleAt });
  }

  async ChangeMessageVisibility(input: Input): Promise<Record<string, never>> {
    const q = this.queueOf(input.QueueUrl);
    this.changeOne(q, input.ReceiptHandle, input.VisibilityTimeout);
    await this.store.durable();
    return {};
  }

  async ChangeMessageVisibilityBatch(input: Input) {
    const q = this.queueOf(input.QueueUrl);
    const entries = checkBatch<Input>(input.Entries, "ChangeMessageVisibilityBatchRequestEntry");
    const answer = batchOf(entries, (entry) => {
      this.changeOne(q, entry.ReceiptHandle, entry.VisibilityTimeout);
      return {};
    });
    await this.store.durable();
    return answer;
  }

  // ---- DLQ redrive (StartMessageMoveTask) --------------------------------------------------

  /**
   * Moves the DLQ's messages now (the task completes before the answer): to `DestinationArn`, or
   * each back to its `DeadLetterQueueSourceArn`. Moved messages are new messages (new id, receive
   * count 0) with the same body and attributes.
   */
  async StartMessageMoveTask(input: Input): Promise<{ TaskHandle: string }> {
    if (typeof input.SourceArn !== "string" || input.SourceArn === "") throw missing("SourceArn");
    const source = this.queueByArn(input.SourceArn);
    if (!source) throw new SqsError("ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.");
    const isDlq = [...this.queues.values()].some((q) => q.attributes.RedrivePolicy && parseRedrivePolicy(q.attributes.RedrivePolicy).deadLetterTargetArn === input.SourceArn);
    if (!isDlq) throw invalidValue("SourceArn", input.SourceArn, "Source queue must be configured as a Dead Letter Queue.");
    const destination = input.DestinationArn === undefined ? undefined : this.queueByArn(String(input.DestinationArn));
    if (input.DestinationArn !== undefined && !destination) throw new SqsError("ResourceNotFoundException", "The resource that you specified for the DestinationArn parameter doesn't exist.");
    const moved = this.moveMessages(source, () => true, (message) => destination ?? (message.dlqSource ? this.queueByArn(message.dlqSource) : undefined));
    await this.store.durable();
    const handle = Buffer.from(JSON.stringify({ sourceArn: input.SourceArn, id: randomUUID() })).toString("base64url");
    this.moveTasks.unshift({
      TaskHandle: handle,
      Status: "COMPLETED",
      SourceArn: input.SourceArn,
      ...(input.DestinationArn ? { DestinationArn: input.DestinationArn } : {}),
      ApproximateNumberOfMessagesMoved: moved.length,
      ApproximateNumberOfMessagesToMove: moved.length,
      StartedTimestamp: this.now(),
    });
    return { TaskHandle: handle };
  }

  ListMessageMoveTasks(input: Input): { Results: Array<Record<string, unknown>> } {
    if (typeof input.SourceArn !== "string" || input.SourceArn === "") throw missing("SourceArn");
    if (!this.queueByArn(input.SourceArn)) throw new SqsError("ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.");
    const max = optionalInt(input.MaxResults, "MaxResults", 1, 10, "Must be between 1 and 10, if provided.") ?? 1;
    return { Results: this.moveTasks.filter((task) => task.SourceArn === input.SourceArn).slice(0, max).map(({ TaskHandle: _, ...task }) => task) };
  }

  /**
   * Moves visible messages chosen by `pick` out of `source` into the queue `target` names (new
   * messages: new id, receive count 0, no DLQ source); returns the ids taken from `source`.
   */
  moveMessages(source: QueueState, pick: (message: StoredMessage) => boolean, target: (message: StoredMessage) => QueueState | undefined): string[] {
    const now = this.now();
    source.promote(now);
    const moved: string[] = [];
    for (const message of [...source.visibleMessages()]) {
      const to = pick(message) ? target(message) : undefined;
      if (!to) continue;
      source.remove(message);
      this.record({ o: "d", q: source.name, id: message.id });
      const { dlqSource: _source, receipt: _receipt, firstReceive: _first, note: _note, ...kept } = message;
      const copy: StoredMessage = { ...kept, id: randomUUID(), visibleAt: now, receiveCount: 0 };
      to.add(copy, now);
      this.record({ o: "s", q: to.name, m: copy });
      moved.push(message.id);
    }
    return moved;
  }

  /** Deletes visible messages chosen by `pick` (the runtime's `dlq discard`); returns their ids. */
  discardMessages(source: QueueState, pick: (message: StoredMessage) => boolean): string[] {
    source.promote(this.now());
    const gone: string[] = [];
    for (const message of [...source.visibleMessages()]) {
      if (!pick(message)) continue;
      source.remove(message);
      this.record({ o: "d", q: source.name, id: message.id });
      gone.push(message.id);
    }
    return gone;
  }

  /** Keeps why a consumer last failed a message, with the message (paybus extension, persisted). */
  note(queueName: string, messageId: string, note: string): void {
    const message = this.queues.get(queueName)?.messages.get(messageId);
    if (!message || message.note === note) return;
    message.note = note;
    this.record({ o: "n", q: queueName, id: messageId, e: note });
  }

  /** Brings in-flight messages back within `seconds` (used at boot with the runtime's time scale). */
  capInFlight(queueName: string, seconds: number): void {
    const q = this.queues.get(queueName);
    if (!q) return;
    const now = this.now();
    const cap = now + seconds * 1000;
    for (const message of q.messages.values()) {
      if (message.receiveCount > 0 && message.visibleAt > cap) {
        q.hide(message, cap);
        this.record({ o: "v", q: q.name, id: message.id, v: cap });
      }
    }
  }

  durable(): Promise<void> {
    return this.store.durable();
  }

  close(): void {
    for (const q of this.queues.values()) q.dispose();
  }
}

function asList(value: unknown, parameter: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) throw invalidValue(parameter, value, "must be a list of names.");
  return value as string[];
}

/**
 * Applies `apply` to each batch entry: an `SqsError` fails that entry alone (sender's fault), any
 * other error fails the request. AWS leaves out an empty `Failed` (and an empty `Successful`).
 */
function batchOf(entries: Input[], apply: (entry: Input) => Record<string, string>) {
  const successful: Array<Record<string, string>> = [];
  const failed: Array<Record<string, unknown>> = [];
  for (const entry of entries) {
    try {
      successful.push({ Id: entry.Id as string, ...apply(entry) });
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      failed.push({ Id: entry.Id, SenderFault: true, Code: error.code, Message: error.message });
    }
  }
  return {
    ...(successful.length > 0 ? { Successful: successful } : {}),
    ...(failed.length > 0 ? { Failed: failed } : {}),
  };
}
