/**
 * Event pattern compilation, token by token as event-ruler does it.
 *
 * event-ruler's `Machine.addRule` first tries `JsonRuleCompiler` (the current dialect, which knows
 * `$or` and the newer `anything-but` forms) and, if that throws a parse error, compiles the rule
 * again with the older `RuleCompiler`. That fallback is why `$or` with fewer than two objects is
 * read as a plain field name, and why a pattern both compilers reject is reported with the older
 * compiler's message. Errors that are not parse errors (a bad `cidr`, an incomparable
 * `anything-but` number) end compilation at once, without the fallback.
 *
 * This module reads the pattern's structure (objects, `$or`s, fields) into sub-rules; a field's
 * values are read by `compile-values.ts` (and `compile-anything-but.ts`), through the token cursor
 * and the failure kinds of `compile-cursor.ts`.
 */
import { InvalidEventPatternError } from "./errors.ts";
import { Tok } from "./json-reader.ts";
import type { ValuePattern } from "./patterns.ts";
import { FatalPatternError, fail, isParseFailure, PatternCursor, type Dialect } from "./compile-cursor.ts";
import { matchValue } from "./compile-values.ts";

/** One field of a sub-rule: a dotted path and the value patterns allowed there. */
export interface SubRuleField {
  readonly path: string;
  readonly values: readonly ValuePattern[];
}

/**
 * One alternative of a rule (a branch of its `$or`s): its fields, one per path. A list rather
 * than a map: a 4,096-way `$or` makes as many sub-rules, and a map each cost more than the rest
 * of the compilation.
 */
export type SubRule = readonly SubRuleField[];

/**
 * A sub-rule while compiling: its field assignments as a list sharing its tail with the
 * sub-rules it was forked from, so forking at a `$or` costs O(1) instead of a map copy. The
 * newest assignment of a path wins, as a Java map `put` does.
 */
interface Assignment extends SubRuleField {
  readonly previous: Assignment | null;
}

/** Sub-rules being built; an entry is `null` for a sub-rule with no field yet. */
type Building = (Assignment | null)[];

function materialise(assignments: Assignment | null): SubRule {
  const fields: Assignment[] = [];
  // Sub-rules have a few fields: a scan finds a repeated path faster than a set would.
  let taken: Set<string> | undefined;
  for (let node = assignments; node; node = node.previous) {
    if (taken === undefined && fields.length >= 16) taken = new Set(fields.map((field) => field.path));
    if (taken ? taken.has(node.path) : fields.some((field) => field.path === node.path)) continue;
    taken?.add(node.path);
    fields.push(node);
  }
  return fields;
}

/** {@link materialise} when no path was written twice in the whole pattern: nothing to drop. */
function unique(assignments: Assignment | null): SubRule {
  const fields: Assignment[] = [];
  for (let node = assignments; node; node = node.previous) fields.push(node);
  return fields;
}

const OR = "$or";

/** Keys that may not appear inside a `$or` branch (event-ruler's reserved field names). */
const RESERVED_IN_OR = new Set([
  "exactly",
  "equals-ignore-case",
  "prefix",
  "suffix",
  "anything-but",
  "exists",
  "wildcard",
  "numeric",
  "cidr",
  "html",
  "=",
  "<",
  "<=",
  ">",
  ">=",
  "regex",
  "not-wildcard",
  "not-equals-ignore-case",
  "date-after",
  "date-on-or-after",
  "date-before",
  "date-on-or-before",
  "in-date-range",
  "ip-address-in-range",
  "ip-address-not-in-range",
]);

/**
 * Most alternatives (sub-rules) a pattern may expand to through its `$or`s. event-ruler expands
 * every combination eagerly and sets no limit of its own (`JsonRuleCompiler.parseIntoOrRelationship`
 * copies the sub-rules so far for each branch), so 17 two-way `$or`s already make 131,072
 * sub-rules; EventBridge's service-side limit is not documented. paybus refuses past this many,
 * which keeps compile time and memory bounded whatever the pattern.
 */
export const MAX_SUB_RULES = 4096;

/** Most fields one sub-rule may have (event-ruler's `GenericMachine.MAXIMUM_RULE_SIZE`). */
export const MAX_RULE_FIELDS = 256;

