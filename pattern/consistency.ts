/**
 * Array-consistent matching of one sub-rule: choose one leaf per field (or a permitted absence)
 * so that no two chosen leaves sit in different elements of the same event array, as
 * event-ruler's `rulesForJSONEvent` requires.
 *
 * A naive search tries every combination of leaves and is exponential in the number of
 * multi-valued fields. Here the choice is decided over the tree of array elements instead: a
 * field with a candidate directly in the current element is satisfied whatever else is chosen,
 * different arrays never conflict, and inside one array the remaining fields must all be found
 * in one element. Each element is examined once, so the time is linear in the candidates times
 * their array depth.
 *
 * Two cases keep a search, both bounded by memoisation:
 * - an `exists: false` field whose leaves sit inside array elements: event-ruler decides its
 *   absence against the fields before it in sorted order, so the fields are walked in that order,
 *   remembering failed states restricted to the arrays that later fields can still touch;
 * - a field reached in two different arrays of one element, which only happens when the event
 *   spells one path twice (duplicate keys, or `"a.b"` next to `"a": {"b"}`): its array is chosen
 *   by search. Choosing among such alternatives is NP-hard in general; it is exponential only in
 *   the number of such doubly-spelled fields.
 */
import type { ArrayElement, Leaf } from "./event.ts";

/** What the matcher knows about one field of a sub-rule, in event-ruler's sorted field order. */
export interface FieldInput {
  /** Leaves satisfying one of the field's value patterns. */
  readonly candidates: readonly Leaf[];
  /** For a field that may be absent (`exists: false`): every leaf at its path, whatever its value. */
  readonly allLeaves?: readonly Leaf[];
}

/** Whether the sub-rule whose fields these are matches. */
export function subRuleMatches(fields: readonly FieldInput[]): boolean {
  const required: (readonly Leaf[])[] = [];
  for (const field of fields) {
    const { allLeaves, candidates } = field;
    if (allLeaves !== undefined) {
      if (allLeaves.length === 0) continue; // absent: satisfied, and nothing to choose
      // Leaves outside arrays are consistent with any choice, so the field cannot count as absent.
      if (!allLeaves.every((leaf) => leaf.context === null)) return orderedSearch(fields);
    }
    if (candidates.length === 0) return false;
    required.push(candidates);
  }
  return consistentChoice(required);
}

/** Whether one leaf per entry of `fields` can be chosen, all array-consistent. */
export function consistentChoice(fields: readonly (readonly Leaf[])[]): boolean {
  return satisfiable(0, fields);
}

/** Distinguishes the marks of one {@link arraySatisfiable} call on array elements from another's. */
let marks = 0;

/** The element at `depth` on the way to a leaf that lies deeper than `depth`. */
function elementAt(leaf: Leaf, depth: number): ArrayElement {
  let element = leaf.context as ArrayElement;
  // A few steps up are cheaper than building the chain; deep leaves use the (cached) chain.
  if (element.depth - depth > 8) return element.chain[depth] as ArrayElement;
  while (element.depth > depth + 1) element = element.parent as ArrayElement;
  return element;
}

function isFree(leaf: Leaf, depth: number): boolean {
  return leaf.context === null || leaf.context.depth === depth;
}

/**
 * Whether the fields can be satisfied inside one array element at `depth` (0: the event root),
 * given candidates that all lie inside that element.
 */
