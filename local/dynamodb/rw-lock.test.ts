import { describe, expect, it } from "vitest";
import { ReadWriteLock } from "./rw-lock.ts";

/** A promise resolved from outside, to hold a lock for as long as a test wants. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe("ReadWriteLock", () => {
  it("runs shared holders together", async () => {
    // Arrange: each reader waits until all three are inside, which never happens if they queue.
    const lock = new ReadWriteLock();
    const allInside = gate();
    let inside = 0;
    const read = () =>
      lock.shared(async () => {
        if (++inside === 3) allInside.open();
        await allInside.opened;
      });

    // Act
    const reads = Promise.all([read(), read(), read()]);

    // Assert
    await expect(reads).resolves.toBeDefined();
  }, 1000);

  it("runs an exclusive holder alone, in arrival order", async () => {
    // Arrange
    const lock = new ReadWriteLock();
    const events: string[] = [];
    const held = gate();
    const firstRead = lock.shared(async () => {
      events.push("read 1 start");
      await held.opened;
      events.push("read 1 end");
    });

    // Act: a write queues behind the read; a later read must not overtake the write.
    const write = lock.exclusive(async () => events.push("write"));
    const secondRead = lock.shared(async () => events.push("read 2"));
    held.open();
    await Promise.all([firstRead, write, secondRead]);

    // Assert
    expect(events).toEqual(["read 1 start", "read 1 end", "write", "read 2"]);
  });

  it("releases the lock when the work fails", async () => {
    // Arrange
    const lock = new ReadWriteLock();

    // Act
    const failed = lock.exclusive(async () => {
      throw new Error("boom");
    });
    const next = lock.exclusive(async () => "ran");

    // Assert
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe("ran");
  });
});
