/** The backtest's feed window: follows the measured drain rate, backs off on timeouts, stays bounded. */
import { describe, expect, it } from "vitest";
import { FeedWindow } from "./feed.ts";

/** Feeds `window` totals: `rate` records drained per second for `seconds`, looked at every 500 ms. */
function drain(window: FeedWindow, rate: number, seconds: number, from = { at: 0, drained: 0, timedOut: 0 }) {
  let { at, drained } = from;
  for (let step = 0; step < seconds * 2; step++) {
    at += 500;
    drained += rate / 2;
    window.observe(at, drained, from.timedOut);
  }
  return { at, drained, timedOut: from.timedOut };
}

describe("FeedWindow", () => {
  it("allows two batches before anything drained, then about rate × target latency", () => {
    // Arrange
    const window = new FeedWindow({ targetSeconds: 2.5 });

    // Act
    const initial = window.window;
    window.observe(0, 0, 0);
    drain(window, 40, 20);

    // Assert
    expect(initial).toBe(20);
    expect(window.window).toBeGreaterThanOrEqual(95);
    expect(window.window).toBeLessThanOrEqual(100);
    expect(window.room(30)).toBe(window.window - 30);
    expect(window.room(window.window + 5)).toBe(0);
  });

  it("shrinks when the runtime slows down, never below its minimum, never above its maximum", () => {
    // Arrange
    const window = new FeedWindow({ targetSeconds: 2.5, maxWindow: 500 });
    window.observe(0, 0, 0);
    const fast = drain(window, 1_000, 10);
    const atFast = window.window;

    // Act
    drain(window, 1, 20, fast);

    // Assert
    expect(atFast).toBe(500);
    expect(window.window).toBe(4);
  });

  it("halves at once when records time out, and recovers while none do", () => {
    // Arrange
    const window = new FeedWindow({ targetSeconds: 2.5 });
    window.observe(0, 0, 0);
    const steady = drain(window, 40, 20);
    const before = window.window;

    // Act: a batch of ten records timed out (one look sees all ten).
    window.observe(steady.at + 100, steady.drained, 10);
    const after = window.window;
    drain(window, 40, 30, { ...steady, timedOut: 10 });

    // Assert
    expect(after).toBe(Math.round(before / 2));
    expect(window.window).toBe(before);
  });
});
