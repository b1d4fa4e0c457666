/**
 * Every sub-rule of every rule compiled into one structure keyed by field path and value, as
 * event-ruler's `Machine` is: an event is read once, each leaf is looked up by its path and value
 * (exact strings, numbers, literals, prefixes and suffixes through hash maps, numeric ranges by
 * binary search; the other operators, deduplicated across rules, tested once per leaf), and only the sub-rules whose every
 * required field got a value are checked for array consistency. Rules looking at values the event
 * does not hold cost nothing per event.
 */
import { MatchBudget } from "./ambiguous.ts";
import { subRuleMatches, type FieldInput } from "./consistency.ts";
import { LeafKind, type FlatEvent, type Leaf } from "./event.ts";
import type { CompiledPattern, FieldRule } from "./matcher.ts";
import { NumericIndex } from "./numeric-index.ts";
import type { NumericRange } from "./numbers.ts";
import { matchesLeaf, type ValuePattern } from "./patterns.ts";

/** One value pattern at one path, shared by every rule that uses it. */
interface Predicate {
  readonly id: number;
  readonly pattern: ValuePattern;
}

/** The predicates of one path, split by how a leaf finds them. */
interface PathIndex {
  readonly strings: Map<string, number[]>;
  readonly literals: Map<string, number[]>;
  readonly numberTexts: Map<string, number[]>;
  /** Comparable numbers by value (`-0` kept apart from `0`, as event-ruler orders them). */
  readonly numberValues: Map<number | string, number[]>;
  /**
   * Prefixes and suffixes by length, then text: a string leaf looks up its own start (end) once
   * per distinct length, however many rules ask for a prefix (suffix) there.
   */
  readonly prefixes: Map<number, Map<string, number[]>>;
  readonly suffixes: Map<number, Map<string, number[]>>;
  /** Numeric ranges while compiling, then looked up by value through {@link numeric}. */
  readonly ranges: { readonly id: number; readonly range: NumericRange }[];
  numeric: NumericIndex | undefined;
  /** Operators tested leaf by leaf (anything-but, cidr, wildcards, ...). */
  readonly tested: Predicate[];
}

function byLength(index: Map<number, Map<string, number[]>>, text: string, id: number): void {
  let texts = index.get(text.length);
  if (!texts) index.set(text.length, (texts = new Map()));
  push(texts, text, id);
}

interface CompiledField {
  readonly path: string;
  readonly predicates: readonly number[];
  readonly allowsAbsence: boolean;
  /** Sub-rules using this field (while compiling). */
  uses: number;
  /** Sub-rules filed under this field's predicates if it were their key (while compiling). */
  cost: number;
}

interface CompiledSubRule {
  /** Position of the rule in the machine's rule list. */
  readonly rule: number;
  readonly fields: readonly CompiledField[];
}

const NO_LEAVES: readonly Leaf[] = [];

function numberKey(value: number): number | string {
  return Object.is(value, -0) ? "-0" : value;
}

/** A stable text for a value pattern, so equal patterns of different rules become one predicate. */
function patternKey(pattern: ValuePattern): string {
  return JSON.stringify(pattern, (_key, value: unknown) => {
    if (value instanceof Set) return [...(value as Set<unknown>)].sort();
    if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
    return value;
  });
}

function push<K>(map: Map<K, number[]>, key: K, id: number): void {
  const list = map.get(key);
  if (list) list.push(id);
  else map.set(key, [id]);
}

/** A compiled set of rules; rebuilt whenever the set changes. */
export class Machine {
  private readonly paths = new Map<string, PathIndex>();
  private readonly predicateIds = new Map<string, number>();
  private readonly predicateCount: number;
  /**
   * Predicate id -> the sub-rules filed under it. Each sub-rule is filed under the predicates of
   * one field that needs a value, the one shared by the fewest other sub-rules (like the first
   * transition of event-ruler's machine): it is checked only when one of them holds.
   */
  private readonly keyUsers: number[][] = [];
  private readonly subRules: CompiledSubRule[] = [];
  private readonly distinctFields: CompiledField[] = [];
  /** Sub-rules with only `exists: false` fields: checked on every event. */
  private readonly unconditional: number[] = [];

  // Per-event scratch, reset by stamping with the event's epoch instead of clearing.
  private epoch = 0;
  private readonly predicateStamp: number[] = [];
  private readonly predicateLeaves: Leaf[][] = [];
  private readonly subRuleStamp: number[] = [];
  private readonly ruleStamp: number[] = [];

  /** Every path some rule reads. */
  readonly fieldPaths: readonly string[];

