/**
 * The one part of array-consistent matching that is hard: fields reached in several arrays of one
 * element. That happens only when an event spells one path twice (duplicate keys, or `"a.b"` next
 * to `"a": {"b"}`); each spelling is its own array, and every field must then be given to one
 * array whose single chosen element satisfies all the fields given to it.
 *
 * Choosing at most one element per array so that every field is covered is satisfiability in
 * disguise (an array per variable, an element per value, a field per clause), so no exact method
 * is polynomial; event-ruler's own search is exponential on such events. This search keeps the
 * exact answer and is fast on everything we could generate within AWS's limits, by:
 * - narrowing, per array, the elements that can still be chosen, and giving a field to an array
 *   for free when every such element holds it directly (no choice is lost);
 * - forcing a field with one possible array, failing one with none (unit propagation);
 * - a capacity bound: each array takes at most as many of the open fields as its best element
 *   holds, so too few arrays for the open fields fail at once (pigeonhole events);
 * - branching on the field with the fewest possible arrays.
 * What remains exponential is capped by {@link MatchBudget}: past it the event is refused with
 * {@link EventTooComplexError} rather than freezing the bus.
 */
import { EventTooComplexError } from "./errors.ts";
import type { ArrayElement } from "./event.ts";

/**
 * Steps (element checks) one match of an event may spend on fields spelled in several arrays,
 * over all the rules and sub-rules it is matched against, before the event is refused. Every
 * generated worst case within AWS's default limits needs far fewer (see `adversarial-cases.ts`);
 * at about a microsecond a step, the cap bounds a match to a fraction of a second.
 */
export const DEFAULT_AMBIGUITY_BUDGET = 200_000;

/** Work left for one match; shared by the nested searches of that match. */
export class MatchBudget {
  constructor(
    private left: number = DEFAULT_AMBIGUITY_BUDGET,
    private readonly parent?: MatchBudget,
  ) {}

  /** Steps left (for tests and diagnostics). */
  get remaining(): number {
    return this.left;
  }

  /** A budget of at most `limit` steps that also spends from this one. */
  within(limit: number): MatchBudget {
    return new MatchBudget(limit, this);
  }

  spend(steps: number): void {
    this.left -= steps;
    if (this.left < 0) throw new EventTooComplexError();
    this.parent?.spend(steps);
  }
}

/** Field membership bits, as `consistency.ts` keeps them on array elements. */
export type Bits = number | Uint32Array;

export function hasBit(bits: Bits, field: number): boolean {
  return typeof bits === "number" ? ((bits >>> field) & 1) === 1 : (((bits[field >>> 5] as number) >>> (field & 31)) & 1) === 1;
}

/** A field found in several arrays, and those arrays (positions in the search's array list). */
export interface AmbiguousField {
  readonly field: number;
  readonly arrays: readonly number[];
}

/** The search's view of one array: the elements still possible and the fields given to it. */
interface ArrayState {
  readonly kids: readonly ArrayElement[];
  readonly group: readonly number[];
  /**
   * Per field, the elements that can also take it, and whether all hold it directly: computed
   * once per state (a state is replaced, never changed), so propagation after a choice in one
   * array only recomputes that array.
   */
  narrowed: Map<number, Narrowed> | undefined;
}

interface Narrowed {
  readonly kids: ArrayElement[];
  /** Every element holds the field directly: giving it to this array costs no choice. */
  readonly free: boolean;
}

function arrayState(kids: readonly ArrayElement[], group: readonly number[]): ArrayState {
  return { kids, group, narrowed: undefined };
}

/**
 * Whether each of the `ambiguous` fields can be given to one of its arrays so that every array
 * keeps an element satisfying all of its fields. `arrays[i]` lists the elements of array `i`
 * that satisfy its `fixed[i]` fields already (those found in that array only); `fits` decides
 * whether an element satisfies a group of fields (recursively, for arrays nested inside it).
 */
export function assignAmbiguous(
  arrays: readonly (readonly ArrayElement[])[],
  fixed: readonly (readonly number[])[],
  ambiguous: readonly AmbiguousField[],
  fits: (kid: ArrayElement, group: readonly number[]) => boolean,
  budget: MatchBudget,
): boolean {
  const state: ArrayState[] = arrays.map((kids, i) => arrayState(kids, fixed[i] ?? []));
  // Most fields any one element of an array holds: the capacity bound needs exact counts only
  // when these alone leave too few places for the open fields (pigeonhole events).
  const ceilings = arrays.map((kids) => {
    let best = 0;
    for (const kid of kids) {
      let held = 0;
      for (const { field } of ambiguous) if (hasBit(kid.below as Bits, field)) held++;
      if (held > best) best = held;
    }
    return best;
  });
  return search(state, ambiguous, fits, budget, ceilings);
}

