/**
 * The Lambda event source mapping for SQS, emulated: long-polls a queue, hands the unmodified
 * handler real SQS-shaped batches (batch size, batching window, maximum concurrency), deletes what
 * succeeded, and leaves failures to reappear after the visibility timeout — as AWS does. It calls
 * the local SQS engine's operations directly (same inputs and answers as the SQS API, no HTTP hop).
 */
import type { Message } from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import type { ConsumerDeclaration } from "../declarations/rules.ts";
import { RECORD_FAILED } from "../functions/common/batch.ts";
import { FaultSwitch } from "./faults.ts";
import type { Journal } from "./journal.ts";
import { FunctionTimeoutError, type Invocation, type LambdaHost, type LocalFunction } from "./lambda.ts";
import type { LocalSqs, QueueHandle } from "./sqs.ts";

/** Why a whole batch counted as failed, when the handler's answer could not be used. */
export function batchResponseProblem(response: unknown, messageIds: ReadonlySet<string>): string | undefined {
  if (response === undefined || response === null) return undefined;
  if (typeof response !== "object") return "the response is not an object";
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return undefined;
  if (!Array.isArray(failures)) return "batchItemFailures is not a list";
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || id === "") return "a batchItemFailures entry has no itemIdentifier";
    if (!messageIds.has(id)) return `itemIdentifier "${id}" is not a message of this batch`;
  }
  return undefined;
}

/** The ids of the records to keep (failed), or every id when the batch failed as a whole. */
export function failedIds(response: unknown, messageIds: ReadonlySet<string>): { failed: Set<string>; problem?: string } {
  const problem = batchResponseProblem(response, messageIds);
  if (problem) return { failed: new Set(messageIds), problem };
  const failures = (response as { batchItemFailures?: Array<{ itemIdentifier: string }> } | undefined)?.batchItemFailures ?? [];
  return { failed: new Set(failures.map((failure) => failure.itemIdentifier)) };
}

function toRecord(message: Message, queue: QueueHandle, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? "local",
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { stringValue: value.StringValue, dataType: value.DataType ?? "String", stringListValues: [], binaryListValues: [] },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: queue.arn,
    awsRegion: region,
  };
}

/**
 * Why each record failed, as the function logged it (`record failed` lines of Powertools' JSON
 * logger with the record's `messageId` and the error): what a user reads in CloudWatch Logs.
 */
export function failureReasons(logs: readonly string[]): Map<string, string> {
  const reasons = new Map<string, string>();
  for (const line of logs.join("").split("\n")) {
    if (!line.includes(RECORD_FAILED)) continue;
    try {
      const entry = JSON.parse(line) as { message?: unknown; messageId?: unknown; error?: { name?: unknown; message?: unknown } | string };
      if (entry.message !== RECORD_FAILED || typeof entry.messageId !== "string") continue;
      const error = entry.error;
      reasons.set(
        entry.messageId,
        typeof error === "object" && error !== null ? `${String(error.name ?? "Error")}: ${String(error.message ?? "")}` : String(error),
      );
    } catch {
      // Not a JSON log line.
    }
  }
  return reasons;
}

