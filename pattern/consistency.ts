/**
 * Array-consistent matching of one sub-rule: choose one leaf per field (or a permitted absence)
 * so that no two chosen leaves sit in different elements of the same event array, as
 * event-ruler's `rulesForJSONEvent` requires.
 *
 * A naive search tries every combination of leaves and is exponential in the number of
 * multi-valued fields. Here the choice is decided over the tree of array elements instead: a
 * field with a candidate directly in the current element is satisfied whatever else is chosen,
 * different arrays never conflict, and inside one array the remaining fields must all be found
 * in one element. Each element on the way to a candidate is examined once per field, so the time
 * is linear in the size of the event for a given pattern.
 *
 * Two cases keep a search:
 * - an `exists: false` field whose leaves sit inside array elements: event-ruler decides its
 *   absence against the fields before it in sorted order (`ordered-walk.ts`: one pass for an
 *   array of objects, a memoised walk otherwise);
 * - a field reached in two different arrays of one element, which only happens when the event
 *   spells one path twice (duplicate keys, or `"a.b"` next to `"a": {"b"}`): which array takes
 *   it is chosen by the search of `ambiguous.ts` (NP-hard in general, so bounded by an allowance
 *   per event past which the event is refused).
 */
import { assignAmbiguous, hasBit, MatchBudget, type Bits } from "./ambiguous.ts";
import { orderedSearch } from "./ordered-walk.ts";
import type { ArrayElement, Leaf } from "./event.ts";

/** What the matcher knows about one field of a sub-rule, in event-ruler's sorted field order. */
export interface FieldInput {
  /** Leaves satisfying one of the field's value patterns. */
  readonly candidates: readonly Leaf[];
  /** For a field that may be absent (`exists: false`): every leaf at its path, whatever its value. */
  readonly allLeaves?: readonly Leaf[];
}

/** Whether the sub-rule whose fields these are matches. */
export function subRuleMatches(fields: readonly FieldInput[], budget: MatchBudget = new MatchBudget()): boolean {
  const required: (readonly Leaf[])[] = [];
  for (const field of fields) {
    const { allLeaves, candidates } = field;
    if (allLeaves !== undefined) {
      if (allLeaves.length === 0) continue; // absent: satisfied, and nothing to choose
      // Leaves outside arrays are consistent with any choice, so the field cannot count as absent.
      if (!allLeaves.every((leaf) => leaf.context === null)) return requiredFieldsConsistent(fields, budget) && orderedSearch(fields, budget);
    }
    if (candidates.length === 0) return false;
    required.push(candidates);
  }
  return consistentChoice(required, budget);
}

/**
 * The fields that cannot be absent must have an array-consistent choice whatever the walk does:
 * checked first, without a search, so that the ordered walk only runs when it may succeed.
 */
function requiredFieldsConsistent(fields: readonly FieldInput[], budget: MatchBudget): boolean {
  const required: (readonly Leaf[])[] = [];
  for (const { candidates, allLeaves } of fields) {
    if (allLeaves !== undefined) continue;
    if (candidates.length === 0) return false;
    required.push(candidates);
  }
  return consistentChoice(required, budget);
}

function withBit(bits: Bits, field: number): Bits {
  if (typeof bits === "number") return bits | (1 << field);
  bits[field >>> 5] = (bits[field >>> 5] as number) | (1 << (field & 31));
  return bits;
}

/** What one call records on an array element (or on the event root). */
interface Scratch {
  /** Fields with a candidate somewhere inside. */
  below: Bits;
  /** Fields with a candidate directly here (not inside a deeper array element). */
  direct: Bits;
  /** Marked elements one level down. */
  kids: ArrayElement[];
}

/** Tells one call's marks on array elements from another's. */
let calls = 0;

/**
 * Whether one leaf per entry of `fields` can be chosen, all array-consistent.
 *
 * Each candidate marks its element and the elements above it with its field (stopping where the
 * field is already marked), so marking costs the elements on the way to candidates, once per
 * field. The choice is then decided top-down on the marked elements only (see the module note).
 */
