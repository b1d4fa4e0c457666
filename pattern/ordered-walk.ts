/**
 * event-ruler's order-dependent `exists: false` inside arrays: a field that may be absent counts
 * as absent when none of its leaves is consistent with the leaves chosen for the fields before it
 * in sorted order. Decided in one pass for the usual shape ({@link oneArraySearch}), by a
 * memoised walk otherwise ({@link searchInOrder}).
 */
import { MatchBudget } from "./ambiguous.ts";
import type { FieldInput } from "./consistency.ts";
import type { ArrayElement, Leaf } from "./event.ts";

/** Leaves arranged by their chain of array elements, to find those consistent with a choice fast. */
interface LeafTree {
  readonly leaves: Leaf[];
  /** Array id -> element index -> subtree (absent when no array lies below). */
  arrays: Map<number, LeafTree[]> | undefined;
}

/** Reused stack of a leaf's elements, outermost last (walking up allocates nothing). */
const upward: ArrayElement[] = [];

function leafTree(leaves: readonly Leaf[]): LeafTree {
  const root: LeafTree = { leaves: [], arrays: undefined };
  for (const leaf of leaves) {
    let node = root;
    upward.length = 0;
    for (let element = leaf.context; element; element = element.parent) upward.push(element);
    for (let i = upward.length - 1; i >= 0; i--) {
      const element = upward[i] as ArrayElement;
      node.arrays ??= new Map();
      let byIndex = node.arrays.get(element.arrayId);
      if (!byIndex) node.arrays.set(element.arrayId, (byIndex = []));
      let child = byIndex[element.index];
      if (!child) byIndex[element.index] = child = { leaves: [], arrays: undefined };
      node = child;
    }
    node.leaves.push(leaf);
  }
  return root;
}

/**
 * Calls `visit` on each leaf of `tree` consistent with the chosen elements (`selected`: array id
 * -> element index) until it returns true; returns whether it did. Only the chosen element of a
 * chosen array is entered, so the walk costs the consistent leaves plus the path to them.
 */
function someConsistent(node: LeafTree, selected: ReadonlyMap<number, number>, visit: (leaf: Leaf) => boolean): boolean {
  // Recursive (no stack to allocate): trees are at most as deep as the event's array nesting.
  for (const leaf of node.leaves) if (visit(leaf)) return true;
  if (node.arrays === undefined) return false;
  for (const [array, byIndex] of node.arrays) {
    const index = selected.get(array);
    if (index === undefined) {
      for (const child of byIndex) if (child && someConsistent(child, selected, visit)) return true;
    } else {
      const child = byIndex[index];
      if (child && someConsistent(child, selected, visit)) return true;
    }
  }
  return false;
}

const ANY_LEAF = (): boolean => true;

/**
 * event-ruler's order-dependent walk, for sub-rules with an `exists: false` field whose leaves
 * sit inside arrays: such a field counts as absent when none of its leaves is consistent with the
 * leaves chosen for the fields before it. Failed states are remembered by field and by the
 * choices made in arrays that the remaining fields can still reach; fields on one array path are
 * contiguous in sorted order, so those choices form a chain and the states stay few.
 */
export function orderedSearch(fields: readonly FieldInput[], budget: MatchBudget): boolean {
  return oneArraySearch(fields) ?? searchInOrder(fields, budget);
}

/**
 * Steps the ordered walk may take. Without a path spelled twice its states are a field and a chain
 * of choices, and a multiple of fields times leaves is a safety net it stays well within. With
 * one (see {@link spelledTwice}) the walk chooses among arrays and can be exponential, so it gets
 * a fixed allowance (tens of milliseconds), past which the event is refused.
 */
export function orderedSearchBudget(fields: readonly FieldInput[]): number {
  if (spelledTwice(fields)) return ORDERED_AMBIGUOUS_STEPS;
  let leaves = 0;
  for (const { candidates, allLeaves } of fields) leaves += candidates.length + (allLeaves?.length ?? 0);
  return 8 * fields.length * (leaves + fields.length) + 1000;
}

/** The ordered walk's allowance on events that spell a path twice (about 10 ms). */
export const ORDERED_AMBIGUOUS_STEPS = 5_000;

