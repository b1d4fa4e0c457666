/**
 * paybus's SQS engine: standard queues with AWS's semantics (visibility timeouts, long polling,
 * exact receive counts, redrive to a DLQ after `maxReceiveCount` with `DeadLetterQueueSourceArn`,
 * delays, retention, batches), every change recorded in a {@link SqsStore} before it is answered.
 * Operations take and return the shapes of the SQS JSON protocol; `protocol.ts` serves them over
 * JSON and the query protocol.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { invalidReceipt, invalidValue, missing, noQueue, SqsError } from "./errors.ts";
import { QueueState, type StoredMessage } from "./queue.ts";
import type { SqsStore } from "./store.ts";
import {
  checkBatch,
  checkBody,
  checkMessageAttributes,
  checkQueueAttributes,
  checkQueueName,
  DEFAULT_ATTRIBUTES,
  md5,
  md5OfAttributes,
  optionalInt,
  parseRedriveAllowPolicy,
  parseRedrivePolicy,
} from "./validate.ts";

/** Who asks, and on which host: queue URLs are built from the request's `Host`. */
export interface RequestContext {
  /** `http://host:port` the request was addressed to. */
  readonly origin: string;
  /** The caller's access key id (SenderId of what it sends). */
  readonly sender?: string;
  /** Aborted when the client goes away (ends a long poll early). */
  readonly signal?: AbortSignal;
}

type Input = Record<string, any>;

const SYSTEM_ATTRIBUTES = ["SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp", "AWSTraceHeader", "DeadLetterQueueSourceArn", "MessageGroupId"] as const;

const QUEUE_READ_ONLY = ["QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp"];

/** Records of the log (see store.ts). */
type LogRecord =
  | { o: "cq"; q: string; a: Record<string, string>; t: Record<string, string>; c: number; m: number }
  | { o: "dq"; q: string }
  | { o: "pq"; q: string }
  | { o: "s"; q: string; m: StoredMessage }
  | { o: "r"; q: string; id: string; n: number; v: number; f: number; h: string }
  | { o: "v"; q: string; id: string; v: number }
  | { o: "d"; q: string; id: string }
  | { o: "mv"; q: string; id: string; to: string; v: number }
  | { o: "n"; q: string; id: string; e: string };

interface Snapshot {
  readonly version: 1;
  readonly queues: Array<{ name: string; attributes: Record<string, string>; tags: Record<string, string>; created: number; modified: number; messages: StoredMessage[] }>;
}

export interface EngineOptions {
  readonly region: string;
  readonly accountId: string;
  readonly store: SqsStore;
  readonly now?: () => number;
}

/** The SQS engine. Create it, {@link SqsEngine.restore} what the store recovered, then serve it. */
export class SqsEngine {
  private readonly queues = new Map<string, QueueState>();
  private readonly deletedAt = new Map<string, number>();
  private readonly moveTasks: Array<Record<string, unknown>> = [];
  readonly region: string;
  readonly accountId: string;
  private readonly store: SqsStore;
  private readonly now: () => number;

  constructor(options: EngineOptions) {
    this.region = options.region;
    this.accountId = options.accountId;
    this.store = options.store;
    this.now = options.now ?? Date.now;
  }

  // ---- persistence -------------------------------------------------------------------------

  /** The whole state, for a snapshot. */
  snapshot(): Snapshot {
    return {
      version: 1,
      queues: [...this.queues.values()].map((q) => ({ name: q.name, attributes: q.attributes, tags: q.tags, created: q.created, modified: q.modified, messages: [...q.messages.values()] })),
    };
  }

  /** Loads a snapshot and replays the records written after it. */
  restore(snapshot: unknown, records: readonly unknown[]): void {
    const now = this.now();
    for (const saved of (snapshot as Snapshot | undefined)?.queues ?? []) {
      const q = new QueueState(saved.name, saved.attributes, saved.tags, saved.created, saved.modified);
      for (const message of saved.messages) q.add(message, now);
      this.queues.set(q.name, q);
    }
    for (const record of records as LogRecord[]) this.apply(record, now);
  }

