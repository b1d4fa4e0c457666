/** The backtest's feed window: grows while records are handled fast, shrinks when they are slow or time out. */
import { describe, expect, it } from "vitest";
import { FeedWindow } from "./feed.ts";

/**
 * `looks` looks half a second apart, each after a record handled in `latencyMs`, with the window
 * full (`outstanding` = the window) unless told otherwise; returns the time of the last look.
 */
function run(window: FeedWindow, looks: number, latencyMs: number, from = 0, outstanding?: number): number {
  let at = from;
  for (let look = 0; look < looks; look++) {
    at += 500;
    window.handled(latencyMs);
    window.observe(at, 0, outstanding ?? window.window);
  }
  return at;
}

describe("FeedWindow", () => {
  it("starts at its initial window and grows while records are handled under the target", () => {
    // Arrange
    const window = new FeedWindow({ targetMs: 2_500, maxWindow: 500 });

    // Act
    const initial = window.window;
    run(window, 10, 300);
    const grown = window.window;
    run(window, 100, 300, 5_000);

    // Assert
    expect(initial).toBe(20);
    expect(grown).toBeGreaterThan(40);
    expect(window.window).toBe(500);
    expect(window.room(30)).toBe(470);
    expect(window.room(600)).toBe(0);
  });

  it("does not grow while the events, not the window, hold the feed back", () => {
    // Arrange
    const window = new FeedWindow({ targetMs: 2_500 });

    // Act: only 3 messages outstanding, all fast.
    run(window, 20, 100, 0, 3);

    // Assert
    expect(window.window).toBe(20);
  });

  it("shrinks while records take longer than the target, never below its minimum", () => {
    // Arrange
    const window = new FeedWindow({ targetMs: 2_500, initialWindow: 200 });

    // Act
    run(window, 1, 4_000);
    const once = window.window;
    run(window, 30, 4_000, 500);

    // Assert
    expect(once).toBe(150);
    expect(window.window).toBe(4);
  });

  it("halves at once when records time out, whatever the time since the last look", () => {
    // Arrange
    const window = new FeedWindow({ targetMs: 2_500, initialWindow: 100 });
    const at = run(window, 1, 100);
    const before = window.window;

    // Act: a batch of ten records timed out, seen 25 ms after the last look; later another.
    window.observe(at + 25, 10, before);
    const after = window.window;
    window.observe(at + 50, 10, after);
    const unchanged = window.window;
    window.observe(at + 75, 20, after);

    // Assert
    expect(after).toBe(Math.floor(before / 2));
    expect(unchanged).toBe(after);
    expect(window.window).toBe(Math.floor(after / 2));
  });

  it("takes no step more often than every half second", () => {
    // Arrange
    const window = new FeedWindow({ targetMs: 2_500, initialWindow: 100 });
    window.observe(0, 0, 100);

    // Act: slow records seen 100 ms apart.
    for (let at = 100; at < 500; at += 100) {
      window.handled(5_000);
      window.observe(at, 0, 100);
    }
    const early = window.window;
    window.observe(500, 0, 100);

    // Assert
    expect(early).toBe(100);
    expect(window.window).toBe(75);
  });
});