/** The elements of `array` that can also take `field`. */
function narrow(array: ArrayState, field: number, fits: (kid: ArrayElement, group: readonly number[]) => boolean, budget: MatchBudget): Narrowed {
  const known = array.narrowed?.get(field);
  if (known !== undefined) return known;
  budget.spend(array.kids.length);
  let group: number[] | undefined;
  const kids: ArrayElement[] = [];
  let free = array.kids.length > 0;
  for (const kid of array.kids) {
    // A field held directly costs the element nothing, whatever else it must hold.
    if (hasBit(kid.direct as Bits, field)) kids.push(kid);
    else {
      free = false;
      if (hasBit(kid.below as Bits, field) && fits(kid, (group ??= [...array.group, field]))) kids.push(kid);
    }
  }
  const result = { kids, free };
  (array.narrowed ??= new Map()).set(field, result);
  return result;
}

function search(
  arrays: ArrayState[],
  open: readonly AmbiguousField[],
  fits: (kid: ArrayElement, group: readonly number[]) => boolean,
  budget: MatchBudget,
  ceilings: readonly number[],
): boolean {
  let pending = [...open];
  /** Position in `pending` of the field with the fewest possible arrays, and that number. */
  let pick = -1;
  let pickCount = Infinity;
  /** Arrays that can take some pending field (marked per pass, counted). */
  const taking = new Uint8Array(arrays.length);
  // Propagate until nothing changes: free and forced fields leave `pending`. Counting allocates
  // nothing: the options of the one field branched on are listed afterwards (from the cache).
  for (let changed = true; changed; ) {
    changed = false;
    pick = -1;
    pickCount = Infinity;
    const still: AmbiguousField[] = [];
    for (const entry of pending) {
      budget.spend(1);
      let count = 0;
      let only = -1;
      let free = -1;
      for (const array of entry.arrays) {
        const narrowed = narrow(arrays[array] as ArrayState, entry.field, fits, budget);
        if (narrowed.free) {
          free = array;
          break;
        }
        if (narrowed.kids.length > 0) {
          count++;
          only = array;
        }
      }
      if (free >= 0) {
        const state = arrays[free] as ArrayState;
        arrays[free] = arrayState(state.kids, [...state.group, entry.field]);
        changed = true;
        continue;
      }
      if (count === 0) return false;
      if (count === 1) {
        const state = arrays[only] as ArrayState;
        arrays[only] = arrayState((state.narrowed?.get(entry.field) as Narrowed).kids, [...state.group, entry.field]);
        changed = true;
        continue;
      }
      if (count < pickCount) {
        pick = still.length;
        pickCount = count;
      }
      still.push(entry);
    }
    pending = still;
  }
  if (pending.length === 0) return true;
  // Cheap first: an array that can take some open field takes at most its ceiling of them.
  let room = 0;
  for (const entry of pending) {
    for (const array of entry.arrays) {
      if (taking[array] === 0 && narrow(arrays[array] as ArrayState, entry.field, fits, budget).kids.length > 0) {
        taking[array] = 1;
        room += ceilings[array] as number;
      }
    }
  }
  if (room < pending.length) return false;
  if (room < 2 * pending.length && !enoughCapacity(arrays, pending, budget)) return false;
  // Branch on the most constrained field. While one of its arrays has several elements left,
  // choose that array's element (every solution chooses one: using an array never hurts another);
  // once all are down to one element, choose the array that takes the field.
  const entry = pending[pick] as AmbiguousField;
  const undecided = entry.arrays.find((array) => (arrays[array] as ArrayState).kids.length > 1);
  if (undecided !== undefined) {
    const { kids, group } = arrays[undecided] as ArrayState;
    // Elements that can take the field first.
    const takers = new Set(narrow(arrays[undecided] as ArrayState, entry.field, fits, budget).kids);
    const ordered = [...kids.filter((kid) => takers.has(kid)), ...kids.filter((kid) => !takers.has(kid))];
    for (const kid of ordered) {
      const next = [...arrays];
      next[undecided] = arrayState([kid], group);
      if (search(next, pending, fits, budget, ceilings)) return true;
    }
    return false;
  }
  const rest = pending.filter((_, i) => i !== pick);
  for (const array of entry.arrays) {
    const state = arrays[array] as ArrayState;
    const { kids } = narrow(state, entry.field, fits, budget);
    if (kids.length === 0) continue;
    const next = [...arrays];
    next[array] = arrayState(kids, [...state.group, entry.field]);
    if (search(next, rest, fits, budget, ceilings)) return true;
  }
  return false;
}

/**
 * Each array can take at most as many open fields as its best remaining element holds below it:
 * when all arrays together cannot take every open field, no assignment exists.
 */
function enoughCapacity(arrays: readonly ArrayState[], open: readonly AmbiguousField[], budget: MatchBudget): boolean {
  const fieldsByArray = new Map<number, number[]>();
  for (const { field, arrays: where } of open) {
    for (const array of where) {
      const list = fieldsByArray.get(array);
      if (list) list.push(field);
      else fieldsByArray.set(array, [field]);
    }
  }
  let capacity = 0;
  for (const [array, fields] of fieldsByArray) {
    const { kids } = arrays[array] as ArrayState;
    budget.spend(kids.length);
    let best = 0;
    for (const kid of kids) {
      let held = 0;
      for (const field of fields) if (hasBit(kid.below as Bits, field)) held++;
      if (held > best) best = held;
      if (best === fields.length) break;
    }
    capacity += best;
    if (capacity >= open.length) return true;
  }
  return false;
}