/**
 * Whether some field has leaves in two different arrays of one element (or of the event root):
 * only duplicate keys, or a dotted key next to nested objects, do that.
 */
function spelledTwice(fields: readonly FieldInput[]): boolean {
  for (const { candidates, allLeaves } of fields) {
    const arrayUnder = new Map<ArrayElement | null, number>();
    for (const leaves of allLeaves === undefined ? [candidates] : [candidates, allLeaves]) {
      for (const leaf of leaves) {
        for (let element = leaf.context; element; element = element.parent) {
          const known = arrayUnder.get(element.parent);
          if (known === undefined) arrayUnder.set(element.parent, element.arrayId);
          else if (known !== element.arrayId) return true;
          // Already walked from here up by an earlier leaf.
          else break;
        }
      }
    }
  }
  return false;
}

/**
 * The general walk behind {@link orderedSearch}, for any shape; exported so that a property test
 * can check the one-array shortcut against it.
 */
export function searchInOrder(fields: readonly FieldInput[], shared: MatchBudget = new MatchBudget()): boolean {
  const count = fields.length;
  const reachable: Set<number>[] = new Array(count + 1);
  reachable[count] = new Set();
  for (let i = count - 1; i >= 0; i--) {
    const arrays = new Set(reachable[i + 1]);
    const field = fields[i] as FieldInput;
    for (const leaf of field.allLeaves ?? field.candidates) {
      for (let element = leaf.context; element; element = element.parent) arrays.add(element.arrayId);
    }
    reachable[i] = arrays;
  }
  // Trees are built on first use: with nothing chosen yet, every leaf is consistent.
  const candidateTrees: (LeafTree | undefined)[] = [];
  const presenceTrees: (LeafTree | undefined)[] = [];
  const someConsistentOf = (leaves: readonly Leaf[], trees: (LeafTree | undefined)[], index: number, visit: (leaf: Leaf) => boolean): boolean => {
    if (leaves.length === 0) return false;
    if (selected.size === 0) return leaves.some(visit);
    return someConsistent((trees[index] ??= leafTree(leaves)), selected, visit);
  };
  /** Chosen element per array, with how many chosen leaves pass through it. */
  const selected = new Map<number, number>();
  const uses = new Map<number, number>();
  const choose = (context: ArrayElement | null): void => {
    for (let element = context; element; element = element.parent) {
      selected.set(element.arrayId, element.index);
      uses.set(element.arrayId, (uses.get(element.arrayId) ?? 0) + 1);
    }
  };
  const unchoose = (context: ArrayElement | null): void => {
    for (let element = context; element; element = element.parent) {
      const left = (uses.get(element.arrayId) as number) - 1;
      if (left === 0) {
        uses.delete(element.arrayId);
        selected.delete(element.arrayId);
      } else uses.set(element.arrayId, left);
    }
  };
  const failed = new Set<number | string>();
  /** The state: field index and relevant choices; a number (no allocation) for up to one choice. */
  const stateKey = (index: number): number | string => {
    const arrays = reachable[index] as Set<number>;
    let parts: string[] | undefined;
    let onlyArray = -1;
    let onlyElement = 0;
    for (const [array, element] of selected) {
      if (!arrays.has(array)) continue;
      if (onlyArray < 0) {
        onlyArray = array;
        onlyElement = element;
      } else (parts ??= [`${onlyArray}:${onlyElement}`]).push(`${array}:${element}`);
    }
    if (parts) return `${index}|${parts.sort().join(",")}`;
    // index < 2^9 (256 fields), array and element ids < 2^21: exact in a double.
    if (onlyArray < 0) return -1 - index;
    if (onlyArray < 2 ** 21 && onlyElement < 2 ** 21) return (index * 2 ** 21 + onlyArray) * 2 ** 21 + onlyElement;
    return `${index}|${onlyArray}:${onlyElement}`;
  };
  const budget = shared.within(orderedSearchBudget(fields));
  const from = (index: number): boolean => {
    budget.spend(1);
    if (index === count) return true;
    const key = stateKey(index);
    if (failed.has(key)) return false;
    const field = fields[index] as FieldInput;
    if (field.allLeaves && !someConsistentOf(field.allLeaves, presenceTrees, index, ANY_LEAF) && from(index + 1)) return true;
    const matched = someConsistentOf(field.candidates, candidateTrees, index, (leaf) => {
      budget.spend(1);
      choose(leaf.context);
      const found = from(index + 1);
      unchoose(leaf.context);
      return found;
    });
    if (!matched) failed.add(key);
    return matched;
  };
  return from(0);
}

