/**
 * A first-come, first-served readers-writer lock for async work. The front server runs every
 * write (single-item or transactional) exclusively and every read shared, which makes
 * transactions serializable against all other operations: nothing can slip between a
 * transaction's condition checks and its writes, and no read sees a half-applied or rolled-back
 * transaction.
 */
interface Waiter {
  readonly exclusive: boolean;
  readonly grant: () => void;
}

const noop = (): void => undefined;

/** Readers-writer lock; waiters are served in arrival order so writers are not starved by readers. */
export class ReadWriteLock {
  #readers = 0;
  #writer = false;
  readonly #queue: Waiter[] = [];

  /** Runs `work` alongside other shared holders, never alongside an exclusive one. */
  shared<T>(work: () => Promise<T>): Promise<T> {
    return this.#run(false, work);
  }

  /** Runs `work` alone. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.#run(true, work);
  }

  async #run<T>(exclusive: boolean, work: () => Promise<T>): Promise<T> {
    // Nobody waiting and the lock admits this holder: taken at once (every request takes the lock
    // shared; a promise and a queue entry each cost more than the rest of the lock).
    if (this.#queue.length === 0 && this.#admits({ exclusive, grant: noop })) {
      if (exclusive) this.#writer = true;
      else this.#readers++;
    } else {
      await new Promise<void>((grant) => {
        this.#queue.push({ exclusive, grant });
        this.#drain();
      });
    }
    try {
      return await work();
    } finally {
      if (exclusive) this.#writer = false;
      else this.#readers--;
      this.#drain();
    }
  }

  #drain(): void {
    for (let next = this.#queue[0]; next && this.#admits(next); next = this.#queue[0]) {
      this.#queue.shift();
      if (next.exclusive) this.#writer = true;
      else this.#readers++;
      next.grant();
    }
  }

  #admits(waiter: Waiter): boolean {
    return !this.#writer && (!waiter.exclusive || this.#readers === 0);
  }
}
