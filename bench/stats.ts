/** Latency statistics shared by the benchmarks. */

export interface LatencySummary {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly n: number;
}

/** Nearest-rank percentiles of a sample, rounded to 0.1 (NaN for an empty sample). */
export function latencySummary(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => {
    const value = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
    return value === undefined ? Number.NaN : Math.round(value * 10) / 10;
  };
  return { p50: at(50), p95: at(95), p99: at(99), max: at(100), n: sorted.length };
}