/** Best-effort ids for the journal; the handler does the real validation. */
function eventIds(body: string): { eventId?: string; stripeEventId?: string } {
  try {
    const parsed = JSON.parse(body) as { id?: unknown; detail?: { id?: unknown } };
    return {
      ...(typeof parsed.id === "string" ? { eventId: parsed.id } : {}),
      ...(typeof parsed.detail?.id === "string" ? { stripeEventId: parsed.detail.id } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * What a fault-injection test does to one record of a batch:
 * - `throw`: the function fails that record (it is reported as a batch item failure without
 *   reaching the handler), the other records of the batch are handled normally;
 * - `timeout`: the invocation runs the handler on the batch, then counts as timed out, so every
 *   record of the batch comes back although the handler's work (and its effects) happened — the
 *   hardest case for exactly-once.
 */
export type RecordChaos = "throw" | "timeout";

/** What a {@link ConsumerChaos} decision sees about one record. */
export interface ChaosContext {
  readonly queue: string;
  readonly functionName: string;
  readonly record: SQSRecord;
  /** `ApproximateReceiveCount`: 1 on the first delivery. */
  readonly receiveCount: number;
}

/** Decides, per record and attempt, whether to make the consumer fail it; undefined = no fault. */
export type ConsumerChaos = (context: ChaosContext) => RecordChaos | undefined;

/** The failure a `throw` decision reports for its record. */
export class InjectedRecordError extends Error {
  override name = "InjectedRecordError";
}

/** The consumers' fault switch (`runtime.faults.consumers`): a {@link ConsumerChaos} replaceable at any time. */
export type SwitchableChaos = FaultSwitch<[context: ChaosContext], RecordChaos>;

/** A new, empty {@link SwitchableChaos}. */
export function consumerFaults(): SwitchableChaos {
  return new FaultSwitch<[context: ChaosContext], RecordChaos>();
}

export interface EventSourceMappingOptions {
  readonly sqs: LocalSqs;
  readonly queue: QueueHandle;
  readonly fn: LocalFunction;
  readonly consumer: ConsumerDeclaration;
  readonly lambda: LambdaHost;
  readonly journal: Journal;
  readonly region: string;
  /** Seconds before a failed record is received again (the queue's visibility timeout, scaled). */
  readonly retryAfterSeconds: number;
  /** Consumer faults to inject (tests and the reliability suite); none when absent. */
  readonly chaos?: SwitchableChaos;
}

/** One queue -> one function, polling until stopped. */
export class EventSourceMapping {
  private running = false;
  private stopping = new AbortController();
  private workers: Promise<void>[] = [];
  private inFlightBatches = 0;
  /** Deletes and visibility changes of finished batches not yet durable. */
  private readonly settling = new Set<Promise<void>>();
  private readonly lastError = new Map<string, string>();
  private readonly knownDlq = new Set<string>();

  constructor(private readonly options: EventSourceMappingOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = new AbortController();
    // No more batches at once than the function may have environments (Lambda's pollers scale to a
    // function's reserved concurrency likewise): a batch received is a batch running.
    const concurrency = Math.max(1, Math.min(this.options.consumer.maximumConcurrency, this.options.lambda.maxEnvironmentsFor(this.options.fn.name)));
    this.workers = Array.from({ length: concurrency }, () => this.work());
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    await Promise.all(this.workers);
    await Promise.all(this.settling);
  }

  /** True while a batch is being handled or its deletes are being made durable. */
  get busy(): boolean {
    return this.inFlightBatches > 0 || this.settling.size > 0;
  }

  /** The last error seen for a message, kept so DLQ listings can say why it is there. */
  errorFor(messageId: string): string | undefined {
    const { sqs, queue } = this.options;
    return this.lastError.get(messageId) ?? sqs.noteOf(queue.dlqName, messageId) ?? sqs.noteOf(queue.physicalName, messageId);
  }

  /** The last error polling the queue raised (the queue service stopping, say), for status output. */
  lastPollError: Error | undefined;

  private async work(): Promise<void> {
    while (this.running) {
      try {
        const messages = await this.receiveBatch();
        const receivedAt = Date.now();
        this.syncDlq();
        if (messages.length > 0) await this.handle(messages, receivedAt);
      } catch (error) {
        // Lambda's poller backs off and keeps polling; so does this one.
        this.lastPollError = error instanceof Error ? error : new Error(String(error));
        if (this.running) await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  /** Receives up to `batchSize` messages, waiting at most the batching window for more. */
  private async receiveBatch(): Promise<Message[]> {
    const { consumer, queue, sqs } = this.options;
    const deadline = Date.now() + consumer.batchingWindowSeconds * 1000;
    const batch: Message[] = [];
    while (this.running && batch.length < consumer.batchSize) {
      const waitSeconds = batch.length === 0 ? 1 : Math.min(1, Math.max(0, Math.ceil((deadline - Date.now()) / 1000)));
      const { Messages = [] } = await sqs.engine.ReceiveMessage(
        {
          QueueUrl: queue.url,
          MaxNumberOfMessages: Math.min(10, consumer.batchSize - batch.length),
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        },
        sqs.context(this.stopping.signal),
      );
      batch.push(...(Messages as Message[]));
      // An empty long poll ends the round, so the caller can look at the DLQ and stop promptly.
      if (batch.length === 0 || Messages.length === 0 || Date.now() >= deadline) break;
    }
    return batch;
  }

  private async handle(messages: Message[], receivedAt: number): Promise<void> {
    const { queue, fn, lambda, journal, region, sqs } = this.options;
    this.inFlightBatches++;
    try {
      const records = messages.map((message) => toRecord(message, queue, region));
      const ids = new Set(records.map((record) => record.messageId));
      for (const id of ids) this.lastError.delete(id);
      const verdicts = new Map(records.map((record) => [record.messageId, this.chaosFor(record)]));
      const thrown = new Set([...ids].filter((id) => verdicts.get(id) === "throw"));
      const handed = records.filter((record) => !thrown.has(record.messageId));
      const handedIds = new Set(handed.map((record) => record.messageId));
      const event: SQSEvent = { Records: handed };
      // The batch holds its concurrency slot until the invocation is over; a timed-out one is over
      // once its execution environment has ended (the host ends it, as Lambda does), so a retried
      // batch never runs beside the remains of the attempt that timed out.
      let invocation: Invocation = handed.length > 0 ? await lambda.invoke(fn, event) : { ok: true, result: undefined, durationMs: 0, logs: [] };
      for (const [id, reason] of failureReasons(invocation.logs)) if (handedIds.has(id)) this.lastError.set(id, reason);
      if ([...verdicts.values()].includes("timeout")) {
        const error = new FunctionTimeoutError(`Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds (injected)`);
        invocation = { ok: false, error, timedOut: true, durationMs: invocation.durationMs, logs: invocation.logs };
      }
      const { failed, problem } = invocation.ok
        ? failedIds(invocation.result, handedIds)
        : { failed: ids, problem: `${invocation.error.name}: ${invocation.error.message}` };
      for (const id of thrown) {
        const injected = new InjectedRecordError("the consumer was made to fail this record");
        failed.add(id);
        this.lastError.set(id, `${injected.name}: ${injected.message}`);
      }
      const succeeded = records.filter((record) => !failed.has(record.messageId));
      const environmentMs = invocation.environmentMs;
      const handlerMs = environmentMs === undefined ? undefined : invocation.durationMs - environmentMs;
      for (const record of records) {
        const ok = !failed.has(record.messageId);
        const outcome = ok ? "succeeded" : invocation.ok ? (problem ? "batch-failed" : "failed") : invocation.timedOut ? "timed-out" : "batch-failed";
        const error = ok ? undefined : (this.lastError.get(record.messageId) ?? problem);
        if (error) {
          this.lastError.set(record.messageId, error);
          // Kept with the message, so `dlq list` still says why after a restart.
          sqs.note(queue.physicalName, record.messageId, error);
        }
        journal.record({
          kind: "consumer.attempt",
          queue: queue.name,
          messageId: record.messageId,
          ...eventIds(record.body),
          receiveCount: Number(record.attributes.ApproximateReceiveCount),
          outcome,
          error,
          sentAt: Number(record.attributes.SentTimestamp),
          receivedAt,
          environmentMs,
          handlerMs,
        });
      }
      const retried = records.filter((record) => failed.has(record.messageId));
      // The invocation is over, so its concurrency slot is free: the next batch is received while
      // these deletes are made durable (Lambda's poller deletes after the invocation, outside the
      // function's concurrency). The engine applies them in memory before this returns, so the next
      // receive cannot see these messages, and one fsync then covers both.
      const settling = this.settle(succeeded, retried).catch((error: unknown) => {
        // As on AWS, a message whose delete failed is received again after its visibility timeout.
        this.lastPollError = error instanceof Error ? error : new Error(String(error));
      });
      this.settling.add(settling);
      void settling.finally(() => this.settling.delete(settling));
    } finally {
      this.inFlightBatches--;
    }
  }

  /** Deletes what succeeded; makes what failed visible again after the retry delay. */
  private async settle(succeeded: readonly SQSRecord[], retried: readonly SQSRecord[]): Promise<void> {
    const { sqs, queue } = this.options;
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < succeeded.length; i += 10) {
      calls.push(
        sqs.engine.DeleteMessageBatch({
          QueueUrl: queue.url,
          Entries: succeeded.slice(i, i + 10).map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
        }),
      );
    }
    for (let i = 0; i < retried.length; i += 10) {
      calls.push(
        sqs.engine.ChangeMessageVisibilityBatch({
          QueueUrl: queue.url,
          Entries: retried.slice(i, i + 10).map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
            VisibilityTimeout: this.options.retryAfterSeconds,
          })),
        }),
      );
    }
    await Promise.all(calls);
  }

  private chaosFor(record: SQSRecord): RecordChaos | undefined {
    const { chaos, queue, fn } = this.options;
    return chaos?.decide({ queue: queue.name, functionName: fn.name, record, receiveCount: Number(record.attributes.ApproximateReceiveCount) });
  }

  /** Journals messages that SQS moved to the DLQ since the last look, with their last error. */
  syncDlq(): void {
    const { sqs, queue, journal } = this.options;
    for (const message of sqs.peek(queue.dlqName)) {
      if (this.knownDlq.has(message.messageId)) continue;
      this.knownDlq.add(message.messageId);
      journal.record({
        kind: "queue.dlq",
        queue: queue.name,
        messageId: message.messageId,
        ...eventIds(message.body),
        error: this.lastError.get(message.messageId) ?? message.error,
      });
    }
  }
}
