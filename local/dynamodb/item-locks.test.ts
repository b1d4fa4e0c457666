import { describe, expect, it } from "vitest";
import { ItemLocks, ModeGate } from "./item-locks.ts";

/** A promise with its resolver, to hold work open until the test says so. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe("ItemLocks", () => {
  it("runs writers of different items side by side, and writers of one item one at a time", async () => {
    // Arrange
    const locks = new ItemLocks();
    const first = gate();
    const log: string[] = [];

    // Act
    const a = locks.with(["t\u0000a"], true, async () => {
      log.push("a starts");
      await first.opened;
      log.push("a ends");
    });
    const b = locks.with(["t\u0000b"], true, async () => log.push("b runs"));
    const a2 = locks.with(["t\u0000a"], true, async () => log.push("a2 runs"));
    await b;
    log.push("b done");
    first.open();
    await Promise.all([a, a2]);

    // Assert
    expect(log).toEqual(["a starts", "b runs", "b done", "a ends", "a2 runs"]);
    expect(locks.size).toBe(0);
  });

  it("lets readers share an item, and a writer wait for them", async () => {
    // Arrange
    const locks = new ItemLocks();
    const reading = gate();
    const log: string[] = [];

    // Act
    const r1 = locks.with(["x"], false, async () => {
      log.push("r1");
      await reading.opened;
    });
    const r2 = locks.with(["x"], false, async () => log.push("r2"));
    const w = locks.with(["x"], true, async () => log.push("w"));
    await r2;
    reading.open();
    await Promise.all([r1, w]);

    // Assert
    expect(log).toEqual(["r1", "r2", "w"]);
  });

  it("never deadlocks two transactions locking the same items in opposite orders", async () => {
    // Arrange
    const locks = new ItemLocks();
    let done = 0;

    // Act: 200 pairs of writers over [a, b] and [b, a].
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        locks.with(i % 2 ? ["a", "b"] : ["b", "a"], true, async () => {
          await new Promise((resolve) => setImmediate(resolve));
          done++;
        }),
      ),
    );

    // Assert
    expect(done).toBe(200);
    expect(locks.size).toBe(0);
  });

  it("releases the locks when the work fails", async () => {
    // Arrange
    const locks = new ItemLocks();

    // Act
    await expect(locks.with(["a"], true, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    const after = await locks.with(["a"], true, async () => "ran");

    // Assert
    expect(after).toBe("ran");
  });
});

describe("ModeGate", () => {
  it("admits holders of one mode together and keeps the other mode out until they leave", async () => {
    // Arrange
    const modes = new ModeGate<"read" | "commit">();
    const committing = gate();
    const log: string[] = [];

    // Act
    const c1 = modes.with("commit", async () => {
      log.push("c1");
      await committing.opened;
      log.push("c1 ends");
    });
    const c2 = modes.with("commit", async () => log.push("c2"));
    const r = modes.with("read", async () => log.push("read"));
    await c2;
    committing.open();
    await Promise.all([c1, r]);

    // Assert
    expect(log).toEqual(["c1", "c2", "c1 ends", "read"]);
  });
});
