/**
 * What the pattern compiler's parts share: the token cursor they read a pattern through, and
 * event-ruler's two kinds of compile failure (a parse error, after which the legacy compiler gets
 * a go, and a fatal one, which ends compilation).
 */
import { JsonSyntaxError } from "./errors.ts";
import { JsonTokenReader, Tok } from "./json-reader.ts";
import { comparableValue, notComparableReason } from "./numbers.ts";
import { parseWildcard, WildcardError, type Wildcard } from "./text-match.ts";

/** Which of event-ruler's compilers reads the pattern: `JsonRuleCompiler` or the older `RuleCompiler`. */
export type Dialect = "current" | "legacy";

/** A parse error in event-ruler's sense (`JsonParseException`): the legacy compiler gets a go. */
export class ParseError extends Error {
  override readonly name = "ParseError";
}

/** An error event-ruler raises outside the parser (`IllegalArgumentException`): final. */
export class FatalPatternError extends Error {
  override readonly name = "FatalPatternError";
}

/** Whether event-ruler would retry this failure with the legacy compiler. */
export function isParseFailure(error: unknown): error is ParseError | JsonSyntaxError {
  return error instanceof ParseError || error instanceof JsonSyntaxError;
}

export const ONE_KEY = "Only one key allowed in match expression";
export const TOO_MANY = "Too many elements in numeric expression";

/** Throws a {@link ParseError} with event-ruler's message. */
export function fail(message: string): never {
  throw new ParseError(message);
}

/** The parsed wildcard, its syntax errors as parse errors. */
export function wildcardOrFail(value: string): Wildcard {
  try {
    return parseWildcard(value);
  } catch (error) {
    if (error instanceof WildcardError) fail(error.message);
    throw error;
  }
}

/** The double for a pattern number, or event-ruler's "Cannot compare number" error. */
export function comparableOrThrow(literal: string): number {
  const value = comparableValue(literal);
  if (value === undefined) throw new FatalPatternError(notComparableReason(literal));
  return value;
}

/** A pattern being read one token at a time, in one dialect. */
export class PatternCursor {
  readonly reader: JsonTokenReader;

  constructor(
    source: string,
    readonly dialect: Dialect,
  ) {
    this.reader = new JsonTokenReader(source);
  }

  next(): Tok | null {
    return this.reader.next();
  }

  /** What Jackson's `getText()` returns for the current token. */
  tokenText(tok: Tok | null): string {
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

  expectEndObject(message: string): void {
    if (this.next() !== Tok.EndObject) fail(message);
  }

  /** The next token's text, which must be a string. */
  stringOperand(message: string): string {
    if (this.next() !== Tok.String) fail(message);
    return this.reader.text;
  }

  /**
   * Runs `step` until it returns false. event-ruler reads these lists inside a try that turns
   * every failure, syntax errors and incomparable numbers included, into a parse error.
   */
  collectList(step: () => boolean): void {
    try {
      while (step());
    } catch (error) {
      if (error instanceof FatalPatternError || error instanceof JsonSyntaxError) fail(error.message);
      throw error;
    }
  }
}
