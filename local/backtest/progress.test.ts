/** The backtest's progress line: the slower side drives the bar and the ETA. */
import { describe, expect, it } from "vitest";
import { formatProgress } from "./index.ts";

describe("formatProgress", () => {
  it("fills the bar and estimates the time left from the slower side", () => {
    // Act: base is 60% done, the candidate 40%, after 80 s.
    const line = formatProgress(0.6, 0.4, 80);

    // Assert: 40% of 30 cells; 80 s for 40% leaves 120 s.
    expect(line).toBe(`[${"#".repeat(12)}${"-".repeat(18)}] 40%  base 60%  candidate 40%  elapsed 1:20  ETA 2:00`);
  });

  it("gives no ETA before 2% is done, and never prints 60 seconds in a minute", () => {
    // Act
    const starting = formatProgress(0.01, 0.5, 9);
    const rounded = formatProgress(0.5, 0.5, 119.6);

    // Assert
    expect(starting).toContain("ETA …");
    expect(rounded).toContain("elapsed 2:00  ETA 2:00");
  });
});
