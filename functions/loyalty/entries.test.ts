import { describe, expect, it } from "vitest";
import { dueBound, entrySortKey, expiryIndexKey, lotRemaining } from "./entries.ts";

describe("lots under FIFO (lotRemaining)", () => {
  // Lots of 100 (oldest) then 60: the balance holds the newest credits first.
  it("takes debits from the oldest lot first", () => {
    // 160 credited, 30 redeemed: 70 of the first lot are left, all 60 of the second.
    expect(lotRemaining(130, 100, 60)).toBe(70);
    expect(lotRemaining(130, 60, 0)).toBe(60);
  });

  it("leaves nothing of a lot once the debits passed it, and never more than the lot", () => {
    expect(lotRemaining(50, 100, 60)).toBe(0);
    expect(lotRemaining(0, 60, 0)).toBe(0);
    // Points older than every lot (credited before lots existed) are consumed first: 340 of them here.
    expect(lotRemaining(500, 100, 60)).toBe(100);
  });
});

describe("key layout", () => {
  it("orders entries by time, then id, and the expiry index by due time before warning claims", () => {
    expect(entrySortKey(5, "b") < entrySortKey(10, "a")).toBe(true);
    expect(entrySortKey(1_800_000_000_000, "earn-pi_1")).toBe("LEDGER#1800000000000#earn-pi_1");
    const due = expiryIndexKey(1_000, "C-1", "LEDGER#0000000000001#x").sk;
    expect(due <= dueBound(1_000)).toBe(true);
    expect(expiryIndexKey(1_001, "C-1", "LEDGER#0000000000001#x").sk <= dueBound(1_000)).toBe(false);
    expect("WARN#C-1#x" <= dueBound(9_999_999_999_999)).toBe(false);
  });
});
