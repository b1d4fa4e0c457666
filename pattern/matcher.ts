/**
 * A compiled pattern and the array-consistent search that matches it against a flattened event.
 */
import { compileSubRules, type SubRule } from "./compiler.ts";
import { DEFAULT_MAX_WILDCARD_COMPLEXITY, wildcardComplexity, type WildcardGroup } from "./complexity.ts";
import { InvalidEventPatternError } from "./errors.ts";
import type { FlatEvent, Leaf, Membership } from "./event.ts";
import { matchesLeaf, type ValuePattern } from "./patterns.ts";

/** EventBridge's default "Event pattern size" quota, in characters. */
export const DEFAULT_MAX_PATTERN_BYTES = 2048;

const TOO_COMPLEX =
  "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character";

/** Options of {@link compilePattern}. */
export interface PatternOptions {
  /**
   * Largest accepted pattern, in UTF-8 bytes (default 2048, EventBridge's default quota, which
   * can be raised to 4096). AWS counts characters; bytes are never fewer, so a pattern accepted
   * here also fits AWS.
   */
  readonly maxPatternBytes?: number;
  /** Largest accepted wildcard complexity (default 10, EventBridge's cap). */
  readonly maxWildcardComplexity?: number;
}

/** One field of a sub-rule: where to look and what the values there must satisfy. */
export interface FieldRule {
  readonly path: string;
  readonly patterns: readonly ValuePattern[];
  /** The field also matches when absent (`exists: false` among its patterns). */
  readonly allowsAbsence: boolean;
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** event-ruler walks a rule's fields in sorted key order; `exists: false` depends on that order. */
function toFieldRules(subRule: SubRule): FieldRule[] {
  return [...subRule.entries()]
    .sort(([a], [b]) => byCodeUnits(a, b))
    .map(([path, patterns]) => ({
      path,
      patterns: patterns.filter((pattern) => !(pattern.type === "exists" && !pattern.present)),
      allowsAbsence: patterns.some((pattern) => pattern.type === "exists" && !pattern.present),
    }));
}

/** Whether `arrays` can join `sofar`: no array may be entered at two different elements. */
function consistent(sofar: Membership, arrays: Membership): boolean {
  for (let i = 0; i < arrays.length; i += 2) {
    for (let j = 0; j < sofar.length; j += 2) {
      if (sofar[j] === arrays[i] && sofar[j + 1] !== arrays[i + 1]) return false;
    }
  }
  return true;
}

function join(sofar: Membership, arrays: Membership): Membership {
  if (arrays.length === 0) return sofar;
  if (sofar.length === 0) return arrays;
  const joined = [...sofar];
  for (let i = 0; i < arrays.length; i += 2) {
    if (!joined.some((id, j) => j % 2 === 0 && id === arrays[i])) joined.push(arrays[i] as number, arrays[i + 1] as number);
  }
  return joined;
}

const NO_LEAVES: readonly Leaf[] = [];

/**
 * Depth-first search for one leaf per field (or a permitted absence) such that all chosen leaves
 * are array-consistent. An absent field only counts as present when some leaf of it is consistent
 * with the leaves chosen for earlier fields, as in event-ruler's `NameState.getNameTransitions`.
 */
function matchFrom(fields: readonly FieldRule[], index: number, event: FlatEvent, sofar: Membership): boolean {
  const field = fields[index];
  if (!field) return true;
  const leaves = event.get(field.path) ?? NO_LEAVES;
  if (field.allowsAbsence && !leaves.some((leaf) => consistent(sofar, leaf.arrays))) {
    if (matchFrom(fields, index + 1, event, sofar)) return true;
  }
  for (const leaf of leaves) {
    if (!consistent(sofar, leaf.arrays)) continue;
    if (!field.patterns.some((pattern) => matchesLeaf(pattern, leaf))) continue;
    if (matchFrom(fields, index + 1, event, join(sofar, leaf.arrays))) return true;
  }
  return false;
}

/** A validated pattern: a rule matches when any of its sub-rules (its `$or` branches) does. */
export class CompiledPattern {
  /** Every path the pattern looks at. */
  readonly paths: readonly string[];

  constructor(readonly subRules: readonly (readonly FieldRule[])[]) {
    this.paths = [...new Set(subRules.flatMap((fields) => fields.map((field) => field.path)))];
  }

  matchesFlat(event: FlatEvent): boolean {
    return this.subRules.some((fields) => matchFrom(fields, 0, event, []));
  }
}

function wildcardGroups(patterns: readonly ValuePattern[]): WildcardGroup[] {
  return patterns.flatMap((pattern) => {
    if (pattern.type === "wildcard") return [[pattern.value]];
    if (pattern.type === "anything-but-wildcard") return [pattern.values];
    return [];
  });
}

/**
 * Rejects rules EventBridge finds too complex. Sub-rules that share a path share its byte machine
 * in event-ruler, so the wildcards of a path are evaluated together.
 */
function checkComplexity(subRules: readonly (readonly FieldRule[])[], limit: number): void {
  const byPath = new Map<string, WildcardGroup[]>();
  for (const fields of subRules) {
    for (const field of fields) {
      const groups = wildcardGroups(field.patterns);
      if (groups.length > 0) byPath.set(field.path, [...(byPath.get(field.path) ?? []), ...groups]);
    }
  }
  for (const groups of byPath.values()) {
    if (wildcardComplexity(groups, limit) > limit) throw new InvalidEventPatternError(TOO_COMPLEX);
  }
}

/**
 * Validates and compiles a pattern. Throws {@link InvalidEventPatternError} with event-ruler's
 * reason when EventBridge would reject it.
 */
export function compileRule(source: string, options: PatternOptions = {}): CompiledPattern {
  const maxBytes = options.maxPatternBytes ?? DEFAULT_MAX_PATTERN_BYTES;
  const size = Buffer.byteLength(source, "utf8");
  if (size > maxBytes) {
    throw new InvalidEventPatternError(`Event pattern is ${size} bytes long, over the limit of ${maxBytes}`);
  }
  const fieldRules = compileSubRules(source).map(toFieldRules);
  checkComplexity(fieldRules, options.maxWildcardComplexity ?? DEFAULT_MAX_WILDCARD_COMPLEXITY);
  return new CompiledPattern(fieldRules);
}
