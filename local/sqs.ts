/**
 * Queues with SQS semantics (fauxqs, spoken to over the SQS JSON protocol with the real SDK):
 * every declared queue gets a DLQ and a redrive policy, exactly as the stacks create them.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from "@aws-sdk/client-sqs";
import { startFauxqs, type FauxqsServer } from "fauxqs";
import type { QueueDeclaration } from "../events/rules.ts";

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
}

/** The local SQS service, its queues and the DLQ operations the CLI and dashboard need. */
export class LocalSqs {
  readonly queues = new Map<string, QueueHandle>();

  private constructor(
    private readonly server: FauxqsServer,
    readonly client: SQSClient,
    readonly endpoint: string,
    private readonly prefix: string,
    private readonly timeScale: number,
  ) {}

  static async start(options: { host?: string; port?: number; prefix?: string; timeScale?: number; region: string }): Promise<LocalSqs> {
    const host = options.host ?? "127.0.0.1";
    const server = await startFauxqs({ port: options.port ?? 0, host, logger: false, defaultRegion: options.region });
    const endpoint = `http://${host}:${server.port}`;
    const client = new SQSClient({
      endpoint,
      region: options.region,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    return new LocalSqs(server, client, endpoint, options.prefix ?? "paybus", options.timeScale ?? 1);
  }

  /**
   * Scales a duration in seconds for local runs, never below SQS's one-second granularity. Queues
   * keep their declared visibility timeout (so a slow batch is never received twice); the event
   * source mapping shortens it for failed records, so retries come back after the scaled time.
   */
  scaled(seconds: number): number {
    return Math.max(1, Math.round(seconds * this.timeScale));
  }

  /** Creates a queue and its DLQ (idempotent), with the declaration's settings. */
  createQueue(name: string, declaration: Pick<QueueDeclaration, "visibilityTimeoutSeconds" | "retentionSeconds" | "maxReceiveCount">): QueueHandle {
    const physical = `${this.prefix}-${name}`;
    const dlq = this.server.createQueue(`${physical}-dlq`, {
      attributes: { MessageRetentionPeriod: String(14 * 86_400) },
    });
    const queue = this.server.createQueue(physical, {
      attributes: {
        VisibilityTimeout: String(declaration.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(declaration.retentionSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: declaration.maxReceiveCount }),
      },
    });
    const handle: QueueHandle = {
      name,
      physicalName: physical,
      url: queue.queueUrl,
      arn: queue.queueArn,
      dlqName: dlq.queueName,
      dlqUrl: dlq.queueUrl,
      dlqArn: dlq.queueArn,
    };
    this.queues.set(name, handle);
    return handle;
  }

  /** Creates a plain queue without a DLQ (used for EventBridge target DLQs). */
  createPlainQueue(name: string): { url: string; arn: string } {
    const queue = this.server.createQueue(`${this.prefix}-${name}`, {
      attributes: { MessageRetentionPeriod: String(14 * 86_400) },
    });
    return { url: queue.queueUrl, arn: queue.queueArn };
  }

  queue(name: string): QueueHandle {
    const handle = this.queues.get(name);
    if (!handle) throw new Error(`no queue named "${name}" (queues: ${[...this.queues.keys()].join(", ")})`);
    return handle;
  }

  depth(physicalName: string): QueueDepth {
    const inspected = this.server.inspectQueue(physicalName);
    if (!inspected) return { ready: 0, inFlight: 0, delayed: 0 };
    return {
      ready: inspected.messages.ready.length,
      inFlight: inspected.messages.inflight.length,
      delayed: inspected.messages.delayed.length,
    };
  }

  /** The messages in a queue's DLQ, without receiving them. */
  dlqMessages(name: string): DlqMessage[] {
    return this.peek(this.queue(name).dlqName);
  }

  /** The messages in any queue, without receiving them. */
  peek(physicalName: string): DlqMessage[] {
    const inspected = this.server.inspectQueue(physicalName);
    if (!inspected) return [];
    const all = [...inspected.messages.ready, ...inspected.messages.inflight.map((entry) => entry.message)];
    return all.map((message) => ({
      messageId: message.messageId,
      body: message.body,
      receiveCount: message.approximateReceiveCount,
    }));
  }

  /**
   * Moves DLQ messages back to their source queue (all, or those with the given ids), as SQS's
   * DLQ redrive does. Returns the ids moved.
   */
  async redrive(name: string, messageIds?: readonly string[]): Promise<string[]> {
    const handle = this.queue(name);
    return this.drainDlq(handle, messageIds, async (message) => {
      await this.client.send(new SendMessageCommand({ QueueUrl: handle.url, MessageBody: message.Body ?? "" }));
    });
  }

  /** Deletes DLQ messages for good (all, or those with the given ids). Returns the ids deleted. */
  async discard(name: string, messageIds?: readonly string[]): Promise<string[]> {
    return this.drainDlq(this.queue(name), messageIds, async () => undefined);
  }

  private async drainDlq(
    handle: QueueHandle,
    messageIds: readonly string[] | undefined,
    onMessage: (message: Message) => Promise<void>,
  ): Promise<string[]> {
    const wanted = messageIds ? new Set(messageIds) : undefined;
    const done: string[] = [];
    const skipped: Message[] = [];
    for (;;) {
      const { Messages = [] } = await this.client.send(
        new ReceiveMessageCommand({ QueueUrl: handle.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 30 }),
      );
      if (Messages.length === 0) break;
      for (const message of Messages) {
        if (wanted && !wanted.has(message.MessageId ?? "")) {
          skipped.push(message);
          continue;
        }
        await onMessage(message);
        await this.client.send(new DeleteMessageCommand({ QueueUrl: handle.dlqUrl, ReceiptHandle: message.ReceiptHandle }));
        done.push(message.MessageId ?? "");
      }
    }
    // Messages we were not asked to move become visible again straight away.
    await Promise.all(
      skipped.map((message) =>
        this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: handle.dlqUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 })),
      ),
    );
    return done;
  }

  async stop(): Promise<void> {
    this.client.destroy();
    await this.server.stop();
  }
}