function satisfiable(depth: number, fields: readonly (readonly Leaf[])[]): boolean {
  let byArray: Map<number, number[]> | undefined;
  let ambiguous: number[] | undefined;
  for (let i = 0; i < fields.length; i++) {
    const leaves = fields[i] as readonly Leaf[];
    // A candidate right in this element is consistent with any other choice.
    if (leaves.some((leaf) => isFree(leaf, depth))) continue;
    const array = elementAt(leaves[0] as Leaf, depth).arrayId;
    if (leaves.every((leaf) => elementAt(leaf, depth).arrayId === array)) {
      byArray ??= new Map();
      const group = byArray.get(array);
      if (group) group.push(i);
      else byArray.set(array, [i]);
    } else {
      (ambiguous ??= []).push(i);
    }
  }
  if (ambiguous === undefined) {
    for (const [array, group] of byArray ?? []) if (!arraySatisfiable(depth, fields, group, array)) return false;
    return true;
  }
  return assignAmbiguous(depth, fields, byArray ?? new Map(), ambiguous);
}

/**
 * Whether one element of `array` holds candidates for every field of `group`, consistently.
 * Elements are marked in place (no map per call): an element's `hits` counts the fields of the
 * group found in it so far, and only elements with all of them get their candidates collected.
 */
function arraySatisfiable(depth: number, fields: readonly (readonly Leaf[])[], group: readonly number[], array: number): boolean {
  const mark = ++marks;
  const size = group.length;
  for (let j = 0; j < size; j++) {
    for (const leaf of fields[group[j] as number] as readonly Leaf[]) {
      const element = elementAt(leaf, depth);
      if (element.arrayId !== array) continue;
      if (j === 0) {
        if (element.mark !== mark) {
          element.mark = mark;
          element.hits = 1;
        }
      } else if (element.mark === mark && element.hits === j) {
        element.hits = j + 1;
      }
    }
  }
  const feasible: ArrayElement[] = [];
  for (const leaf of fields[group[size - 1] as number] as readonly Leaf[]) {
    const element = elementAt(leaf, depth);
    if (element.arrayId !== array || element.mark !== mark || element.hits !== size) continue;
    element.hits = size + 1; // collected
    element.bucket = group.map(() => []);
    feasible.push(element);
  }
  if (feasible.length === 0) return false;
  for (let j = 0; j < size; j++) {
    for (const leaf of fields[group[j] as number] as readonly Leaf[]) {
      const element = elementAt(leaf, depth);
      if (element.arrayId === array && element.mark === mark && element.hits === size + 1) (element.bucket as Leaf[][])[j]?.push(leaf);
    }
  }
  const insides = feasible.map((element) => {
    const inside = element.bucket as Leaf[][];
    element.bucket = undefined;
    return inside;
  });
  return insides.some((inside) => satisfiable(depth + 1, inside));
}

/** Tries every array for the fields found in several arrays of one element (see the module note). */
function assignAmbiguous(
  depth: number,
  fields: readonly (readonly Leaf[])[],
  fixed: ReadonlyMap<number, readonly number[]>,
  ambiguous: readonly number[],
): boolean {
  const groups = new Map<number, number[]>([...fixed].map(([array, group]) => [array, [...group]]));
  const known = new Map<string, boolean>();
  const holds = (array: number, group: readonly number[]): boolean => {
    const key = `${array}:${[...group].sort((a, b) => a - b).join(",")}`;
    let result = known.get(key);
    if (result === undefined) {
      result = arraySatisfiable(depth, fields, group, array);
      known.set(key, result);
    }
    return result;
  };
  const assign = (k: number): boolean => {
    if (k === ambiguous.length) {
      for (const [array, group] of groups) if (!holds(array, group)) return false;
      return true;
    }
    const field = ambiguous[k] as number;
    const arrays = new Set<number>();
    for (const leaf of fields[field] as readonly Leaf[]) arrays.add(elementAt(leaf, depth).arrayId);
    for (const array of arrays) {
      const group = groups.get(array) ?? [];
      groups.set(array, group);
      group.push(field);
      // Fail early: adding fields to an array never makes it easier.
      const ok = holds(array, group) && assign(k + 1);
      group.pop();
      if (group.length === 0) groups.delete(array);
      if (ok) return true;
    }
    return false;
  };
  return assign(0);
}

