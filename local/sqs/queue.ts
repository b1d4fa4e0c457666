/**
 * One standard queue in memory: its messages in send order, which of them are visible, and a
 * min-heap of visibility deadlines (delayed and in-flight messages), so that a message whose
 * visibility timeout expired counts as visible at the next look, without waiting for a receive.
 */

/** A message as stored (and as written to the snapshot). */
export interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly md5: string;
  /** Message attributes (binary values base64). */
  readonly attrs?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  readonly trace?: string;
  readonly group?: string;
  /** SentTimestamp, ms. Kept when moved to a DLQ (retention counts from the first enqueue). */
  readonly sent: number;
  readonly sender: string;
  /** When it is (or becomes) visible, ms since the epoch. */
  visibleAt: number;
  receiveCount: number;
  firstReceive?: number;
  /** Nonce of the latest receipt handle. */
  receipt?: string;
  /** DeadLetterQueueSourceArn, on a message moved to a DLQ. */
  dlqSource?: string;
  /** paybus's note: why a consumer last failed this message (survives restarts, shown by `dlq list`). */
  note?: string;
}

interface HeapEntry {
  readonly at: number;
  readonly message: StoredMessage;
}

/** The queue's mutable state; the engine owns the rules, this class the bookkeeping. */
export class QueueState {
  readonly messages = new Map<string, StoredMessage>();
  /** Visible messages, oldest first (a Set keeps insertion order and deletes in O(1)). */
  private readonly visible = new Set<StoredMessage>();
  private readonly heap: HeapEntry[] = [];
  inFlight = 0;
  delayed = 0;
  private waiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  lastPurge = 0;

  constructor(
    public name: string,
    public attributes: Record<string, string>,
    public tags: Record<string, string>,
    public created: number,
    public modified: number,
  ) {}

  get visibleCount(): number {
    return this.visible.size;
  }

  /** Adds a message (new, moved in, or recovered) in the state its `visibleAt` says. */
  add(message: StoredMessage, now: number): void {
    this.messages.set(message.id, message);
    if (message.visibleAt <= now) {
      this.visible.add(message);
      this.notify();
    } else {
      this.countHidden(message, +1);
      this.push({ at: message.visibleAt, message });
    }
  }

  remove(message: StoredMessage): void {
    if (!this.messages.delete(message.id)) return;
    if (!this.visible.delete(message)) this.countHidden(message, -1);
  }

  /** Makes a message invisible until `at` (ms); counted as in flight once received. */
  hide(message: StoredMessage, at: number, update?: () => void): void {
    // A hidden message is counted by its receive count at the time it was hidden: uncount it
    // first, then let the caller change that count.
    if (!this.visible.delete(message)) this.countHidden(message, -1);
    update?.();
    message.visibleAt = at;
    this.countHidden(message, +1);
    this.push({ at, message });
  }

  /** Makes a message visible now (ChangeMessageVisibility 0). */
  show(message: StoredMessage, now: number): void {
    if (this.visible.has(message)) return;
    this.countHidden(message, -1);
    message.visibleAt = now;
    this.visible.add(message);
    this.notify();
  }

  private countHidden(message: StoredMessage, delta: number): void {
    if (message.receiveCount > 0) this.inFlight += delta;
    else this.delayed += delta;
  }

  /** Moves messages whose deadline passed to the visible set. */
  promote(now: number): void {
    let woke = false;
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const { at, message } = this.pop();
      // Stale entries: the message was deleted, made visible, or hidden again with another deadline.
      if (message.visibleAt !== at || !this.messages.has(message.id) || this.visible.has(message)) continue;
      this.countHidden(message, -1);
      this.visible.add(message);
      woke = true;
    }
    if (woke) this.notify();
    this.schedule(now);
  }

  /** The visible messages, oldest first (a live iterator: callers may hide what they take). */
  visibleMessages(): IterableIterator<StoredMessage> {
    return this.visible.values();
  }

  purge(): void {
    this.messages.clear();
    this.visible.clear();
    this.heap.length = 0;
    this.inFlight = 0;
    this.delayed = 0;
  }

  /** Resolves at the next change that may make a message receivable (or never; pair with a timeout). */
  changed(): { promise: Promise<void>; cancel: () => void } {
    let wake!: () => void;
    const promise = new Promise<void>((resolve) => (wake = resolve));
    this.waiters.push(wake);
    this.schedule(Date.now());
    return { promise, cancel: () => (this.waiters = this.waiters.filter((w) => w !== wake)) };
  }

  notify(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Keeps one timer on the earliest deadline while someone waits, so long polls see it. */
  private schedule(now: number): void {
    const next = this.heap[0]?.at ?? Infinity;
    if (this.waiters.length === 0 || next === Infinity) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
      return;
    }
    if (this.timer && this.timerAt === next) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.promote(Date.now());
    }, Math.max(0, next - now) + 1);
    this.timer.unref();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.notify();
  }

  private push(entry: HeapEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= entry.at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): HeapEntry {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
        if (heap[child]!.at >= last.at) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}
