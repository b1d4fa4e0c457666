/**
 * Numeric ranges of many rules at one path, looked up by value: the bounds cut the number line
 * into regions (each bound itself, and the open stretches between bounds), each region lists
 * the ranges covering it, and a number finds its region by binary search. A value then costs
 * a logarithm of the bounds plus the ranges it satisfies, however many rules compare numbers
 * at that path (event-ruler's byte machine gets the same from its sorted number encoding).
 */
import { compareDoubles, type NumericRange } from "./numbers.ts";

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
    // Each range covers a run of consecutive regions: find its ends by binary search, so that
    // building costs the sort plus the entries, never regions times ranges.
    const spans = ranges.map(({ id, range }) => {
      const first = range.bottom === -Infinity ? 0 : 2 * indexOf(points, range.bottom) + (range.openBottom ? 2 : 1);
      const last = range.top === Infinity ? 2 * points.length : 2 * indexOf(points, range.top) + (range.openTop ? 0 : 1);
      return { id, first, last };
    });
    let entries = 0;
    for (const { first, last } of spans) if (last >= first) entries += last - first + 1;
    if (entries > MAX_ENTRIES_PER_RANGE * ranges.length + 1024) return undefined;
    const regions: number[][] = Array.from({ length: 2 * points.length + 1 }, () => []);
    for (const { id, first, last } of spans) for (let region = first; region <= last; region++) (regions[region] as number[]).push(id);
    return new NumericIndex(points, regions);
  }

  /** Ids of the ranges holding `value` (a comparable number). */
  covering(value: number): readonly number[] {
    const { points } = this;
    const low = firstNotBelow(points, value);
    const exact = low < points.length && compareDoubles(points[low] as number, value) === 0;
    return this.regions[exact ? 2 * low + 1 : 2 * low] as number[];
  }
}

/** Position of the first point not below `value` (binary search in {@link compareDoubles} order). */
function firstNotBelow(points: readonly number[], value: number): number {
  let low = 0;
  let high = points.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareDoubles(points[middle] as number, value) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Position of a bound known to be among the points. */
function indexOf(points: readonly number[], bound: number): number {
  return firstNotBelow(points, bound);
}