export function tooManySubRules(): string {
  return `Rule is too complex - its $or relationships expand to more than ${MAX_SUB_RULES} combinations`;
}

/** event-ruler's compilers: the pattern's structure (objects, `$or`s, fields), in one dialect. */
class RuleCompiler {
  private readonly cursor: PatternCursor;
  private readonly path: string[] = [];
  /** Paths written so far, and whether one was written twice (only then can a sub-rule repeat one). */
  private readonly written = new Set<string>();
  private repeated = false;

  constructor(source: string, dialect: Dialect) {
    this.cursor = new PatternCursor(source, dialect);
  }

  compile(): SubRule[] {
    const rules: Building = [];
    if (this.next() !== Tok.StartObject) fail("Filter is not an object");
    this.parseObject(rules, false);
    return rules.map(this.repeated ? materialise : unique);
  }

  private next(): Tok | null {
    return this.cursor.next();
  }

  private parseObject(rules: Building, insideOr: boolean): void {
    let fieldsPresent = false;
    while (this.next() !== Tok.EndObject) {
      fieldsPresent = true;
      const name = this.cursor.reader.fieldName;
      if (name === OR && this.cursor.dialect === "current") {
        this.parseOr(rules);
        continue;
      }
      if (insideOr && RESERVED_IN_OR.has(name)) {
        fail(`${name} is Ruler reserved fieldName which cannot be used inside ${OR}.`);
      }
      const tok = this.next();
      if (tok === Tok.StartObject) {
        this.path.push(name);
        this.parseObject(rules, insideOr);
        this.path.pop();
      } else if (tok === Tok.StartArray) {
        this.writeRules(rules, [...this.path, name].join("."));
      } else {
        fail(`"${name}" must be an object or an array`);
      }
    }
    if (!fieldsPresent) fail("Empty objects are not allowed");
  }

  /** Each object of a `$or` forks the rules parsed so far; fields after it join every fork. */
  private parseOr(rules: Building): void {
    const before = rules.slice();
    rules.length = 0;
    if (this.next() !== Tok.StartArray) fail(`It must be an Array followed with ${OR}.`);
    let branches = 0;
    for (let tok = this.next(); tok !== Tok.EndArray; tok = this.next()) {
      branches++;
      if (tok !== Tok.StartObject) fail(`Only JSON object is allowed in array of ${OR} relationship.`);
      // Checked before copying, so an explosive pattern fails before it costs memory.
      if (rules.length + Math.max(before.length, 1) > MAX_SUB_RULES) throw new FatalPatternError(tooManySubRules());
      const fork: Building = before.length > 0 ? before.slice() : [null];
      this.parseObject(fork, true);
      if (rules.length + fork.length > MAX_SUB_RULES) throw new FatalPatternError(tooManySubRules());
      for (const rule of fork) rules.push(rule);
    }
    if (branches < 2) fail(`There must have at least 2 Objects in ${OR} relationship.`);
  }

  private writeRules(rules: Building, name: string): void {
    const values: ValuePattern[] = [];
    for (let tok = this.next(); tok !== Tok.EndArray; tok = this.next()) {
      values.push(matchValue(this.cursor, tok));
    }
    if (values.length === 0) fail("Empty arrays are not allowed");
    if (rules.length === 0) rules.push(null);
    // A repeated path replaces the earlier one, as a Java map put does (see materialise).
    if (this.written.has(name)) this.repeated = true;
    else this.written.add(name);
    for (let i = 0; i < rules.length; i++) rules[i] = { path: name, values, previous: rules[i] as Assignment | null };
  }
}

/**
 * Compiles a pattern into its sub-rules, or throws {@link InvalidEventPatternError} with
 * event-ruler's reason.
 */
export function compileSubRules(source: string): SubRule[] {
  try {
    try {
      return new RuleCompiler(source, "current").compile();
    } catch (error) {
      if (!isParseFailure(error)) throw error;
    }
    return new RuleCompiler(source, "legacy").compile();
  } catch (error) {
    if (isParseFailure(error) || error instanceof FatalPatternError) throw new InvalidEventPatternError(error.message);
    throw error;
  }
}
