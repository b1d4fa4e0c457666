/**
 * What one execution has durably recorded about its Task (and rewritten Wait) states, and how a
 * run reads it back. An execution is resumed after a restart by running its definition again from
 * the start with the same input: each task occurrence whose outcome is recorded returns that
 * outcome at once instead of running, a Wait sleeps only until its recorded end, and a callback
 * task re-opens the token it had issued. The engine being deterministic for equal inputs and task
 * results, the run comes back to where the execution stood and continues from there.
 */
import { createHash } from "node:crypto";
import type { ExecutionStore, Occurrence, TaskOutcome } from "./store.ts";

/** A callback task's token as recorded when it was issued. */
export interface RecordedToken {
  token: string;
  stateName: string;
  input: unknown;
  heartbeatMs?: number;
  /** Epoch ms at which the task's (scaled) `TimeoutSeconds` runs out. */
  deadline?: number;
}

/** A Lambda task's invocation as recorded when it started: epoch ms, and the function's timeout. */
export interface StartedAttempt {
  at: number;
  timeoutMs?: number;
}

/** The recorded facts of one execution, kept in memory and appended to the store as they happen. */
export class ExecutionLog {
  readonly #outcomes = new Map<Occurrence, TaskOutcome>();
  readonly #waits = new Map<Occurrence, number>();
  readonly #tokens = new Map<Occurrence, RecordedToken>();
  readonly #invoked = new Set<Occurrence>();
  readonly #started = new Map<Occurrence, StartedAttempt>();

  constructor(
    readonly executionArn: string,
    private readonly store: ExecutionStore,
  ) {}

  /** Fills the log from the store at start-up (nothing is written). */
  restoreOutcome(occ: Occurrence, outcome: TaskOutcome): void {
    if (!this.#outcomes.has(occ)) this.#outcomes.set(occ, outcome);
  }
  restoreWait(occ: Occurrence, until: number): void {
    if (!this.#waits.has(occ)) this.#waits.set(occ, until);
  }
  restoreToken(occ: Occurrence, token: RecordedToken): void {
    if (!this.#tokens.has(occ)) this.#tokens.set(occ, token);
  }
  restoreInvoked(occ: Occurrence): void {
    this.#invoked.add(occ);
  }
  /** The latest attempt recorded stands (a resumed run records its own when it invokes again). */
  restoreStarted(occ: Occurrence, attempt: StartedAttempt): void {
    this.#started.set(occ, attempt);
  }

  /** The last recorded start of a Lambda task occurrence's invocation, if any. */
  started(occ: Occurrence): StartedAttempt | undefined {
    return this.#started.get(occ);
  }

  /** Records that a Lambda task occurrence is about to invoke its function (before it does). */
  recordStarted(occ: Occurrence, attempt: StartedAttempt): void {
    this.#started.set(occ, attempt);
    this.store.append({ t: "started", arn: this.executionArn, occ, ...attempt });
  }

  outcome(occ: Occurrence): TaskOutcome | undefined {
    return this.#outcomes.get(occ);
  }

  /** Records the outcome of a task occurrence; the first one recorded stands. */
  recordOutcome(occ: Occurrence, outcome: TaskOutcome): void {
    if (this.#outcomes.has(occ)) return;
    this.#outcomes.set(occ, outcome);
    this.store.append({ t: "outcome", arn: this.executionArn, occ, outcome });
  }

  /** The end (epoch ms) of a Wait occurrence: the recorded one, else `compute()`, recorded. */
  waitUntil(occ: Occurrence, compute: () => number): number {
    const recorded = this.#waits.get(occ);
    if (recorded !== undefined) return recorded;
    const until = compute();
    this.#waits.set(occ, until);
    this.store.append({ t: "wait", arn: this.executionArn, occ, until });
    return until;
  }

  token(occ: Occurrence): RecordedToken | undefined {
    return this.#tokens.get(occ);
  }

  /** Records a token before anyone can see it, so that it stays valid after a restart. */
  recordToken(occ: Occurrence, token: RecordedToken): void {
    this.#tokens.set(occ, token);
    this.store.append({ t: "token", arn: this.executionArn, occ, ...token });
  }

  invoked(occ: Occurrence): boolean {
    return this.#invoked.has(occ);
  }

  recordInvoked(occ: Occurrence): void {
    if (this.#invoked.has(occ)) return;
    this.#invoked.add(occ);
    this.store.append({ t: "invoked", arn: this.executionArn, occ });
  }

  /**
   * A fresh occurrence counter for one run. A state that runs several times with the same input
   * (a `Retry`, a loop, equal Map items) gets `#0`, `#1`… in the order the engine calls it, which
   * a replay repeats; the input is part of the key so that concurrent Map iterations with different
   * items cannot swap results.
   */
  occurrences(): (stateName: string, inputText: string) => Occurrence {
    const counts = new Map<string, number>();
    return (stateName, inputText) => {
      const key = `${stateName}|${createHash("sha1").update(inputText).digest("base64url")}`;
      const n = counts.get(key) ?? 0;
      counts.set(key, n + 1);
      return `${key}#${n}`;
    };
  }
}
