/**
 * The local SQS service: paybus's own engine (`local/sqs/`), durable in the runtime's data
 * directory, served on loopback in the JSON and query protocols. Every declared queue gets a DLQ
 * and a redrive policy, exactly as the stacks create them. The runtime itself (bus deliveries, the
 * event source mappings, DLQ redrive/discard) calls the engine directly; clients use HTTP.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { QueueDeclaration } from "../declarations/rules.ts";
import { adminClient } from "./admin-client.ts";
import { close, listen } from "./aws-json.ts";
import { SqsEngine, type RequestContext } from "./sqs/engine.ts";
import { handleSqs } from "./sqs/protocol.ts";
import type { QueueState } from "./sqs/queue.ts";
import { FileStore, MemoryStore, type SqsStore } from "./sqs/store.ts";
import type { MessageAttributeValue } from "./sqs/validate.ts";

export { sqsProtocolOf } from "./sqs/protocol.ts";

export interface QueueHandle {
  readonly name: string;
  readonly physicalName: string;
  readonly url: string;
  readonly arn: string;
  readonly dlqName: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

export interface QueueDepth {
  readonly ready: number;
  readonly inFlight: number;
  readonly delayed: number;
}

export interface DlqMessage {
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount: number;
  /** Why a consumer last failed it, kept with the message across restarts. */
  readonly error?: string;
}

export interface LocalSqsOptions {
  readonly host?: string;
  readonly port?: number;
  readonly prefix?: string;
  readonly timeScale?: number;
  readonly region: string;
  readonly accountId?: string;
  /** Directory of the durable log; in memory when absent. */
  readonly dataDir?: string;
  /** Log size that triggers a snapshot (default 8 MiB; tests make it small). */
  readonly compactAfterBytes?: number;
}

/** The local SQS service, its queues and the DLQ operations the CLI and dashboard need. */
export class LocalSqs {
  readonly queues = new Map<string, QueueHandle>();

  private constructor(
    readonly engine: SqsEngine,
    private readonly store: SqsStore,
    private readonly server: Server,
    readonly client: SQSClient,
    readonly endpoint: string,
    private readonly prefix: string,
    private readonly timeScale: number,
  ) {}

  static async start(options: LocalSqsOptions): Promise<LocalSqs> {
    const host = options.host ?? "127.0.0.1";
    let engine: SqsEngine | undefined;
    const engineOptions = { region: options.region, accountId: options.accountId ?? "000000000000" };
    let store: SqsStore;
    if (options.dataDir) {
      const opened = await FileStore.open(options.dataDir, () => engine!.snapshot(), options);
      store = opened.store;
      engine = new SqsEngine({ ...engineOptions, store });
      engine.restore(opened.recovered.snapshot, opened.recovered.records);
    } else {
      store = new MemoryStore();
      engine = new SqsEngine({ ...engineOptions, store });
    }
    let endpoint = "";
    const server = createServer((req, res) => void handleSqs(engine!, req, res, endpoint));
    try {
      endpoint = await listen(server, host, options.port ?? 0);
    } catch (error) {
      await store.close();
      throw error;
    }
    const client = adminClient(SQSClient, endpoint, options.region);
    return new LocalSqs(engine, store, server, client, endpoint, options.prefix ?? "paybus", options.timeScale ?? 1);
  }

  /** Answers an SQS request that arrived elsewhere (the gateway), with queue URLs on its Host. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return handleSqs(this.engine, req, res, this.endpoint);
  }

  /**
   * Scales a duration in seconds for local runs, never below SQS's one-second granularity. Queues
   * keep their declared visibility timeout (so a slow batch is never received twice); the event
   * source mapping shortens it for failed records, so retries come back after the scaled time.
   */
  scaled(seconds: number): number {
    return Math.max(1, Math.round(seconds * this.timeScale));
  }

  private handleFor(name: string): { url: string; arn: string } {
    return { url: this.engine.url(this.endpoint, name), arn: this.engine.arn(name) };
  }

