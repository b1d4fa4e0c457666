/**
 * A compiled pattern, matched sub-rule by sub-rule against a flattened event.
 */
import { compileSubRules, MAX_RULE_FIELDS, type SubRule, type SubRuleField } from "./compiler.ts";
import { DEFAULT_MAX_WILDCARD_COMPLEXITY, wildcardComplexity, type WildcardGroup } from "./complexity.ts";
import { InvalidEventPatternError } from "./errors.ts";
import { MatchBudget } from "./ambiguous.ts";
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
  /** Name used in event-ruler's "Size of rule '<name>'" message (default `pattern`). */
  readonly ruleName?: string;
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

/** A field rule with its path's place in the sorted order of the rule's paths (set once all are known). */
interface OrderedFieldRule extends FieldRule {
  order: number;
}

/**
 * event-ruler walks a rule's fields in sorted key order; `exists: false` depends on that order.
 * `$or` branches share their value lists, so one field object is made per list, and the paths
 * are sorted once per rule rather than once per sub-rule (a 4,096-way `$or` repeats a few dozen).
 */
function toFieldRules(subRules: readonly SubRule[]): FieldRule[][] {
  const shared = new Map<readonly ValuePattern[], OrderedFieldRule>();
  const distinct: OrderedFieldRule[] = [];
  const lists = subRules.map((subRule) => {
    const fields = new Array<OrderedFieldRule>(subRule.length);
    for (let i = 0; i < subRule.length; i++) {
      const { path, values } = subRule[i] as SubRuleField;
      let field = shared.get(values);
      if (!field || field.path !== path) {
        field = {
          path,
          patterns: values.filter((pattern) => !(pattern.type === "exists" && !pattern.present)),
          allowsAbsence: values.some((pattern) => pattern.type === "exists" && !pattern.present),
          order: 0,
        };
        shared.set(values, field);
        distinct.push(field);
      }
      fields[i] = field;
    }
    return fields;
  });
  const paths = [...new Set(distinct.map((field) => field.path))].sort(byCodeUnits);
  const order = new Map(paths.map((path, i) => [path, i]));
  for (const field of distinct) field.order = order.get(field.path) as number;
  for (const fields of lists) fields.sort((a, b) => a.order - b.order);
  return lists;
}

const NO_LEAVES: readonly Leaf[] = [];

/** What {@link subRuleMatches} needs to know about one field, read straight from the event. */
export function fieldInput(field: FieldRule, event: FlatEvent): FieldInput {
  const leaves = event.get(field.path) ?? NO_LEAVES;
  const candidates = field.patterns.length === 0 ? NO_LEAVES : leaves.filter((leaf) => field.patterns.some((pattern) => matchesLeaf(pattern, leaf)));
  return field.allowsAbsence ? { candidates, allLeaves: leaves } : { candidates };
}

/** A validated pattern: a rule matches when any of its sub-rules (its `$or` branches) does. */
export class CompiledPattern {
  /** Every path the pattern looks at. */
  readonly paths: readonly string[];

  constructor(readonly subRules: readonly (readonly FieldRule[])[]) {
    const paths = new Set<string>();
    for (const fields of subRules) for (const field of fields) paths.add(field.path);
    this.paths = [...paths];
  }

  matchesFlat(event: FlatEvent): boolean {
    // Sub-rules from `$or` branches share field objects: read each field from the event once.
    const inputs = new Map<FieldRule, FieldInput>();
    const input = (field: FieldRule): FieldInput => {
      let known = inputs.get(field);
      if (!known) inputs.set(field, (known = fieldInput(field, event)));
      return known;
    };
    const budget = new MatchBudget();
    return this.subRules.some((fields) => subRuleMatches(fields.map(input), budget));
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
  // The same pattern repeated in several sub-rules is one pattern of the shared byte machine.
  const byPath = new Map<string, Map<string, WildcardGroup>>();
  const seen = new Set<FieldRule>();
  for (const fields of subRules) {
    for (const field of fields) {
      if (seen.has(field)) continue;
      seen.add(field);
      for (const group of wildcardGroups(field.patterns)) {
        let groups = byPath.get(field.path);
        if (!groups) byPath.set(field.path, (groups = new Map()));
        groups.set(JSON.stringify(group), group);
      }
    }
  }
  for (const groups of byPath.values()) {
    if (wildcardComplexity([...groups.values()], limit) > limit) throw new InvalidEventPatternError(TOO_COMPLEX);
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
  const subRules = compileSubRules(source);
  if (subRules.some((subRule) => subRule.length > MAX_RULE_FIELDS)) {
    throw new InvalidEventPatternError(`Size of rule '${options.ruleName ?? "pattern"}' exceeds max value of ${MAX_RULE_FIELDS}`);
  }
  const fieldRules = toFieldRules(subRules);
  checkComplexity(fieldRules, options.maxWildcardComplexity ?? DEFAULT_MAX_WILDCARD_COMPLEXITY);
  return new CompiledPattern(fieldRules);
}
