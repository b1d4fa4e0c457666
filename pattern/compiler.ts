/**
 * Event pattern compilation, token by token as event-ruler does it.
 *
 * event-ruler's `Machine.addRule` first tries `JsonRuleCompiler` (the current dialect, which knows
 * `$or` and the newer `anything-but` forms) and, if that throws a parse error, compiles the rule
 * again with the older `RuleCompiler`. That fallback is why `$or` with fewer than two objects is
 * read as a plain field name, and why a pattern both compilers reject is reported with the older
 * compiler's message. Errors that are not parse errors (a bad `cidr`, an incomparable
 * `anything-but` number) end compilation at once, without the fallback.
 */
import { InvalidEventPatternError, JsonSyntaxError } from "./errors.ts";
import { cidrRange, CidrError, ipExactRange } from "./ip.ts";
import { JsonTokenReader, Tok } from "./json-reader.ts";
import { comparableValue, compareDoubles, notComparableReason, type NumericRange } from "./numbers.ts";
import type { ValuePattern } from "./patterns.ts";
import { caseless, parseWildcard, WildcardError, type Wildcard } from "./text-match.ts";

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

type Dialect = "current" | "legacy";

/** A parse error in event-ruler's sense (`JsonParseException`): the legacy compiler gets a go. */
class ParseError extends Error {
  override readonly name = "ParseError";
}

/** An error event-ruler raises outside the parser (`IllegalArgumentException`): final. */
class FatalPatternError extends Error {
  override readonly name = "FatalPatternError";
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

const ONE_KEY = "Only one key allowed in match expression";
const TOO_MANY = "Too many elements in numeric expression";

type SetKind = "prefix" | "suffix" | "equals-ignore-case" | "wildcard";

function fail(message: string): never {
  throw new ParseError(message);
}

function isNumber(tok: Tok | null): boolean {
  return tok === Tok.Number;
}

function wildcardOrFail(value: string): Wildcard {
  try {
    return parseWildcard(value);
  } catch (error) {
    if (error instanceof WildcardError) fail(error.message);
    throw error;
  }
}

/** The double for a pattern number, or event-ruler's "Cannot compare number" error. */
function comparableOrThrow(literal: string): number {
  const value = comparableValue(literal);
  if (value === undefined) throw new FatalPatternError(notComparableReason(literal));
  return value;
}

function range(bottom: number, openBottom: boolean, top: number, openTop: boolean): NumericRange {
  if (compareDoubles(bottom, top) >= 0) throw new FatalPatternError("Bottom must be less than top");
  return { bottom, openBottom, top, openTop };
}

class RuleCompiler {
  private readonly reader: JsonTokenReader;
  private readonly path: string[] = [];
  /** Paths written so far, and whether one was written twice (only then can a sub-rule repeat one). */
  private readonly written = new Set<string>();
  private repeated = false;

  constructor(
    source: string,
    private readonly dialect: Dialect,
  ) {
    this.reader = new JsonTokenReader(source);
  }

  compile(): SubRule[] {
    const rules: Building = [];
    if (this.next() !== Tok.StartObject) fail("Filter is not an object");
    this.parseObject(rules, false);
    return rules.map(this.repeated ? materialise : unique);
  }

  private next(): Tok | null {
    return this.reader.next();
  }

  /** What Jackson's `getText()` returns for the current token. */
  private tokenText(tok: Tok | null): string {
    switch (tok) {
      case Tok.StartObject:
        return "{";
      case Tok.EndObject:
        return "}";
      case Tok.StartArray:
        return "[";
      case Tok.EndArray:
        return "]";
      case Tok.FieldName:
        return this.reader.fieldName;
      case null:
        return "null";
      default:
        return this.reader.text;
    }
  }

  private expectEndObject(message: string): void {
    if (this.next() !== Tok.EndObject) fail(message);
  }

