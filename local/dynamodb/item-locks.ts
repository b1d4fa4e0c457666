/**
 * Per-item locking, as DynamoDB itself serialises: writes (and transactions) on the same item wait
 * for each other, writes on different items run side by side.
 *
 * - {@link ItemLocks}: a readers-writer lock per item identity (`<table>\0<engine key>`), created
 *   on demand and dropped when idle. Several items are always locked in sorted order, so two
 *   transactions over overlapping items cannot deadlock.
 * - {@link ModeGate}: lets any number of holders of one mode in together, never two modes. Query,
 *   Scan and BatchGetItem (which read many items without locking them) hold it in one mode, a
 *   transaction applying its writes holds it in the other, so those reads never see half a
 *   transaction, nor one that is being rolled back.
 */

interface Waiter {
  readonly exclusive: boolean;
  readonly grant: () => void;
}

interface ItemState {
  readers: number;
  writer: boolean;
  readonly queue: Waiter[];
}

/** Readers-writer locks keyed by item identity; waiters are served in arrival order. */
export class ItemLocks {
  readonly #items = new Map<string, ItemState>();

  /**
   * Runs `work` holding every lock in `identities` (shared or exclusive), acquired in sorted order.
   * Duplicate identities are locked once.
   */
  async with<T>(identities: readonly string[], exclusive: boolean, work: () => Promise<T>): Promise<T> {
    // One item (every single-item operation): nothing to sort; an item nobody holds is taken without
    // waiting a turn.
    const sorted = identities.length === 1 ? identities : [...new Set(identities)].sort();
    const held: string[] = [];
    try {
      for (const identity of sorted) {
        const waiting = this.#acquire(identity, exclusive);
        if (waiting) await waiting;
        held.push(identity);
      }
      return await work();
    } finally {
      for (const identity of held) this.#release(identity, exclusive);
    }
  }

  /** Number of items with a holder or a waiter (for tests: idle locks must not pile up). */
  get size(): number {
    return this.#items.size;
  }

  #acquire(identity: string, exclusive: boolean): Promise<void> | void {
    let state = this.#items.get(identity);
    if (!state) {
      state = { readers: 0, writer: false, queue: [] };
      this.#items.set(identity, state);
    }
    // Fast path: nobody holds or waits for the item.
    if (state.queue.length === 0 && admits(state, exclusive)) {
      take(state, exclusive);
      return;
    }
    const waiting = state;
    return new Promise<void>((grant) => {
      waiting.queue.push({ exclusive, grant });
    });
  }

  #release(identity: string, exclusive: boolean): void {
    const state = this.#items.get(identity);
    if (!state) return;
    if (exclusive) state.writer = false;
    else state.readers--;
    for (let next = state.queue[0]; next && admits(state, next.exclusive); next = state.queue[0]) {
      state.queue.shift();
      take(state, next.exclusive);
      next.grant();
    }
    if (!state.writer && state.readers === 0 && state.queue.length === 0) this.#items.delete(identity);
  }
}

function admits(state: ItemState, exclusive: boolean): boolean {
  return !state.writer && (!exclusive || state.readers === 0);
}

function take(state: ItemState, exclusive: boolean): void {
  if (exclusive) state.writer = true;
  else state.readers++;
}

/** A gate any number of holders of the same mode pass together; modes alternate in arrival order. */
export class ModeGate<Mode extends string> {
  #mode: Mode | undefined;
  #holders = 0;
  readonly #queue: { readonly mode: Mode; readonly grant: () => void }[] = [];

  async with<T>(mode: Mode, work: () => Promise<T>): Promise<T> {
    if (this.#queue.length === 0 && (this.#holders === 0 || this.#mode === mode)) {
      this.#mode = mode;
      this.#holders++;
    } else {
      await new Promise<void>((grant) => this.#queue.push({ mode, grant }));
    }
    try {
      return await work();
    } finally {
      this.#holders--;
      this.#drain();
    }
  }

  #drain(): void {
    for (let next = this.#queue[0]; next && (this.#holders === 0 || this.#mode === next.mode); next = this.#queue[0]) {
      this.#queue.shift();
      this.#mode = next.mode;
      this.#holders++;
      next.grant();
    }
  }
}
