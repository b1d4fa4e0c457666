/**
 * Numeric ranges of many rules at one path, looked up by value: the bounds cut the number line
 * into regions (each bound itself, and the open stretches between bounds), each region lists
 * the ranges covering it, and a number finds its region by binary search. A value then costs
 * a logarithm of the bounds plus the ranges it satisfies, however many rules compare numbers
 * at that path (event-ruler's byte machine gets the same from its sorted number encoding).
 */
import { compareDoubles, inRange, type NumericRange } from "./numbers.ts";

/** Region lists may hold at most this many entries per range (else ranges are tested one by one). */
const MAX_ENTRIES_PER_RANGE = 64;

export class NumericIndex {
  /** Bounded bounds of every range, sorted by {@link compareDoubles}, without repeats. */
  private readonly points: number[];
  /**
   * Region `2i` is the open stretch below `points[i]` (above `points[i - 1]`), region `2i + 1`
   * the point `points[i]` itself, region `2k` the stretch above the last point.
   */
  private readonly regions: number[][];

  private constructor(points: number[], regions: number[][]) {
    this.points = points;
    this.regions = regions;
  }

  /**
   * An index of the ranges (by predicate id), or `undefined` when nesting makes the region
   * lists too long to be worth it (the ranges are then tested leaf by leaf).
   */
  static build(ranges: readonly { readonly id: number; readonly range: NumericRange }[]): NumericIndex | undefined {
    const bounds: number[] = [];
    for (const { range } of ranges) {
      if (Number.isFinite(range.bottom)) bounds.push(range.bottom);
      if (Number.isFinite(range.top)) bounds.push(range.top);
    }
    bounds.sort(compareDoubles);
    const points: number[] = [];
    for (const bound of bounds) if (points.length === 0 || compareDoubles(points[points.length - 1] as number, bound) !== 0) points.push(bound);
    const budget = MAX_ENTRIES_PER_RANGE * ranges.length + 1024;
    let entries = 0;
    const regions: number[][] = [];
    for (let region = 0; region <= 2 * points.length; region++) {
      const covering: number[] = [];
      const at = region >>> 1;
      for (const { id, range } of ranges) {
        const covers =
          region % 2 === 1
            ? inRange(points[at] as number, range)
            : (at === 0 ? range.bottom === -Infinity : compareDoubles(range.bottom, points[at - 1] as number) <= 0) &&
              (at === points.length ? range.top === Infinity : compareDoubles(range.top, points[at] as number) >= 0);
        if (covers) covering.push(id);
      }
      entries += covering.length;
      if (entries > budget) return undefined;
      regions.push(covering);
    }
    return new NumericIndex(points, regions);
  }

  /** Ids of the ranges holding `value` (a comparable number). */
  covering(value: number): readonly number[] {
    const { points } = this;
    let low = 0;
    let high = points.length;
    // First point not below the value.
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareDoubles(points[middle] as number, value) < 0) low = middle + 1;
      else high = middle;
    }
    const exact = low < points.length && compareDoubles(points[low] as number, value) === 0;
    return this.regions[exact ? 2 * low + 1 : 2 * low] as number[];
  }
}