  private parseObject(rules: Building, insideOr: boolean): void {
    let fieldsPresent = false;
    while (this.next() !== Tok.EndObject) {
      fieldsPresent = true;
      const name = this.reader.fieldName;
      if (name === OR && this.dialect === "current") {
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
      values.push(this.matchValue(tok));
    }
    if (values.length === 0) fail("Empty arrays are not allowed");
    if (rules.length === 0) rules.push(null);
    // A repeated path replaces the earlier one, as a Java map put does (see materialise).
    if (this.written.has(name)) this.repeated = true;
    else this.written.add(name);
    for (let i = 0; i < rules.length; i++) rules[i] = { path: name, values, previous: rules[i] as Assignment | null };
  }

  private matchValue(tok: Tok | null): ValuePattern {
    const { text } = this.reader;
    switch (tok) {
      case Tok.StartObject:
        return this.matchExpression();
      case Tok.String: {
        const ip = ipExactRange(text);
        return ip ? { type: "ip-range", range: ip } : { type: "exact-string", value: text };
      }
      case Tok.Number:
        return { type: "exact-number", text, value: comparableValue(text) };
      case Tok.True:
      case Tok.False:
      case Tok.Null:
        return { type: "exact-literal", text: text as "true" | "false" | "null" };
      default:
        return fail("Match value must be String, number, true, false, or null");
    }
  }

  private stringOperand(message: string): string {
    if (this.next() !== Tok.String) fail(message);
    return this.reader.text;
  }

  private matchExpression(): ValuePattern {
    if (this.next() !== Tok.FieldName) fail("Match expression name not found");
    const type = this.reader.fieldName;
    switch (type) {
      case "exactly": {
        const value = this.stringOperand("exact match pattern must be a string");
        this.expectEndObject(ONE_KEY);
        return { type: "exact-string", value };
      }
      case "prefix":
      case "suffix":
        return this.affixExpression(type);
      case "numeric": {
        if (this.next() !== Tok.StartArray) fail("Value of numeric must be an array.");
        const pattern = this.numericExpression();
        this.expectEndObject(TOO_MANY);
        return pattern;
      }
      case "anything-but":
        return this.dialect === "current" ? this.anythingBut() : this.legacyAnythingBut();
      case "exists":
        return this.existsExpression();
      case "cidr": {
        const value = this.stringOperand("prefix match pattern must be a string");
        const pattern = this.cidr(value);
        this.expectEndObject(ONE_KEY);
        return pattern;
      }
      case "equals-ignore-case": {
        const value = this.stringOperand("equals-ignore-case match pattern must be a string");
        this.expectEndObject(ONE_KEY);
        return { type: "equals-ignore-case", value: caseless(value) };
      }
      case "wildcard": {
        const value = wildcardOrFail(this.stringOperand("wildcard match pattern must be a string"));
        this.expectEndObject(ONE_KEY);
        return { type: "wildcard", value };
      }
      default:
        return fail(`Unrecognized match type ${type}`);
    }
  }

  private cidr(value: string): ValuePattern {
    try {
      return { type: "ip-range", range: cidrRange(value) };
    } catch (error) {
      if (error instanceof CidrError) throw new FatalPatternError(error.message);
      throw error;
    }
  }

  /** `prefix` / `suffix`, with or without a nested `equals-ignore-case`. */
  private affixExpression(type: "prefix" | "suffix"): ValuePattern {
    const tok = this.next();
    if (tok === Tok.StartObject) {
      const capitalised = type === "prefix" ? "Prefix" : "Suffix";
      if (this.next() !== Tok.FieldName) fail(`${capitalised} expression name not found`);
      const operator = this.reader.fieldName;
      if (operator !== "equals-ignore-case") fail(`Unsupported ${type} pattern: ${operator}`);
      const value = this.stringOperand("equals-ignore-case match pattern must be a string");
      this.expectEndObject(ONE_KEY);
      this.expectEndObject(ONE_KEY);
      return { type: `${type}-ignore-case`, value: caseless(value) };
    }
    if (tok !== Tok.String) fail(`${type} match pattern must be a string`);
    const value = this.reader.text;
    this.expectEndObject(ONE_KEY);
    return { type, value };
  }

  private existsExpression(): ValuePattern {
    const tok = this.next();
    if (tok !== Tok.True && tok !== Tok.False) fail("exists match pattern must be either true or false.");
    this.expectEndObject(ONE_KEY);
    return { type: "exists", present: tok === Tok.True };
  }

  private numericExpression(): ValuePattern {
    let tok = this.next();
    if (tok !== Tok.String) fail(`Invalid member in numeric match: ${this.tokenText(tok)}`);
    const operator = this.reader.text;
    tok = this.next();
    const operand = (): string => {
      if (!isNumber(tok)) fail(`Value of ${operator === "=" ? "equals" : operator} must be numeric`);
      return this.reader.text;
    };
    try {
      switch (operator) {
        case "=": {
          const value = operand();
          if (this.next() !== Tok.EndArray) fail(TOO_MANY);
          const exact = comparableOrThrow(value);
          return { type: "numeric", range: { bottom: exact, openBottom: false, top: exact, openTop: false } };
        }
        case ">=":
        case ">": {
          const bottom = operand();
          const after = this.next();
          const openBottom = operator === ">";
          if (after === Tok.EndArray) {
            return { type: "numeric", range: range(comparableOrThrow(bottom), openBottom, Infinity, false) };
          }
          return this.numericRangeTop(after, bottom, openBottom);
        }
        case "<=":
        case "<": {
          const top = operand();
          if (this.next() !== Tok.EndArray) fail(TOO_MANY);
          return { type: "numeric", range: range(-Infinity, false, comparableOrThrow(top), operator === "<") };
        }
        default:
          return fail(`Unrecognized numeric range operator: ${operator}`);
      }
    } catch (error) {
      // event-ruler turns these IllegalArgumentExceptions into parse errors here.
      if (error instanceof FatalPatternError) fail(error.message);
      throw error;
    }
  }

  private numericRangeTop(tok: Tok | null, bottom: string, openBottom: boolean): ValuePattern {
    if (tok !== Tok.String) fail(`Bad value in numeric range: ${this.tokenText(tok)}`);
    const operator = this.reader.text;
    if (operator !== "<" && operator !== "<=") fail(`Bad numeric range operator: ${operator}`);
    if (!isNumber(this.next())) fail(`Value of ${operator} must be numeric`);
    const top = this.reader.text;
    if (this.next() !== Tok.EndArray) fail("Too many terms in numeric range expression");
    return {
      type: "numeric",
      range: range(comparableOrThrow(bottom), openBottom, comparableOrThrow(top), operator === "<"),
    };
  }

  /** `JsonRuleCompiler`'s anything-but: a value or list, optionally under prefix/suffix/ignore-case/wildcard. */
  private anythingBut(): ValuePattern {
    let kind: SetKind | undefined;
    let tok = this.next();
    if (tok === Tok.StartObject) {
      if (this.next() !== Tok.FieldName) fail("Anything-But expression name not found");
      const operator = this.reader.fieldName;
      if (!["prefix", "suffix", "equals-ignore-case", "wildcard"].includes(operator)) {
        fail(`Unsupported anything-but pattern: ${operator}`);
      }
      kind = operator as SetKind;
      tok = this.next();
    }
    const pattern = kind === undefined ? this.anythingButValues(tok) : this.anythingButSet(tok, kind);
    this.expectEndObject(TOO_MANY);
    if (kind !== undefined) this.expectEndObject(TOO_MANY);
    return pattern;
  }

  /** `RuleCompiler`'s older anything-but: prefix/suffix take one string, no wildcard. */
  private legacyAnythingBut(): ValuePattern {
    let ignoreCase = false;
    let tok = this.next();
    if (tok === Tok.StartObject) {
      if (this.next() !== Tok.FieldName) fail("Anything-But expression name not found");
      const operator = this.reader.fieldName;
      if (operator === "equals-ignore-case") {
        ignoreCase = true;
        tok = this.next();
      } else {
        if (operator !== "prefix" && operator !== "suffix") fail(`Unsupported anything-but pattern: ${operator}`);
        const value = this.stringOperand("prefix/suffix match pattern must be a string");
        if (value === "") fail("Null prefix/suffix not allowed");
        this.expectEndObject(ONE_KEY);
        this.expectEndObject(ONE_KEY);
        return { type: `anything-but-${operator}`, values: [value] };
      }
    }
    const pattern = ignoreCase ? this.legacyIgnoreCaseValues(tok) : this.anythingButValues(tok);
    this.expectEndObject(TOO_MANY);
    if (ignoreCase) this.expectEndObject(TOO_MANY);
    return pattern;
  }

  private requireAnythingButOperand(tok: Tok | null): void {
    if (tok !== Tok.StartArray && tok !== Tok.String && tok !== Tok.Number) {
      fail("Value of anything-but must be an array or single string/number value.");
    }
  }

  /** A plain anything-but: one string or number, or a list of only strings or only numbers. */
  private anythingButValues(tok: Tok | null): ValuePattern {
    this.requireAnythingButOperand(tok);
    const strings = new Set<string>();
    const numbers: number[] = [];
    if (tok === Tok.String) strings.add(this.reader.text);
    else if (tok === Tok.Number) numbers.push(comparableOrThrow(this.reader.text));
    else {
      this.collectList(() => {
        const item = this.next();
        if (item === Tok.EndArray) return false;
        if (item === Tok.String) strings.add(this.reader.text);
        else if (item === Tok.Number) numbers.push(comparableOrThrow(this.reader.text));
        else fail("Inside anything but list, start|null|boolean is not supported.");
        return true;
      });
      if ((strings.size > 0) === (numbers.length > 0)) {
        fail("Inside anything but list, either all values are number or string, mixed type is not supported");
      }
    }
    return numbers.length > 0 ? { type: "anything-but-number", values: numbers } : { type: "anything-but-string", values: strings };
  }

  /** anything-but over prefixes, suffixes, ignore-case values or wildcards: one string or a list. */
  private anythingButSet(tok: Tok | null, kind: SetKind): ValuePattern {
    this.requireAnythingButOperand(tok);
    const values: string[] = [];
    const add = (item: Tok | null): void => {
      if (item !== Tok.String) {
        if (kind === "equals-ignore-case") {
          fail("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.");
        }
        fail(kind === "wildcard" ? "wildcard match pattern must be a string" : "prefix/suffix match pattern must be a string");
      }
      const { text } = this.reader;
      if ((kind === "prefix" || kind === "suffix") && text === "") fail("Null prefix/suffix not allowed");
      values.push(text);
    };
    if (tok === Tok.StartArray) {
      this.collectList(() => {
        const item = this.next();
        if (item === Tok.EndArray) return false;
        add(item);
        return true;
      });
    } else {
      add(tok);
    }
    switch (kind) {
      case "prefix":
      case "suffix":
        return { type: `anything-but-${kind}`, values };
      case "equals-ignore-case":
        return { type: "anything-but-ignore-case", values: values.map(caseless) };
      case "wildcard":
        return { type: "anything-but-wildcard", values: values.map(wildcardOrFail) };
    }
  }

  private legacyIgnoreCaseValues(tok: Tok | null): ValuePattern {
    this.requireAnythingButOperand(tok);
    const unsupported = "Inside anything-but/ignore-case list, number|start|null|boolean is not supported.";
    const values: string[] = [];
    if (tok === Tok.StartArray) {
      this.collectList(() => {
        const item = this.next();
        if (item === Tok.EndArray) return false;
        if (item !== Tok.String) fail(unsupported);
        values.push(this.reader.text);
        return true;
      });
    } else if (tok === Tok.String) {
      values.push(this.reader.text);
    } else {
      fail(unsupported);
    }
    return { type: "anything-but-ignore-case", values: values.map(caseless) };
  }

  /**
   * Runs `step` until it returns false. event-ruler reads these lists inside a try that turns
   * every failure, syntax errors and incomparable numbers included, into a parse error.
   */
  private collectList(step: () => boolean): void {
    try {
      while (step());
    } catch (error) {
      if (error instanceof FatalPatternError || error instanceof JsonSyntaxError) fail(error.message);
      throw error;
    }
  }
}

/** Whether event-ruler would retry this failure with the legacy compiler. */
function isParseFailure(error: unknown): error is ParseError | JsonSyntaxError {
  return error instanceof ParseError || error instanceof JsonSyntaxError;
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
