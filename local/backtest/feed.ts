/**
 * How many more events a backtest side may send now: the feed follows the rate at which the
 * runtime drains its queues, instead of filling them and letting invocations wait.
 *
 * Why: locally every invocation of a function runs in one worker thread and every AWS call crosses
 * the runtime's main thread, so the more records are in flight, the longer each invocation takes.
 * Function timeouts are wall-clock, as in Lambda, so a deep backlog on a busy machine makes
 * invocations time out, their records come back and are handled again (the work done twice), and
 * some reach a DLQ on one side only: differences that come from the load, not from the change being
 * tested. The window of messages allowed outstanding is steered by the latency measured from
 * sending an event to a consumer finishing its record (additive increase while it stays under the
 * target, multiplicative decrease above it or on a timeout, as TCP does with its congestion window):
 * on an idle machine it grows until every poller gets full batches; on a busy one it shrinks until
 * invocations are far from their timeouts again.
 */

/** The feed's bounds and target. */
export interface FeedOptions {
  /** Milliseconds from sending an event to its record being handled that the feed aims to stay under (a fraction of the shortest function timeout). */
  readonly targetMs: number;
  /**
   * Messages always allowed outstanding, so a side makes progress whatever the latency: small,
   * because on a machine so busy that even this is slow, a full batch of ten could outlast its timeout.
   */
  readonly minWindow?: number;
  /** Messages allowed before anything is measured. */
  readonly initialWindow?: number;
  /** Messages never exceeded, so memory stays flat on long runs. */
  readonly maxWindow?: number;
}

/** Steps of at least this long between two adjustments: one look sees the effect of the last. */
const STEP_MS = 500;

/** Latency-steered window: `observe` what happened, then ask for `room`. */
export class FeedWindow {
  private readonly minWindow: number;
  private readonly maxWindow: number;
  private current: number;
  private lastStepAt: number | undefined;
  private lastTimedOut = 0;
  private latencies: number[] = [];

  constructor(private readonly options: FeedOptions) {
    this.minWindow = options.minWindow ?? 4;
    this.maxWindow = options.maxWindow ?? 2_000;
    this.current = Math.min(this.maxWindow, Math.max(this.minWindow, options.initialWindow ?? 20));
  }

  /** A record was handled (any outcome) `latencyMs` after its event was sent. */
  handled(latencyMs: number): void {
    this.latencies.push(latencyMs);
  }

  /**
   * Adjusts the window at `nowMs` (at most once per half second), given the total of timed-out
   * records so far and the messages outstanding now.
   */
  observe(nowMs: number, timedOut: number, outstanding: number): void {
    // A timeout halves the window at once, however many records of the batch it reports.
    if (timedOut > this.lastTimedOut) {
      this.lastTimedOut = timedOut;
      this.current = Math.max(this.minWindow, Math.floor(this.current / 2));
      this.lastStepAt = nowMs;
      this.latencies = [];
      return;
    }
    if (this.lastStepAt !== undefined && nowMs - this.lastStepAt < STEP_MS) return;
    this.lastStepAt = nowMs;
    if (this.latencies.length === 0) return;
    const slowest = Math.max(...this.latencies);
    this.latencies = [];
    if (slowest > this.options.targetMs) this.current = Math.max(this.minWindow, Math.floor(this.current * 0.75));
    // Grow only while the window is what holds the feed back (not while events run out).
    else if (outstanding >= this.current * 0.75) this.current = Math.min(this.maxWindow, this.current + Math.max(2, Math.ceil(this.current * 0.1)));
  }

  /** Messages that may be outstanding now. */
  get window(): number {
    return this.current;
  }

  /** How many more may be sent while `outstanding` messages wait or are handled. */
  room(outstanding: number): number {
    return Math.max(0, this.current - outstanding);
  }
}