  private apply(r: LogRecord, now: number): void {
    const q = this.queues.get(r.q);
    switch (r.o) {
      case "cq":
        if (q) Object.assign(q, { attributes: r.a, tags: r.t, modified: r.m });
        else this.queues.set(r.q, new QueueState(r.q, r.a, r.t, r.c, r.m));
        return;
      case "dq":
        q?.dispose();
        this.queues.delete(r.q);
        return;
      case "pq":
        q?.purge();
        return;
      case "s":
        q?.add(r.m, now);
        return;
    }
    const message = q?.messages.get(r.id);
    if (!q || !message) return;
    switch (r.o) {
      case "r":
        q.hide(message, r.v, () => {
          message.receiveCount = r.n;
          message.firstReceive = r.f;
          message.receipt = r.h;
        });
        if (r.v <= now) q.promote(now);
        return;
      case "v":
        if (r.v <= now) q.show(message, now);
        else q.hide(message, r.v);
        return;
      case "d":
        q.remove(message);
        return;
      case "mv": {
        q.remove(message);
        const target = this.queues.get(r.to);
        target?.add({ ...message, dlqSource: this.arn(q.name), visibleAt: r.v }, now);
        return;
      }
      case "n":
        message.note = r.e;
        return;
    }
  }

  private record(record: LogRecord): void {
    this.store.append(record);
  }

  // ---- naming ------------------------------------------------------------------------------

  arn(name: string): string {
    return `arn:aws:sqs:${this.region}:${this.accountId}:${name}`;
  }

  url(origin: string, name: string): string {
    return `${origin}/${this.accountId}/${name}`;
  }

  /** The queue a QueueUrl names (any host: the path `/<account>/<name>` decides). */
  private queueOf(queueUrl: unknown): QueueState {
    if (queueUrl === undefined || queueUrl === null || queueUrl === "") throw missing("QueueUrl");
    if (typeof queueUrl !== "string") throw invalidValue("QueueUrl", queueUrl, "must be a string.");
    let path: string;
    try {
      path = new URL(queueUrl).pathname;
    } catch {
      path = queueUrl.startsWith("/") ? queueUrl : "";
    }
    const match = /^\/(\d{12})\/([^/]+)\/?$/.exec(path);
    if (!match) throw new SqsError("InvalidAddress", `The address ${queueUrl} is not valid for this endpoint.`);
    const q = match[1] === this.accountId ? this.queues.get(decodeURIComponent(match[2]!)) : undefined;
    if (!q) throw noQueue();
    return q;
  }

  private queueByArn(arn: string): QueueState | undefined {
    const prefix = `arn:aws:sqs:${this.region}:${this.accountId}:`;
    return arn.startsWith(prefix) ? this.queues.get(arn.slice(prefix.length)) : undefined;
  }

  /** A queue by name, for the runtime (no request, no URL). */
  queueNamed(name: string): QueueState | undefined {
    return this.queues.get(name);
  }

  // ---- receipt handles ---------------------------------------------------------------------

  private receiptHandle(q: QueueState, message: StoredMessage): string {
    const payload = Buffer.from(`${q.name}\n${message.id}\n${message.receipt}`).toString("base64url");
    const mac = createHmac("sha256", this.store.secret).update(payload).digest("base64url");
    return `${payload}.${mac}`;
  }

