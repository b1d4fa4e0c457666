/**
 * The comparison of two backtest sides: a consumer timeout (wall-clock, so a busy machine can cause
 * it) is reported with a warning, since its retries can put events in a DLQ on one side only.
 */
import { describe, expect, it } from "vitest";
import { compareSides, formatComparison } from "./compare.ts";
import type { SideResult } from "./collect.ts";

function side(overrides: Partial<SideResult> = {}): SideResult {
  return {
    events: 1,
    accepted: 1,
    rejected: 0,
    perEvent: { evt_1: { type: "payment_intent.succeeded", rules: ["LoyaltyAccrual"], dlq: [] } },
    emails: {},
    pushes: {},
    customers: {},
    purchases: {},
    workflows: [],
    dlq: {},
    engineErrors: { count: 0, samples: [] },
    seconds: 1,
    ...overrides,
  };
}

const labels = { base: "base", candidate: "candidate" };

describe("backtest comparison and consumer timeouts", () => {
  it("counts each side's timed-out invocations and warns that DLQ differences may come from them", () => {
    // Arrange
    const base = side({
      perEvent: { evt_1: { type: "payment_intent.succeeded", rules: ["LoyaltyAccrual"], dlq: ["loyalty"] } },
      dlq: { loyalty: 1 },
      timeouts: { count: 5, samples: ["loyalty: FunctionTimeoutError: Task timed out after 20.00 seconds"] },
    });

    // Act
    const comparison = compareSides(base, side());
    const text = formatComparison(comparison, labels);

    // Assert
    expect(comparison.timeouts).toEqual({ base: 5, candidate: 0, samples: ["loyalty: FunctionTimeoutError: Task timed out after 20.00 seconds"] });
    expect(comparison.events.map((e) => e.missingDlq)).toEqual([["loyalty"]]);
    expect(text).toContain("warning: consumer invocations timed out 5 time(s) on base and 0 on the candidate (loyalty: FunctionTimeoutError");
  });

  it("says nothing about timeouts when no invocation timed out", () => {
    // Act
    const comparison = compareSides(side({ timeouts: { count: 0, samples: [] } }), side());

    // Assert
    expect(comparison.timeouts).toEqual({ base: 0, candidate: 0, samples: [] });
    expect(comparison.identical).toBe(true);
    expect(formatComparison(comparison, labels)).not.toContain("timed out");
  });
});