export function consistentChoice(fields: readonly (readonly Leaf[])[], budget: MatchBudget = new MatchBudget()): boolean {
  // Usual case: every field has a candidate outside any array element.
  if (fields.every((leaves) => leaves.some((leaf) => leaf.context === null))) return true;
  const token = ++calls;
  const wide = fields.length > 31;
  const fresh = (): Bits => (wide ? new Uint32Array(Math.ceil(fields.length / 32)) : 0);
  const root: Scratch = { below: fresh(), direct: fresh(), kids: [] };
  const init = (element: ArrayElement): void => {
    element.mark = token;
    element.below = fresh();
    element.direct = fresh();
    element.kids = [];
  };
  const ensure = (element: ArrayElement): void => {
    if (element.mark === token) return;
    init(element);
    for (let child = element; ; ) {
      const parent = child.parent;
      if (parent === null) {
        root.kids.push(child);
        return;
      }
      const known = parent.mark === token;
      if (!known) init(parent);
      (parent.kids as ArrayElement[]).push(child);
      if (known) return;
      child = parent;
    }
  };
  fields.forEach((leaves, field) => {
    for (const leaf of leaves) {
      const context = leaf.context;
      if (context === null) {
        root.direct = withBit(root.direct, field);
        continue;
      }
      ensure(context);
      context.direct = withBit(context.direct as Bits, field);
      for (let element: ArrayElement | null = context; element && !hasBit(element.below as Bits, field); element = element.parent) {
        element.below = withBit(element.below as Bits, field);
      }
    }
  });
  return solve(root, fields.map((_, field) => field), budget);
}

/** Whether the `required` fields can all be satisfied inside `node`. */
function solve(node: Scratch | ArrayElement, required: readonly number[], budget: MatchBudget): boolean {
  const direct = node.direct as Bits;
  const remaining = required.filter((field) => !hasBit(direct, field));
  if (remaining.length === 0) return true;
  const kidsByArray = new Map<number, ArrayElement[]>();
  for (const kid of node.kids as ArrayElement[]) {
    const list = kidsByArray.get(kid.arrayId);
    if (list) list.push(kid);
    else kidsByArray.set(kid.arrayId, [kid]);
  }
  const groups = new Map<number, number[]>();
  const ambiguous: { field: number; arrays: number[] }[] = [];
  for (const field of remaining) {
    const arrays: number[] = [];
    for (const [array, kids] of kidsByArray) if (kids.some((kid) => hasBit(kid.below as Bits, field))) arrays.push(array);
    if (arrays.length === 0) return false;
    if (arrays.length === 1) {
      const group = groups.get(arrays[0] as number);
      if (group) group.push(field);
      else groups.set(arrays[0] as number, [field]);
    } else ambiguous.push({ field, arrays });
  }
  const fits = (kid: ArrayElement, group: readonly number[]): boolean => group.every((field) => hasBit(kid.below as Bits, field)) && solve(kid, group, budget);
  if (ambiguous.length === 0) {
    for (const [array, group] of groups) if (!(kidsByArray.get(array) as ArrayElement[]).some((kid) => fits(kid, group))) return false;
    return true;
  }
  // A field found in several arrays of this element: the search of `ambiguous.ts`, over the
  // elements of each array that satisfy its fields found there only.
  const arrayIds = [...kidsByArray.keys()];
  const position = new Map(arrayIds.map((id, i) => [id, i]));
  const candidates: ArrayElement[][] = [];
  const fixed: number[][] = [];
  for (const id of arrayIds) {
    const group = groups.get(id) ?? [];
    const kids = kidsByArray.get(id) as ArrayElement[];
    budget.spend(kids.length);
    const kept = group.length === 0 ? kids : kids.filter((kid) => fits(kid, group));
    if (kept.length === 0 && group.length > 0) return false;
    candidates.push(kept);
    fixed.push(group);
  }
  const open = ambiguous.map(({ field, arrays }) => ({ field, arrays: arrays.map((id) => position.get(id) as number) }));
  return assignAmbiguous(candidates, fixed, open, fits, budget);
}
