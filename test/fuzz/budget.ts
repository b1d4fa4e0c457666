/**
 * The fuzz suite's budget: seeded and bounded so `npm test` runs it reproducibly in seconds;
 * `npm run fuzz` runs the same properties longer (see scripts/fuzz.ts).
 *
 * `PAYBUS_FUZZ_SEED` replays a run (fast-check prints the seed and path of any counterexample);
 * `PAYBUS_FUZZ_RUNS_SCALE` scales every property's run count (1 = the `npm test` budget).
 */
import type { Parameters } from "fast-check";

/** The seed of every property; fixed so a failure in `npm test` reproduces as is. */
export const FUZZ_SEED = Number(process.env.PAYBUS_FUZZ_SEED ?? 20_261_205);

/** Multiplies each property's default number of runs. */
export const FUZZ_SCALE = Number(process.env.PAYBUS_FUZZ_RUNS_SCALE ?? 1);

/** fast-check parameters for a property that runs `runs` times in `npm test`. */
export function fuzzParameters<T>(runs: number): Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(runs * FUZZ_SCALE)) };
}

/** A vitest timeout for a property of `runs` runs at roughly `msPerRun`, with room for a busy machine. */
export function fuzzTimeout(runs: number, msPerRun: number): number {
  return Math.max(60_000, Math.round(runs * FUZZ_SCALE * msPerRun * 10));
}
