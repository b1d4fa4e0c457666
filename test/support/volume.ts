/**
 * How big the volume and contention tests run. `npm test` runs each at a size that still proves
 * its property (many concurrent writers on one item, duplicates among them) and that a 2-core
 * machine with its other core busy finishes in seconds; `npm run test:volume` runs the same tests at
 * the sizes they were written with (`PAYBUS_TEST_VOLUME=full`), where the work grows with the
 * square of the contention.
 */

/** Whether this run asked for the full volumes. */
export const FULL_VOLUME = process.env.PAYBUS_TEST_VOLUME === "full";

/** `quick` in `npm test`, `full` under `npm run test:volume`. */
export function volume<T>(quick: T, full: T): T {
  return FULL_VOLUME ? full : quick;
}

/** The test files `npm run test:volume` runs with the full volumes. */
export const VOLUME_TEST_FILES: readonly string[] = ["functions/loyalty/core.test.ts", "test/loyalty-api.e2e.test.ts"];
