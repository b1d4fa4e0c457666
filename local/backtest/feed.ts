/**
 * How many more events a backtest side may send now: the feed follows the rate at which the
 * runtime drains its queues, instead of filling them and letting invocations wait.
 *
 * Why: locally every invocation of a function runs in one worker thread and every AWS call crosses
 * the runtime's main thread, so the more records are in flight, the longer each invocation takes
 * (Little's law: latency = work in flight / drain rate). Function timeouts are wall-clock, as in
 * Lambda, so a deep backlog on a busy machine makes invocations time out, their records come back
 * and are handled again (the work done twice), and some reach a DLQ on one side only: differences
 * that come from the load, not from the change being tested. Keeping the messages outstanding near
 * `drain rate × target latency`, with the target a fraction of the shortest consumer timeout,
 * keeps invocations far from their timeouts whatever the machine's load, and still gives every
 * poller full batches when the runtime is fast.
 */

/** The feed's bounds and target. */
export interface FeedOptions {
  /** Seconds a message may wait and be handled, at the measured drain rate (a fraction of the shortest function timeout). */
  readonly targetSeconds: number;
  /**
   * Messages always allowed outstanding, so a side makes progress whatever the rate: small, because
   * on a machine so busy that the rate asks for less, a full batch of ten could outlast its timeout.
   */
  readonly minWindow?: number;
  /** Messages allowed before any rate is measured (the functions' cold starts). */
  readonly initialWindow?: number;
  /** Messages never exceeded, so memory stays flat on long runs. */
  readonly maxWindow?: number;
}

/** Rate-following window: `observe` the drained and timed-out totals, then ask for `room`. */
export class FeedWindow {
  private readonly minWindow: number;
  private readonly maxWindow: number;
  /** Records handled per second (exponentially weighted), undefined until measured. */
  private rate: number | undefined;
  /** Halved by each timeout seen, recovering slowly: the rate alone reacts too late to a stall. */
  private penalty = 1;
  private lastAt: number | undefined;
  private lastDrained = 0;
  private lastTimedOut = 0;

  constructor(private readonly options: FeedOptions) {
    this.minWindow = options.minWindow ?? 4;
    this.maxWindow = options.maxWindow ?? 2_000;
  }

  /**
   * Takes the totals so far: records the consumers handled (any outcome) and invocations that timed
   * out, at `nowMs`. The rate is measured over at least half a second.
   */
  observe(nowMs: number, drained: number, timedOut: number): void {
    // Once per look, however many records timed out: a timed-out batch reports each of its records.
    if (timedOut > this.lastTimedOut) {
      this.penalty = Math.max(this.penalty / 2, 1 / 16);
      this.lastTimedOut = timedOut;
    }
    if (this.lastAt === undefined) {
      this.lastAt = nowMs;
      this.lastDrained = drained;
      return;
    }
    const elapsed = (nowMs - this.lastAt) / 1000;
    if (elapsed < 0.5) return;
    const measured = (drained - this.lastDrained) / elapsed;
    // Nothing drained yet (cold starts): no measurement, rather than a rate of zero.
    if (measured > 0 || this.rate !== undefined) this.rate = this.rate === undefined ? measured : 0.7 * this.rate + 0.3 * measured;
    this.penalty = Math.min(1, this.penalty * 1.1);
    this.lastAt = nowMs;
    this.lastDrained = drained;
  }

  /** Messages that may be outstanding now. */
  get window(): number {
    const byRate = this.rate === undefined ? (this.options.initialWindow ?? 20) : this.rate * this.options.targetSeconds;
    return Math.round(Math.min(this.maxWindow, Math.max(this.minWindow, byRate * this.penalty)));
  }

  /** How many more may be sent while `outstanding` messages wait or are handled. */
  room(outstanding: number): number {
    return Math.max(0, this.window - outstanding);
  }
}