/** Per element of the one array: which fields have a candidate (1) or any leaf (2) directly in it. */
const CANDIDATE = 1;
const PRESENT = 2;

/**
 * {@link orderedSearch} without a search, for the usual shape of an `exists: false` inside an
 * array of objects: every leaf of the sub-rule lies outside arrays or directly in an element of
 * one and the same top-level array. Returns undefined for any other shape.
 *
 * The walk's selection is then either nothing or one element `k`, and once an element is chosen
 * it never changes, so the fields after that choice are independent: each holds under `k` when it
 * has a candidate outside the array or in `k`, or may be absent and has no leaf outside the array
 * nor in `k`. Before the choice, a field holds with a candidate outside the array, or is absent
 * with no leaf at all (with nothing chosen, every leaf is consistent). The sub-rule matches when
 * the fields all hold before any choice, or some field `i` that every earlier field lets through
 * has a candidate in an element `k` under which every later field holds. One pass over the leaves
 * and one over the fields per element: linear in the event for a given pattern, where the search
 * tried each element's candidates with its bookkeeping (issue 19).
 */
export function oneArraySearch(fields: readonly FieldInput[]): boolean | undefined {
  const count = fields.length;
  // First pass: the shape, and the array's size as far as the leaves show it.
  let arrayId = -1;
  let size = 0;
  for (const { candidates, allLeaves } of fields) {
    for (const leaves of allLeaves === undefined ? [candidates] : [candidates, allLeaves]) {
      for (const leaf of leaves) {
        const element = leaf.context;
        if (element === null) continue;
        if (element.parent !== null) return undefined;
        if (arrayId === -1) arrayId = element.arrayId;
        else if (element.arrayId !== arrayId) return undefined;
        if (element.index >= size) size = element.index + 1;
      }
    }
  }
  // Second pass: flags per element and field, in one block (element-major).
  const flags = new Uint8Array(size * count);
  const used = new Uint8Array(size);
  const outsideCandidate = new Uint8Array(count);
  const outsideLeaf = new Uint8Array(count);
  for (let field = 0; field < count; field++) {
    const { candidates, allLeaves } = fields[field] as FieldInput;
    for (const leaves of allLeaves === undefined ? [candidates] : [candidates, allLeaves]) {
      const flag = leaves === candidates ? CANDIDATE | PRESENT : PRESENT;
      for (const leaf of leaves) {
        const element = leaf.context;
        if (element === null) {
          if (leaves === candidates) outsideCandidate[field] = 1;
          outsideLeaf[field] = 1;
          continue;
        }
        const at = element.index * count + field;
        flags[at] = (flags[at] as number) | flag;
        used[element.index] = 1;
      }
    }
  }
  // Fields 0..passable-1 hold with nothing chosen.
  let passable = 0;
  while (passable < count) {
    const field = fields[passable] as FieldInput;
    const holds = outsideCandidate[passable] === 1 || (field.allLeaves !== undefined && field.allLeaves.length === 0);
    if (!holds) break;
    passable++;
  }
  if (passable === count) return true;
  for (let element = 0; element < size; element++) {
    if (used[element] === 0) continue;
    const base = element * count;
    // The last field that does not hold under this element.
    let last = -1;
    for (let field = count - 1; field >= 0; field--) {
      const here = flags[base + field] as number;
      if (outsideCandidate[field] === 1 || (here & CANDIDATE) !== 0) continue;
      if ((fields[field] as FieldInput).allLeaves !== undefined && outsideLeaf[field] === 0 && (here & PRESENT) === 0) continue;
      last = field;
      break;
    }
    for (let field = Math.max(last, 0); field <= passable; field++) if (((flags[base + field] as number) & CANDIDATE) !== 0) return true;
  }
  return false;
}