  /**
   * Creates a queue and its DLQ (or brings them, kept from a previous run, to the declaration's
   * settings). Messages a previous process left in flight come back within the scaled visibility
   * timeout: the in-process consumers that held them died with that process.
   */
  createQueue(name: string, declaration: Pick<QueueDeclaration, "visibilityTimeoutSeconds" | "retentionSeconds" | "maxReceiveCount">): QueueHandle {
    const physical = `${this.prefix}-${name}`;
    const dlqName = `${physical}-dlq`;
    const dlq = this.handleFor(dlqName);
    this.engine.ensureQueue(dlqName, { MessageRetentionPeriod: String(14 * 86_400) });
    this.engine.ensureQueue(physical, {
      VisibilityTimeout: String(declaration.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(declaration.retentionSeconds),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: declaration.maxReceiveCount }),
    });
    this.engine.capInFlight(physical, this.scaled(declaration.visibilityTimeoutSeconds));
    this.engine.capInFlight(dlqName, this.scaled(30));
    const queue = this.handleFor(physical);
    const handle: QueueHandle = { name, physicalName: physical, url: queue.url, arn: queue.arn, dlqName, dlqUrl: dlq.url, dlqArn: dlq.arn };
    this.queues.set(name, handle);
    return handle;
  }

  /** Creates a plain queue without a DLQ (used for EventBridge target DLQs). */
  createPlainQueue(name: string): { url: string; arn: string } {
    const physical = `${this.prefix}-${name}`;
    this.engine.ensureQueue(physical, { MessageRetentionPeriod: String(14 * 86_400) });
    return this.handleFor(physical);
  }

  queue(name: string): QueueHandle {
    const handle = this.queues.get(name);
    if (!handle) throw new Error(`no queue named "${name}" (queues: ${[...this.queues.keys()].join(", ")})`);
    return handle;
  }

  private state(physicalName: string): QueueState | undefined {
    const q = this.engine.queueNamed(physicalName);
    q?.promote(Date.now());
    return q;
  }

  depth(physicalName: string): QueueDepth {
    const q = this.state(physicalName);
    return q ? { ready: q.visibleCount, inFlight: q.inFlight, delayed: q.delayed } : { ready: 0, inFlight: 0, delayed: 0 };
  }

  /** Sends a message (durable when the promise resolves), as a producer in this process would. */
  async send(url: string, body: string, messageAttributes?: Record<string, MessageAttributeValue>): Promise<string> {
    const answer = await this.engine.SendMessage({ QueueUrl: url, MessageBody: body, ...(messageAttributes ? { MessageAttributes: messageAttributes } : {}) }, this.context());
    return answer.MessageId!;
  }

  /** The context of a request made by the runtime itself. */
  context(signal?: AbortSignal): RequestContext {
    return { origin: this.endpoint, sender: "paybus-local", ...(signal ? { signal } : {}) };
  }

  /** Keeps why a consumer failed a message with it (persisted; moves to the DLQ with it). */
  note(physicalName: string, messageId: string, error: string): void {
    this.engine.note(physicalName, messageId, error);
  }

  /** The note kept with a message (see {@link note}), if it is still in that queue. */
  noteOf(physicalName: string, messageId: string): string | undefined {
    return this.engine.queueNamed(physicalName)?.messages.get(messageId)?.note;
  }

  /** The messages in a queue's DLQ, without receiving them. */
  dlqMessages(name: string): DlqMessage[] {
    return this.peek(this.queue(name).dlqName);
  }

  /** The messages in any queue (visible, in flight and delayed), without receiving them. */
  peek(physicalName: string): DlqMessage[] {
    const q = this.state(physicalName);
    return [...(q?.messages.values() ?? [])].map((message) => ({
      messageId: message.id,
      body: message.body,
      receiveCount: message.receiveCount,
      ...(message.note ? { error: message.note } : {}),
    }));
  }

  /**
   * Moves DLQ messages back to their source queue (all, or those with the given ids), as SQS's
   * DLQ redrive does: they arrive as new messages. Returns the DLQ ids moved.
   */
  async redrive(name: string, messageIds?: readonly string[]): Promise<string[]> {
    const handle = this.queue(name);
    const wanted = messageIds ? new Set(messageIds) : undefined;
    const source = this.engine.queueNamed(handle.physicalName);
    const dlq = this.engine.queueNamed(handle.dlqName);
    if (!source || !dlq) return [];
    const moved = this.engine.moveMessages(dlq, (message) => !wanted || wanted.has(message.id), () => source);
    await this.engine.durable();
    return moved;
  }

  /** Deletes DLQ messages for good (all, or those with the given ids). Returns the ids deleted. */
  async discard(name: string, messageIds?: readonly string[]): Promise<string[]> {
    const wanted = messageIds ? new Set(messageIds) : undefined;
    const dlq = this.engine.queueNamed(this.queue(name).dlqName);
    if (!dlq) return [];
    const gone = this.engine.discardMessages(dlq, (message) => !wanted || wanted.has(message.id));
    await this.engine.durable();
    return gone;
  }

  async stop(): Promise<void> {
    this.client.destroy();
    await close(this.server);
    this.engine.close();
    await this.store.close();
  }
}