  /** The message a handle designates: `deleted` if it is gone, `stale` if received again since. */
  private resolveHandle(q: QueueState, handle: unknown): { message?: StoredMessage; stale: boolean } {
    if (handle === undefined || handle === null || handle === "") throw missing("ReceiptHandle");
    if (typeof handle !== "string") throw invalidReceipt(String(handle));
    const [payload, mac, extra] = handle.split(".");
    if (!payload || !mac || extra !== undefined) throw invalidReceipt(handle);
    const expected = createHmac("sha256", this.store.secret).update(payload).digest();
    const given = Buffer.from(mac, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidReceipt(handle);
    const [queueName, id, nonce] = Buffer.from(payload, "base64url").toString("utf8").split("\n");
    if (queueName !== q.name) throw invalidReceipt(handle);
    const message = q.messages.get(id ?? "");
    if (!message) return { stale: false };
    return { message, stale: message.receipt !== nonce };
  }

  // ---- queues ------------------------------------------------------------------------------

  private checkRedrive(q: { name: string }, attributes: Record<string, string>): void {
    if (attributes.RedrivePolicy !== undefined && attributes.RedrivePolicy !== "") {
      const policy = parseRedrivePolicy(attributes.RedrivePolicy);
      const target = this.queueByArn(policy.deadLetterTargetArn);
      if (!target) throw invalidValue("RedrivePolicy", attributes.RedrivePolicy, "Dead letter target does not exist.");
      const allow = target.attributes.RedriveAllowPolicy ? parseRedriveAllowPolicy(target.attributes.RedriveAllowPolicy) : undefined;
      if (allow && (allow.redrivePermission === "denyAll" || (allow.redrivePermission === "byQueue" && !allow.sourceQueueArns?.includes(this.arn(q.name))))) {
        throw invalidValue("RedrivePolicy", attributes.RedrivePolicy, `Queue ${policy.deadLetterTargetArn} does not allow this queue to use it as a dead-letter queue.`);
      }
      attributes.RedrivePolicy = JSON.stringify(policy);
    }
    if (attributes.RedriveAllowPolicy !== undefined && attributes.RedriveAllowPolicy !== "") {
      attributes.RedriveAllowPolicy = JSON.stringify(parseRedriveAllowPolicy(attributes.RedriveAllowPolicy));
    }
  }

  async CreateQueue(input: Input, ctx: RequestContext): Promise<{ QueueUrl: string }> {
    const name = checkQueueName(input.QueueName, (input.Attributes ?? {}) as Record<string, string>);
    const requested = checkQueueAttributes(input.Attributes, true);
    const tags = this.checkTags(input.tags);
    const existing = this.queues.get(name);
    if (existing) {
      for (const [key, value] of Object.entries(requested)) {
        if ((existing.attributes[key] ?? DEFAULT_ATTRIBUTES[key] ?? "") !== value) {
          throw new SqsError("QueueNameExists", `A queue already exists with the same name and a different value for attribute ${key}`);
        }
      }
      return { QueueUrl: this.url(ctx.origin, name) };
    }
    const deleted = this.deletedAt.get(name);
    if (deleted !== undefined && this.now() - deleted < 60_000) {
      throw new SqsError("QueueDeletedRecently", "You must wait 60 seconds after deleting a queue before you can create another with the same name.");
    }
    this.create(name, requested, tags);
    await this.store.durable();
    return { QueueUrl: this.url(ctx.origin, name) };
  }

  private create(name: string, requested: Record<string, string>, tags: Record<string, string>): QueueState {
    this.checkRedrive({ name }, requested);
    const attributes = { ...DEFAULT_ATTRIBUTES, ...requested };
    for (const key of ["RedrivePolicy", "RedriveAllowPolicy", "Policy", "KmsMasterKeyId"]) if (attributes[key] === "") delete attributes[key];
    if (attributes.KmsMasterKeyId) attributes.SqsManagedSseEnabled = "false";
    const now = Math.floor(this.now() / 1000);
    const q = new QueueState(name, attributes, tags, now, now);
    this.queues.set(name, q);
    this.record({ o: "cq", q: name, a: attributes, t: tags, c: now, m: now });
    return q;
  }

  /**
   * Creates a queue, or brings an existing one (kept on disk from a previous run) to the given
   * attributes, as a deploy would; synchronous, for the runtime's boot (durable at the next
   * `durable()`).
   */
  ensureQueue(name: string, attributes: Record<string, string>): QueueState {
    checkQueueName(name, attributes);
    const requested = checkQueueAttributes(attributes, true);
    const existing = this.queues.get(name);
    if (!existing) return this.create(name, requested, {});
    this.checkRedrive(existing, requested);
    const next = { ...existing.attributes, ...requested };
    if (JSON.stringify(next) !== JSON.stringify(existing.attributes)) {
      existing.attributes = next;
      existing.modified = Math.floor(this.now() / 1000);
      this.record({ o: "cq", q: name, a: next, t: existing.tags, c: existing.created, m: existing.modified });
    }
    return existing;
  }

  private checkTags(tags: unknown): Record<string, string> {
    if (tags === undefined || tags === null) return {};
    if (typeof tags !== "object" || Array.isArray(tags)) throw invalidValue("Tags", tags, "must be a map.");
    const entries = Object.entries(tags as Record<string, unknown>);
    if (entries.length > 50) throw invalidValue("Tags", "", "Too many tags added for queue.");
    for (const [key, value] of entries) {
      if (key.length < 1 || key.length > 128 || typeof value !== "string" || value.length > 256) throw invalidValue("Tags", key, "Tag keys must be 1 to 128 characters and values at most 256.");
    }
    return { ...(tags as Record<string, string>) };
  }

  GetQueueUrl(input: Input, ctx: RequestContext): { QueueUrl: string } {
    if (typeof input.QueueName !== "string" || input.QueueName === "") throw missing("QueueName");
    if (input.QueueOwnerAWSAccountId !== undefined && input.QueueOwnerAWSAccountId !== this.accountId) throw noQueue();
    if (!this.queues.has(input.QueueName)) throw noQueue();
    return { QueueUrl: this.url(ctx.origin, input.QueueName) };
  }

  ListQueues(input: Input, ctx: RequestContext): { QueueUrls?: string[]; NextToken?: string } {
    const max = optionalInt(input.MaxResults, "MaxResults", 1, 1000, "MaxResults must be an integer between 1 and 1000.");
    if (input.NextToken !== undefined && max === undefined) throw invalidValue("NextToken", input.NextToken, "MaxResults is required with NextToken.");
    const prefix = typeof input.QueueNamePrefix === "string" ? input.QueueNamePrefix : "";
    const names = [...this.queues.keys()].filter((name) => name.startsWith(prefix)).sort();
    return this.page(names.map((name) => this.url(ctx.origin, name)), input.NextToken, max, "QueueUrls");
  }

  private page<K extends string>(items: string[], token: unknown, max: number | undefined, key: K): { [P in K]?: string[] } & { NextToken?: string } {
    let start = 0;
    if (token !== undefined && token !== null) {
      start = typeof token === "string" && /^\d+$/.test(Buffer.from(token, "base64url").toString()) ? Number(Buffer.from(token, "base64url").toString()) : NaN;
      if (!Number.isInteger(start)) throw invalidValue("NextToken", token, "Invalid or expired next token.");
    }
    const limit = max ?? 1000;
    const slice = items.slice(start, start + limit);
    const out: Record<string, unknown> = {};
    if (slice.length > 0) out[key] = slice;
    if (max !== undefined && start + limit < items.length) out.NextToken = Buffer.from(String(start + limit)).toString("base64url");
    return out as { [P in K]?: string[] } & { NextToken?: string };
  }

  GetQueueAttributes(input: Input): { Attributes?: Record<string, string> } {
    const q = this.queueOf(input.QueueUrl);
    const names: unknown = input.AttributeNames ?? [];
    if (!Array.isArray(names)) throw invalidValue("AttributeNames", names, "must be a list.");
    const all = this.attributesOf(q);
    const wanted = names.includes("All") ? Object.keys(all) : names;
    const out: Record<string, string> = {};
    for (const name of wanted as string[]) {
      if (name === "All") continue;
      if (!(name in all) && !QUEUE_READ_ONLY.includes(name) && !["Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled"].includes(name)) {
        throw new SqsError("InvalidAttributeName", `Unknown Attribute ${name}.`);
      }
      if (all[name] !== undefined) out[name] = all[name]!;
    }
    return Object.keys(out).length > 0 ? { Attributes: out } : {};
  }

  private attributesOf(q: QueueState): Record<string, string> {
    q.promote(this.now());
    return {
      QueueArn: this.arn(q.name),
      ApproximateNumberOfMessages: String(q.visibleCount),
      ApproximateNumberOfMessagesNotVisible: String(q.inFlight),
      ApproximateNumberOfMessagesDelayed: String(q.delayed),
      CreatedTimestamp: String(q.created),
      LastModifiedTimestamp: String(q.modified),
      ...q.attributes,
    };
  }

  async SetQueueAttributes(input: Input): Promise<Record<string, never>> {
    const q = this.queueOf(input.QueueUrl);
    if (input.Attributes === undefined || input.Attributes === null) throw missing("Attributes");
    const requested = checkQueueAttributes(input.Attributes, false);
    this.checkRedrive(q, requested);
    const attributes = { ...q.attributes, ...requested };
    for (const key of ["RedrivePolicy", "RedriveAllowPolicy", "Policy", "KmsMasterKeyId"]) if (attributes[key] === "") delete attributes[key];
    q.attributes = attributes;
    q.modified = Math.floor(this.now() / 1000);
    this.record({ o: "cq", q: q.name, a: attributes, t: q.tags, c: q.created, m: q.modified });
    await this.store.durable();
    return {};
  }

  async DeleteQueue(input: Input): Promise<Record<string, never>> {
    const q = this.queueOf(input.QueueUrl);
    q.dispose();
    this.queues.delete(q.name);
    this.deletedAt.set(q.name, this.now());
    this.record({ o: "dq", q: q.name });
    await this.store.durable();
    return {};
  }

  async PurgeQueue(input: Input): Promise<Record<string, never>> {
    const q = this.queueOf(input.QueueUrl);
    if (this.now() - q.lastPurge < 60_000) throw new SqsError("PurgeQueueInProgress", `Only one PurgeQueue operation on ${q.name} is allowed every 60 seconds.`);
    q.lastPurge = this.now();
    q.purge();
    this.record({ o: "pq", q: q.name });
    await this.store.durable();
    return {};
  }

  async TagQueue(input: Input): Promise<Record<string, never>> {
    const q = this.queueOf(input.QueueUrl);
    if (input.Tags === undefined) throw missing("Tags");
    q.tags = { ...q.tags, ...this.checkTags(input.Tags) };
    this.record({ o: "cq", q: q.name, a: q.attributes, t: q.tags, c: q.created, m: q.modified });
    await this.store.durable();
    return {};
  }

  async UntagQueue(input: Input): Promise<Record<string, never>> {
    const q = this.queueOf(input.QueueUrl);
    if (!Array.isArray(input.TagKeys)) throw missing("TagKeys");
    q.tags = Object.fromEntries(Object.entries(q.tags).filter(([key]) => !input.TagKeys.includes(key)));
    this.record({ o: "cq", q: q.name, a: q.attributes, t: q.tags, c: q.created, m: q.modified });
    await this.store.durable();
    return {};
  }

  ListQueueTags(input: Input): { Tags?: Record<string, string> } {
    const q = this.queueOf(input.QueueUrl);
    return Object.keys(q.tags).length > 0 ? { Tags: { ...q.tags } } : {};
  }

  ListDeadLetterSourceQueues(input: Input, ctx: RequestContext): { queueUrls: string[]; NextToken?: string } {
    const q = this.queueOf(input.QueueUrl);
    const max = optionalInt(input.MaxResults, "MaxResults", 1, 1000, "MaxResults must be an integer between 1 and 1000.");
    const arn = this.arn(q.name);
    const sources = [...this.queues.values()]
      .filter((source) => source.attributes.RedrivePolicy && parseRedrivePolicy(source.attributes.RedrivePolicy).deadLetterTargetArn === arn)
      .map((source) => this.url(ctx.origin, source.name))
      .sort();
    const page = this.page(sources, input.NextToken, max, "queueUrls");
    return { ...page, queueUrls: page.queueUrls ?? [] };
  }

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
    const successful: Array<Record<string, string>> = [];
    const failed: Array<Record<string, unknown>> = [];
    for (const entry of entries) {
      try {
        const prepared = this.prepare(q, entry, ctx.sender ?? this.accountId);
        this.enqueue(q, prepared);
        successful.push({
          Id: entry.Id,
          MessageId: prepared.id,
          MD5OfMessageBody: prepared.md5,
          ...(prepared.md5Attrs ? { MD5OfMessageAttributes: prepared.md5Attrs } : {}),
        });
      } catch (error) {
        if (!(error instanceof SqsError)) throw error;
        failed.push({ Id: entry.Id, SenderFault: true, Code: error.code, Message: error.message });
      }
    }
    await this.store.durable();
    return batchAnswer(successful, failed);
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
    const successful: Array<Record<string, string>> = [];
    const failed: Array<Record<string, unknown>> = [];
    for (const entry of entries) {
      try {
        this.deleteOne(q, entry.ReceiptHandle);
        successful.push({ Id: entry.Id });
      } catch (error) {
        if (!(error instanceof SqsError)) throw error;
        failed.push({ Id: entry.Id, SenderFault: true, Code: error.code, Message: error.message });
      }
    }
    await this.store.durable();
    return batchAnswer(successful, failed);
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
    const successful: Array<Record<string, string>> = [];
    const failed: Array<Record<string, unknown>> = [];
    for (const entry of entries) {
      try {
        this.changeOne(q, entry.ReceiptHandle, entry.VisibilityTimeout);
        successful.push({ Id: entry.Id });
      } catch (error) {
        if (!(error instanceof SqsError)) throw error;
        failed.push({ Id: entry.Id, SenderFault: true, Code: error.code, Message: error.message });
      }
    }
    await this.store.durable();
    return batchAnswer(successful, failed);
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

/** A batch answer: AWS leaves out an empty `Failed` (and an empty `Successful`). */
function batchAnswer(successful: Array<Record<string, string>>, failed: Array<Record<string, unknown>>) {
  return {
    ...(successful.length > 0 ? { Successful: successful } : {}),
    ...(failed.length > 0 ? { Failed: failed } : {}),
  };
}
