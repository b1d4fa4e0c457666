/**
 * A compiled pattern, matched sub-rule by sub-rule against a flattened event.
 */
import { compileSubRules, type SubRule } from "./compiler.ts";
import { DEFAULT_MAX_WILDCARD_COMPLEXITY, wildcardComplexity, type WildcardGroup } from "./complexity.ts";
import { InvalidEventPatternError } from "./errors.ts";
import { subRuleMatches, type FieldInput } from "./consistency.ts";
import type { FlatEvent, Leaf } from "./event.ts";
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

const NO_LEAVES: readonly Leaf[] = [];

/** The inputs of {@link subRuleMatches} for one sub-rule, read straight from the event. */
export function fieldInputs(fields: readonly FieldRule[], event: FlatEvent): FieldInput[] {
  return fields.map((field) => {
    const leaves = event.get(field.path) ?? NO_LEAVES;
    const candidates = field.patterns.length === 0 ? NO_LEAVES : leaves.filter((leaf) => field.patterns.some((pattern) => matchesLeaf(pattern, leaf)));
    return field.allowsAbsence ? { candidates, allLeaves: leaves } : { candidates };
  });
}

/** A validated pattern: a rule matches when any of its sub-rules (its `$or` branches) does. */
export class CompiledPattern {
  /** Every path the pattern looks at. */
  readonly paths: readonly string[];

  constructor(readonly subRules: readonly (readonly FieldRule[])[]) {
    this.paths = [...new Set(subRules.flatMap((fields) => fields.map((field) => field.path)))];
  }

  matchesFlat(event: FlatEvent): boolean {
    return this.subRules.some((fields) => subRuleMatches(fieldInputs(fields, event)));
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
