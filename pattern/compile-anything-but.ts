/**
 * `anything-but` match expressions, in both of event-ruler's dialects: `JsonRuleCompiler`'s (a
 * value or a list, optionally under prefix, suffix, equals-ignore-case or wildcard) and the older
 * `RuleCompiler`'s (prefix/suffix take one string, no wildcard).
 */
import { Tok } from "./json-reader.ts";
import type { ValuePattern } from "./patterns.ts";
import { caseless } from "./text-match.ts";
import { comparableOrThrow, fail, ONE_KEY, TOO_MANY, wildcardOrFail, type PatternCursor } from "./compile-cursor.ts";

type SetKind = "prefix" | "suffix" | "equals-ignore-case" | "wildcard";

/** The `anything-but` expression after its key, read as the cursor's dialect reads it. */
export function anythingButExpression(c: PatternCursor): ValuePattern {
  return c.dialect === "current" ? anythingBut(c) : legacyAnythingBut(c);
}

/** `JsonRuleCompiler`'s anything-but: a value or list, optionally under prefix/suffix/ignore-case/wildcard. */
function anythingBut(c: PatternCursor): ValuePattern {
  let kind: SetKind | undefined;
  let tok = c.next();
  if (tok === Tok.StartObject) {
    if (c.next() !== Tok.FieldName) fail("Anything-But expression name not found");
    const operator = c.reader.fieldName;
    if (!["prefix", "suffix", "equals-ignore-case", "wildcard"].includes(operator)) {
      fail(`Unsupported anything-but pattern: ${operator}`);
    }
    kind = operator as SetKind;
    tok = c.next();
  }
  const pattern = kind === undefined ? anythingButValues(c, tok) : anythingButSet(c, tok, kind);
  c.expectEndObject(TOO_MANY);
  if (kind !== undefined) c.expectEndObject(TOO_MANY);
  return pattern;
}

/** `RuleCompiler`'s older anything-but: prefix/suffix take one string, no wildcard. */
function legacyAnythingBut(c: PatternCursor): ValuePattern {
  let ignoreCase = false;
  let tok = c.next();
  if (tok === Tok.StartObject) {
    if (c.next() !== Tok.FieldName) fail("Anything-But expression name not found");
    const operator = c.reader.fieldName;
    if (operator === "equals-ignore-case") {
      ignoreCase = true;
      tok = c.next();
    } else {
      if (operator !== "prefix" && operator !== "suffix") fail(`Unsupported anything-but pattern: ${operator}`);
      const value = c.stringOperand("prefix/suffix match pattern must be a string");
      if (value === "") fail("Null prefix/suffix not allowed");
      c.expectEndObject(ONE_KEY);
      c.expectEndObject(ONE_KEY);
      return { type: `anything-but-${operator}`, values: [value] };
    }
  }
  const pattern = ignoreCase ? legacyIgnoreCaseValues(c, tok) : anythingButValues(c, tok);
  c.expectEndObject(TOO_MANY);
  if (ignoreCase) c.expectEndObject(TOO_MANY);
  return pattern;
}

function requireAnythingButOperand(tok: Tok | null): void {
  if (tok !== Tok.StartArray && tok !== Tok.String && tok !== Tok.Number) {
    fail("Value of anything-but must be an array or single string/number value.");
  }
}

/** A plain anything-but: one string or number, or a list of only strings or only numbers. */
function anythingButValues(c: PatternCursor, tok: Tok | null): ValuePattern {
  requireAnythingButOperand(tok);
  const strings = new Set<string>();
  const numbers: number[] = [];
  if (tok === Tok.String) strings.add(c.reader.text);
  else if (tok === Tok.Number) numbers.push(comparableOrThrow(c.reader.text));
  else {
    c.collectList(() => {
      const item = c.next();
      if (item === Tok.EndArray) return false;
      if (item === Tok.String) strings.add(c.reader.text);
      else if (item === Tok.Number) numbers.push(comparableOrThrow(c.reader.text));
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
function anythingButSet(c: PatternCursor, tok: Tok | null, kind: SetKind): ValuePattern {
  requireAnythingButOperand(tok);
  const values: string[] = [];
  const add = (item: Tok | null): void => {
    if (item !== Tok.String) {
      if (kind === "equals-ignore-case") {
        fail("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.");
      }
      fail(kind === "wildcard" ? "wildcard match pattern must be a string" : "prefix/suffix match pattern must be a string");
    }
    const { text } = c.reader;
    if ((kind === "prefix" || kind === "suffix") && text === "") fail("Null prefix/suffix not allowed");
    values.push(text);
  };
  if (tok === Tok.StartArray) {
    c.collectList(() => {
      const item = c.next();
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

function legacyIgnoreCaseValues(c: PatternCursor, tok: Tok | null): ValuePattern {
  requireAnythingButOperand(tok);
  const unsupported = "Inside anything-but/ignore-case list, number|start|null|boolean is not supported.";
  const values: string[] = [];
  if (tok === Tok.StartArray) {
    c.collectList(() => {
      const item = c.next();
      if (item === Tok.EndArray) return false;
      if (item !== Tok.String) fail(unsupported);
      values.push(c.reader.text);
      return true;
    });
  } else if (tok === Tok.String) {
    values.push(c.reader.text);
  } else {
    fail(unsupported);
  }
  return { type: "anything-but-ignore-case", values: values.map(caseless) };
}