  constructor(rules: readonly CompiledPattern[]) {
    rules.forEach((rule, ruleIndex) => {
      const shared = new Map<FieldRule, CompiledField>();
      for (const fields of rule.subRules) this.addSubRule(ruleIndex, fields, shared);
    });
    this.predicateCount = this.predicateIds.size;
    this.fieldPaths = [...this.paths.keys()];
    for (const index of this.paths.values()) {
      if (index.ranges.length === 0) continue;
      index.numeric = NumericIndex.build(index.ranges);
      // Deeply nested ranges: tested one by one instead.
      if (!index.numeric) for (const { id, range } of index.ranges) index.tested.push({ id, pattern: { type: "numeric", range } });
    }
    this.fileSubRules();
  }

  private addSubRule(rule: number, fields: readonly FieldRule[], shared: Map<FieldRule, CompiledField>): void {
    // `$or` expansions repeat the same few field objects across thousands of sub-rules: compile
    // each once, and fill the sub-rule with a plain loop (no closure per sub-rule).
    const compiled = new Array<CompiledField>(fields.length);
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as FieldRule;
      let known = shared.get(field);
      if (!known) {
        const predicates = [...new Set(field.patterns.map((pattern) => this.predicate(field.path, pattern)))];
        known = { path: field.path, predicates, allowsAbsence: field.allowsAbsence, uses: 0, cost: 0 };
        this.pathIndex(field.path);
        shared.set(field, known);
        this.distinctFields.push(known);
      }
      known.uses++;
      compiled[i] = known;
    }
    this.subRules.push({ rule, fields: compiled });
  }

  /** Files each sub-rule under its most selective field needing a value (see {@link keyUsers}). */
  private fileSubRules(): void {
    // Counted per distinct field, not per sub-rule: a 4,096-way `$or` has a few dozen.
    const sharing = new Array<number>(this.predicateCount).fill(0);
    for (const field of this.distinctFields) {
      if (!field.allowsAbsence) for (const id of field.predicates) sharing[id] = (sharing[id] as number) + field.uses;
    }
    for (const field of this.distinctFields) {
      let cost = 0;
      for (const id of field.predicates) cost += sharing[id] as number;
      field.cost = cost;
    }
    for (let id = 0; id < this.predicateCount; id++) this.keyUsers.push([]);
    const { subRules } = this;
    for (let index = 0; index < subRules.length; index++) {
      const { fields } = subRules[index] as CompiledSubRule;
      let key: CompiledField | undefined;
      for (const field of fields) if (!field.allowsAbsence && (key === undefined || field.cost < key.cost)) key = field;
      if (key === undefined) this.unconditional.push(index);
      else for (const id of key.predicates) (this.keyUsers[id] as number[]).push(index);
    }
  }

  private pathIndex(path: string): PathIndex {
    let index = this.paths.get(path);
    if (!index) {
      index = { strings: new Map(), literals: new Map(), numberTexts: new Map(), numberValues: new Map(), prefixes: new Map(), suffixes: new Map(), ranges: [], numeric: undefined, tested: [] };
      this.paths.set(path, index);
    }
    return index;
  }

  private predicate(path: string, pattern: ValuePattern): number {
    const key = `${path}\u0000${patternKey(pattern)}`;
    const known = this.predicateIds.get(key);
    if (known !== undefined) return known;
    const id = this.predicateIds.size;
    this.predicateIds.set(key, id);
    const index = this.pathIndex(path);
    switch (pattern.type) {
      case "exact-string":
        push(index.strings, pattern.value, id);
        break;
      case "exact-literal":
        push(index.literals, pattern.text, id);
        break;
      case "exact-number":
        push(index.numberTexts, pattern.text, id);
        if (pattern.value !== undefined) push(index.numberValues, numberKey(pattern.value), id);
        break;
      case "prefix":
        byLength(index.prefixes, pattern.value, id);
        break;
      case "suffix":
        byLength(index.suffixes, pattern.value, id);
        break;
      case "numeric":
        index.ranges.push({ id, range: pattern.range });
        break;
      default:
        index.tested.push({ id, pattern });
    }
    return id;
  }

  /** Positions (in the order given to the constructor) of the rules the event matches, ascending. */
  match(event: FlatEvent): number[] {
    const epoch = ++this.epoch;
    const satisfied: number[] = [];
    for (const [path, leaves] of event) {
      const index = this.paths.get(path);
      if (index) for (const leaf of leaves) this.lookUp(index, leaf, epoch, satisfied);
    }
    const candidates: number[] = [];
    const { keyUsers, subRuleStamp, subRules } = this;
    for (const id of satisfied) {
      for (const subRule of keyUsers[id] as number[]) {
        if (subRuleStamp[subRule] === epoch) continue;
        subRuleStamp[subRule] = epoch;
        candidates.push(subRule);
      }
    }
    const matched: number[] = [];
    // One allowance for the whole event, however many rules search (see ambiguous.ts).
    const budget = new MatchBudget();
    for (const list of [candidates, this.unconditional]) {
      for (const index of list) {
        const subRule = subRules[index] as CompiledSubRule;
        if (this.ruleStamp[subRule.rule] === epoch) continue;
        if (this.subRuleHolds(subRule, event, epoch, budget)) {
          this.ruleStamp[subRule.rule] = epoch;
          matched.push(subRule.rule);
        }
      }
    }
    return matched.sort((a, b) => a - b);
  }

  private subRuleHolds(subRule: CompiledSubRule, event: FlatEvent, epoch: number, budget: MatchBudget): boolean {
    // Most candidates fail on a field none of whose values the event holds: found without
    // allocating anything (a 4,096-way `$or` makes thousands of such candidates).
    for (const field of subRule.fields) {
      if (field.allowsAbsence) continue;
      let held = false;
      for (const id of field.predicates) if (this.predicateStamp[id] === epoch) held = true;
      if (!held) return false;
    }
    const inputs: FieldInput[] = [];
    for (const field of subRule.fields) {
      const input = this.input(field, event, epoch);
      // Most candidates fail here, on a field none of whose values the event holds.
      if (input.candidates.length === 0 && !field.allowsAbsence) return false;
      inputs.push(input);
    }
    return subRuleMatches(inputs, budget);
  }

  private lookUp(index: PathIndex, leaf: Leaf, epoch: number, satisfied: number[]): void {
    let ids: number[] | undefined;
    if (leaf.kind === LeafKind.String) {
      ids = index.strings.get(leaf.text);
      if (index.prefixes.size > 0 || index.suffixes.size > 0) this.lookUpAffixes(index, leaf, epoch, satisfied);
    }
    else if (leaf.kind === LeafKind.Literal) ids = index.literals.get(leaf.text);
    else {
      ids = index.numberTexts.get(leaf.text);
      if (index.numberValues.size > 0 || index.numeric) {
        const value = leaf.number;
        if (value !== null) {
          const byValue = index.numberValues.get(numberKey(value));
          if (byValue) for (const id of byValue) this.record(id, leaf, epoch, satisfied);
          if (index.numeric) for (const id of index.numeric.covering(value)) this.record(id, leaf, epoch, satisfied);
        }
      }
    }
    if (ids) for (const id of ids) this.record(id, leaf, epoch, satisfied);
    for (const { id, pattern } of index.tested) if (matchesLeaf(pattern, leaf)) this.record(id, leaf, epoch, satisfied);
  }

  private lookUpAffixes(index: PathIndex, leaf: Leaf, epoch: number, satisfied: number[]): void {
    const { text } = leaf;
    for (const [length, texts] of index.prefixes) {
      if (length > text.length) continue;
      const ids = texts.get(text.slice(0, length));
      if (ids) for (const id of ids) this.record(id, leaf, epoch, satisfied);
    }
    for (const [length, texts] of index.suffixes) {
      if (length > text.length) continue;
      const ids = texts.get(text.slice(text.length - length));
      if (ids) for (const id of ids) this.record(id, leaf, epoch, satisfied);
    }
  }

  private record(id: number, leaf: Leaf, epoch: number, satisfied: number[]): void {
    if (this.predicateStamp[id] !== epoch) {
      this.predicateStamp[id] = epoch;
      this.predicateLeaves[id] = [leaf];
      satisfied.push(id);
      return;
    }
    const leaves = this.predicateLeaves[id] as Leaf[];
    // A number can match one predicate both by text and by value.
    if (leaves[leaves.length - 1] !== leaf) leaves.push(leaf);
  }

  private input(field: CompiledField, event: FlatEvent, epoch: number): FieldInput {
    let candidates: readonly Leaf[] = NO_LEAVES;
    for (const id of field.predicates) {
      if (this.predicateStamp[id] !== epoch) continue;
      const leaves = this.predicateLeaves[id] as Leaf[];
      candidates = candidates === NO_LEAVES ? leaves : [...new Set([...candidates, ...leaves])];
    }
    return field.allowsAbsence ? { candidates, allLeaves: event.get(field.path) ?? NO_LEAVES } : { candidates };
  }

  /** Number of distinct value patterns (for tests and diagnostics). */
  get size(): number {
    return this.predicateCount;
  }
}