/** Leaves arranged by their chain of array elements, to find those consistent with a choice fast. */
interface LeafTree {
  readonly leaves: Leaf[];
  /** Array id -> element index -> subtree. */
  readonly arrays: Map<number, Map<number, LeafTree>>;
}

function leafTree(leaves: readonly Leaf[]): LeafTree {
  const root: LeafTree = { leaves: [], arrays: new Map() };
  for (const leaf of leaves) {
    let node = root;
    for (const element of leaf.context?.chain ?? []) {
      let byIndex = node.arrays.get(element.arrayId);
      if (!byIndex) node.arrays.set(element.arrayId, (byIndex = new Map()));
      let child = byIndex.get(element.index);
      if (!child) byIndex.set(element.index, (child = { leaves: [], arrays: new Map() }));
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
function someConsistent(tree: LeafTree, selected: ReadonlyMap<number, number>, visit: (leaf: Leaf) => boolean): boolean {
  const pending: LeafTree[] = [tree];
  while (pending.length > 0) {
    const node = pending.pop() as LeafTree;
    for (const leaf of node.leaves) if (visit(leaf)) return true;
    for (const [array, byIndex] of node.arrays) {
      const index = selected.get(array);
      if (index === undefined) for (const child of byIndex.values()) pending.push(child);
      else {
        const child = byIndex.get(index);
        if (child) pending.push(child);
      }
    }
  }
  return false;
}

/**
 * event-ruler's order-dependent walk, for sub-rules with an `exists: false` field whose leaves
 * sit inside arrays: such a field counts as absent when none of its leaves is consistent with the
 * leaves chosen for the fields before it. Failed states are remembered by field and by the
 * choices made in arrays that the remaining fields can still reach; fields on one array path are
 * contiguous in sorted order, so those choices form a chain and the states stay few.
 */
function orderedSearch(fields: readonly FieldInput[]): boolean {
  const count = fields.length;
  const reachable: Set<number>[] = new Array(count + 1);
  reachable[count] = new Set();
  for (let i = count - 1; i >= 0; i--) {
    const arrays = new Set(reachable[i + 1]);
    const field = fields[i] as FieldInput;
    for (const leaf of field.allLeaves ?? field.candidates) {
      for (const element of leaf.context?.chain ?? []) arrays.add(element.arrayId);
    }
    reachable[i] = arrays;
  }
  const candidateTrees = fields.map((field) => leafTree(field.candidates));
  const presenceTrees = fields.map((field) => (field.allLeaves ? leafTree(field.allLeaves) : undefined));
  /** Chosen element per array, with how many chosen leaves pass through it. */
  const selected = new Map<number, number>();
  const uses = new Map<number, number>();
  const choose = (context: ArrayElement | null): void => {
    for (const element of context?.chain ?? []) {
      selected.set(element.arrayId, element.index);
      uses.set(element.arrayId, (uses.get(element.arrayId) ?? 0) + 1);
    }
  };
  const unchoose = (context: ArrayElement | null): void => {
    for (const element of context?.chain ?? []) {
      const left = (uses.get(element.arrayId) as number) - 1;
      if (left === 0) {
        uses.delete(element.arrayId);
        selected.delete(element.arrayId);
      } else uses.set(element.arrayId, left);
    }
  };
  const failed = new Set<string>();
  const stateKey = (index: number): string => {
    const arrays = reachable[index] as Set<number>;
    const parts: string[] = [];
    for (const [array, element] of selected) if (arrays.has(array)) parts.push(`${array}:${element}`);
    return `${index}|${parts.sort().join(",")}`;
  };
  const from = (index: number): boolean => {
    if (index === count) return true;
    const key = stateKey(index);
    if (failed.has(key)) return false;
    const presence = presenceTrees[index];
    if (presence && !someConsistent(presence, selected, () => true) && from(index + 1)) return true;
    const matched = someConsistent(candidateTrees[index] as LeafTree, selected, (leaf) => {
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
