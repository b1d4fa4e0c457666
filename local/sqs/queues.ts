/**
 * The queue half of paybus's SQS engine (`engine.ts` adds the message operations): the queues and
 * their attributes (CreateQueue … ListDeadLetterSourceQueues), the log records and their replay,
 * queue URLs and ARNs, and signed receipt handles.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { invalidReceipt, invalidValue, missing, noQueue, SqsError } from "./errors.ts";
import { QueueState, type StoredMessage } from "./queue.ts";
import type { SqsStore } from "./store.ts";
import { checkQueueAttributes, checkQueueName, DEFAULT_ATTRIBUTES, optionalInt, parseRedriveAllowPolicy, parseRedrivePolicy } from "./validate.ts";

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

/** Queues, persistence, naming and receipt handles; {@link SqsEngine} adds the message operations. */
export class SqsQueues {
  protected readonly queues = new Map<string, QueueState>();
  protected readonly deletedAt = new Map<string, number>();
  readonly region: string;
  readonly accountId: string;
  protected readonly store: SqsStore;
  protected readonly now: () => number;

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

  protected apply(r: LogRecord, now: number): void {
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

  protected record(record: LogRecord): void {
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
  protected queueOf(queueUrl: unknown): QueueState {
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

  protected queueByArn(arn: string): QueueState | undefined {
    const prefix = `arn:aws:sqs:${this.region}:${this.accountId}:`;
    return arn.startsWith(prefix) ? this.queues.get(arn.slice(prefix.length)) : undefined;
  }

  /** A queue by name, for the runtime (no request, no URL). */
  queueNamed(name: string): QueueState | undefined {
    return this.queues.get(name);
  }

  // ---- receipt handles ---------------------------------------------------------------------

  protected receiptHandle(q: QueueState, message: StoredMessage): string {
    const payload = Buffer.from(`${q.name}\n${message.id}\n${message.receipt}`).toString("base64url");
    const mac = createHmac("sha256", this.store.secret).update(payload).digest("base64url");
    return `${payload}.${mac}`;
  }

  /** The message a handle designates: `deleted` if it is gone, `stale` if received again since. */
  protected resolveHandle(q: QueueState, handle: unknown): { message?: StoredMessage; stale: boolean } {
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

  protected checkRedrive(q: { name: string }, attributes: Record<string, string>): void {
    if (attributes.RedrivePolicy !== undefined && attributes.RedrivePolicy !== "") {
      const policy = parseRedrivePolicy(attributes.RedrivePolicy);
      const target = this.queueByArn(policy.deadLetterTargetArn);
      if (!target) throw invalidValue("RedrivePolicy", attributes.RedrivePolicy, "Dead letter target does not exist.");
      if (target.name === q.name) throw invalidValue("RedrivePolicy", attributes.RedrivePolicy, "A queue cannot be its own dead-letter queue.");
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

  protected create(name: string, requested: Record<string, string>, tags: Record<string, string>): QueueState {
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

  protected checkTags(tags: unknown): Record<string, string> {
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

  protected page<K extends string>(items: string[], token: unknown, max: number | undefined, key: K): { [P in K]?: string[] } & { NextToken?: string } {
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

  protected attributesOf(q: QueueState): Record<string, string> {
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

}
