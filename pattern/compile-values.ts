/**
 * One value of a pattern's field: an exact value, or a match expression (`exactly`, `prefix`,
 * `suffix`, `numeric`, `anything-but`, `exists`, `cidr`, `equals-ignore-case`, `wildcard`), read
 * token by token with event-ruler's error messages.
 */
import { cidrRange, CidrError, ipExactRange } from "./ip.ts";
import { Tok } from "./json-reader.ts";
import { comparableValue, compareDoubles, type NumericRange } from "./numbers.ts";
import type { ValuePattern } from "./patterns.ts";
import { caseless } from "./text-match.ts";
import { anythingButExpression } from "./compile-anything-but.ts";
import { comparableOrThrow, FatalPatternError, fail, ONE_KEY, TOO_MANY, wildcardOrFail, type PatternCursor } from "./compile-cursor.ts";

function isNumber(tok: Tok | null): boolean {
  return tok === Tok.Number;
}

function range(bottom: number, openBottom: boolean, top: number, openTop: boolean): NumericRange {
  if (compareDoubles(bottom, top) >= 0) throw new FatalPatternError("Bottom must be less than top");
  return { bottom, openBottom, top, openTop };
}

/** The value pattern starting at `tok` (the current token) in a field's array. */
export function matchValue(c: PatternCursor, tok: Tok | null): ValuePattern {
  const { text } = c.reader;
  switch (tok) {
    case Tok.StartObject:
      return matchExpression(c);
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

function matchExpression(c: PatternCursor): ValuePattern {
  if (c.next() !== Tok.FieldName) fail("Match expression name not found");
  const type = c.reader.fieldName;
  switch (type) {
    case "exactly": {
      const value = c.stringOperand("exact match pattern must be a string");
      c.expectEndObject(ONE_KEY);
      return { type: "exact-string", value };
    }
    case "prefix":
    case "suffix":
      return affixExpression(c, type);
    case "numeric": {
      if (c.next() !== Tok.StartArray) fail("Value of numeric must be an array.");
      const pattern = numericExpression(c);
      c.expectEndObject(TOO_MANY);
      return pattern;
    }
    case "anything-but":
      return anythingButExpression(c);
    case "exists":
      return existsExpression(c);
    case "cidr": {
      const value = c.stringOperand("prefix match pattern must be a string");
      const pattern = cidr(value);
      c.expectEndObject(ONE_KEY);
      return pattern;
    }
    case "equals-ignore-case": {
      const value = c.stringOperand("equals-ignore-case match pattern must be a string");
      c.expectEndObject(ONE_KEY);
      return { type: "equals-ignore-case", value: caseless(value) };
    }
    case "wildcard": {
      const value = wildcardOrFail(c.stringOperand("wildcard match pattern must be a string"));
      c.expectEndObject(ONE_KEY);
      return { type: "wildcard", value };
    }
    default:
      return fail(`Unrecognized match type ${type}`);
  }
}

function cidr(value: string): ValuePattern {
  try {
    return { type: "ip-range", range: cidrRange(value) };
  } catch (error) {
    if (error instanceof CidrError) throw new FatalPatternError(error.message);
    throw error;
  }
}

/** `prefix` / `suffix`, with or without a nested `equals-ignore-case`. */
function affixExpression(c: PatternCursor, type: "prefix" | "suffix"): ValuePattern {
  const tok = c.next();
  if (tok === Tok.StartObject) {
    const capitalised = type === "prefix" ? "Prefix" : "Suffix";
    if (c.next() !== Tok.FieldName) fail(`${capitalised} expression name not found`);
    const operator = c.reader.fieldName;
    if (operator !== "equals-ignore-case") fail(`Unsupported ${type} pattern: ${operator}`);
    const value = c.stringOperand("equals-ignore-case match pattern must be a string");
    c.expectEndObject(ONE_KEY);
    c.expectEndObject(ONE_KEY);
    return { type: `${type}-ignore-case`, value: caseless(value) };
  }
  if (tok !== Tok.String) fail(`${type} match pattern must be a string`);
  const value = c.reader.text;
  c.expectEndObject(ONE_KEY);
  return { type, value };
}

function existsExpression(c: PatternCursor): ValuePattern {
  const tok = c.next();
  if (tok !== Tok.True && tok !== Tok.False) fail("exists match pattern must be either true or false.");
  c.expectEndObject(ONE_KEY);
  return { type: "exists", present: tok === Tok.True };
}

function numericExpression(c: PatternCursor): ValuePattern {
  let tok = c.next();
  if (tok !== Tok.String) fail(`Invalid member in numeric match: ${c.tokenText(tok)}`);
  const operator = c.reader.text;
  tok = c.next();
  const operand = (): string => {
    if (!isNumber(tok)) fail(`Value of ${operator === "=" ? "equals" : operator} must be numeric`);
    return c.reader.text;
  };
  try {
    switch (operator) {
      case "=": {
        const value = operand();
        if (c.next() !== Tok.EndArray) fail(TOO_MANY);
        const exact = comparableOrThrow(value);
        return { type: "numeric", range: { bottom: exact, openBottom: false, top: exact, openTop: false } };
      }
      case ">=":
      case ">": {
        const bottom = operand();
        const after = c.next();
        const openBottom = operator === ">";
        if (after === Tok.EndArray) {
          return { type: "numeric", range: range(comparableOrThrow(bottom), openBottom, Infinity, false) };
        }
        return numericRangeTop(c, after, bottom, openBottom);
      }
      case "<=":
      case "<": {
        const top = operand();
        if (c.next() !== Tok.EndArray) fail(TOO_MANY);
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

function numericRangeTop(c: PatternCursor, tok: Tok | null, bottom: string, openBottom: boolean): ValuePattern {
  if (tok !== Tok.String) fail(`Bad value in numeric range: ${c.tokenText(tok)}`);
  const operator = c.reader.text;
  if (operator !== "<" && operator !== "<=") fail(`Bad numeric range operator: ${operator}`);
  if (!isNumber(c.next())) fail(`Value of ${operator} must be numeric`);
  const top = c.reader.text;
  if (c.next() !== Tok.EndArray) fail("Too many terms in numeric range expression");
  return {
    type: "numeric",
    range: range(comparableOrThrow(bottom), openBottom, comparableOrThrow(top), operator === "<"),
  };
}
