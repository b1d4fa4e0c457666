/**
 * Task tokens across restarts: the broker of the tokens open now, and the index of every token the
 * store recorded, so that a `SendTask*` for a token issued before a restart is answered (and
 * recorded) even before the resumed run has reached its task again.
 */
import type { ExecutionLog } from "./replay.ts";
import type { TokenOwner } from "./restore.ts";
import type { ExecutionStore, TaskOutcome } from "./store.ts";
import { TaskTokenBroker, type PendingTaskToken } from "./tokens.ts";

/** What {@link ResumableTokens} reads and tells of the engine's executions. */
export interface TokenEnvironment {
  readonly store: ExecutionStore;
  /** The task log of a known execution, where settled outcomes are recorded. */
  readonly logOf: (executionArn: string) => ExecutionLog | undefined;
  /** Called whenever one of an execution's tokens opens or closes. */
  readonly changed: (executionArn: string) => void;
  /** True once the engine shuts down over a durable store: what it unwinds then is not recorded. */
  readonly closing: () => boolean;
}

/** The engine's task tokens: those open in the broker and those recorded before a restart. */
export class ResumableTokens {
  /** Every token the store recorded or a run issued, by token. */
  readonly owners = new Map<string, TokenOwner>();
  readonly broker: TaskTokenBroker;
  readonly #env: TokenEnvironment;

  constructor(env: TokenEnvironment) {
    this.#env = env;
    this.broker = new TaskTokenBroker(env.changed, {
      settled: (request, outcome) => {
        const owner = this.owners.get(request.token);
        const log = env.logOf(request.executionArn);
        if (owner && log && !env.closing()) log.recordOutcome(owner.occ, outcome);
      },
      closed: (request) => this.close(request.executionArn, request.token),
    });
  }

  /** After the store was read: tokens already closed, or of executions no longer running, answer `TaskTimedOut`. */
  closeRestored(isRunning: (executionArn: string) => boolean): void {
    for (const [token, owner] of this.owners) {
      if (owner.closed || !isRunning(owner.executionArn)) {
        owner.closed = true;
        this.broker.markClosed(token);
      }
    }
  }

  /**
   * Throws what `SendTask*` answers for a token that cannot be settled (`InvalidToken`,
   * `TaskDoesNotExist`, `TaskTimedOut`), so that the API checks the token before the output.
   */
  assertSettleable(token: string): void {
    if (!this.broker.isOpen(token) && !this.#awaitingResume(token)) this.broker.assertKnown(token);
  }

  /** Completes a callback task with `output` (parsed JSON). */
  succeed(token: string, output: unknown): void {
    if (this.#settleBeforeResume(token, { ok: true, output })) return;
    this.broker.succeed(token, output);
  }

  /** Fails a callback task; `error` is the name its `Retry`/`Catch` see. */
  fail(token: string, error: string, cause: string): void {
    if (this.#settleBeforeResume(token, { ok: false, error, cause })) return;
    this.broker.fail(token, error, cause);
  }

  /** Restarts a callback task's `HeartbeatSeconds` timer. */
  heartbeat(token: string): void {
    if (this.#awaitingResume(token)) return;
    this.broker.heartbeat(token);
  }

  /** Callback tasks awaiting their token, oldest first. */
  pending(): PendingTaskToken[] {
    return this.broker.pending();
  }

  /** Records that a token can no longer be settled (once). */
  close(executionArn: string, token: string): void {
    if (this.#env.closing()) return;
    const owner = this.owners.get(token);
    if (owner?.closed) return;
    if (owner) owner.closed = true;
    this.#env.store.append({ t: "tokenClosed", arn: executionArn, token });
  }

  /** Releases the broker's timers; the store keeps the tokens for the next engine. */
  dispose(): void {
    this.broker.dispose();
  }

  /** A token issued before a restart whose task the resumed run has not reached yet. */
  #awaitingResume(token: string): boolean {
    const owner = this.owners.get(token);
    return owner !== undefined && !owner.closed && !this.broker.isOpen(token);
  }

  /**
   * Settles a token whose task the resumed run has not re-opened yet: the outcome is recorded, and
   * the run replays it when it reaches the task. Returns false when the broker holds the token.
   */
  #settleBeforeResume(token: string, outcome: TaskOutcome): boolean {
    if (!this.#awaitingResume(token)) return false;
    const owner = this.owners.get(token)!;
    this.#env.logOf(owner.executionArn)!.recordOutcome(owner.occ, outcome);
    this.close(owner.executionArn, token);
    this.broker.markClosed(token);
    return true;
  }
}
