/**
 * Character-level JSON reading that keeps number literals as text and fails with Jackson's wording.
 *
 * EventBridge runs event-ruler, which reads patterns and events with Jackson. {@link JsonScanner}
 * holds the character-level pieces (strings, numbers, literals, skipping values, Jackson's error
 * messages and locations) that the pattern's token reader (`json-reader.ts`) and the event reader
 * (`event.ts`) share.
 */
import { JsonSyntaxError } from "./errors.ts";

/** Token kinds, as Jackson's `JsonToken` names them. */
export const Tok = {
  StartObject: 0,
  EndObject: 1,
  StartArray: 2,
  EndArray: 3,
  FieldName: 4,
  String: 5,
  Number: 6,
  True: 7,
  False: 8,
  Null: 9,
} as const;
export type Tok = (typeof Tok)[keyof typeof Tok];

export const QUOTE = 0x22;
const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const LBRACE = 0x7b;
export const RBRACE = 0x7d;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;
export const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** Jackson's list of what may start a value, used in several of its messages. */
export const VALID_VALUES = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";
/** Characters that force the slow path of string reading: escapes and raw control characters. */
const NEEDS_DECODING = /[\\\u0000-\u001f]/;
/** Strings up to this long are read character by character; longer ones with `indexOf`. */
const SHORT_STRING = 32;
/** Jackson quotes at most this many characters of the input in a location. */
const MAX_SOURCE_SNIPPET = 500;

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

export function isDigit(code: number): boolean {
  return code >= DIGIT_0 && code <= DIGIT_9;
}

function isIdentifierPart(code: number): boolean {
  // What follows a literal in valid JSON is punctuation or white space: answer those at once.
  if (code === COMMA || code === RBRACE || code === RBRACKET || code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09 || Number.isNaN(code)) {
    return false;
  }
  return /[\p{L}\p{N}_$]/u.test(String.fromCharCode(code));
}

/** Jackson's `_getCharDesc`: how a character is named in an error message. */
function describeChar(code: number): string {
  const char = String.fromCharCode(code);
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `(CTRL-CHAR, code ${code})`;
  if (code > 255) return `'${char}' (code ${code} / 0x${code.toString(16)})`;
  return `'${char}' (code ${code})`;
}

/** Input nested deeper than the reader was allowed to go; `depth` counts from where it started. */
export class NestingTooDeep extends Error {
  override readonly name = "NestingTooDeep";

  constructor(readonly depth: number) {
    super(`nesting depth ${depth}`);
  }
}

/** Character-level JSON reading over one string, with Jackson-worded failures. */
export class JsonScanner {
  pos = 0;

  constructor(readonly text: string) {}

  /** Skips JSON whitespace; returns the code of the next character, or -1 at the end. */
  skipWhitespace(): number {
    const { text } = this;
    while (this.pos < text.length) {
      const code = text.charCodeAt(this.pos);
      if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) {
        this.pos++;
      } else {
        if (code < 0x20) {
          this.fail(
            `Illegal character (${describeChar(code)}): only regular white space (\\r, \\n, \\t) is allowed between tokens`,
          );
        }
        return code;
      }
    }
    return -1;
  }

  /** Reads a string whose opening quote is at `pos`; leaves `pos` after the closing quote. */
  readString(): string {
    const { text } = this;
    let start = ++this.pos;
    // Most strings are short keys without escapes: one pass over their characters.
    const length = text.length;
    for (let i = start; i < start + SHORT_STRING && i < length; i++) {
      const code = text.charCodeAt(i);
      if (code === QUOTE) {
        this.pos = i + 1;
        return text.slice(start, i);
      }
      if (code === BACKSLASH || code < 0x20) break;
    }
    // Longer ones: find the closing quote natively.
    const end = text.indexOf('"', start);
    if (end >= 0) {
      const raw = text.slice(start, end);
      if (!NEEDS_DECODING.test(raw)) {
        this.pos = end + 1;
        return raw;
      }
    }
    let result = "";
    while (this.pos < text.length) {
      const code = text.charCodeAt(this.pos);
      if (code === QUOTE) {
        result += text.slice(start, this.pos++);
        return result;
      }
      if (code === BACKSLASH) {
        result += text.slice(start, this.pos) + this.readEscape();
        start = this.pos;
      } else if (code < 0x20) {
        this.fail(
          `Illegal unquoted character (${describeChar(code)}): has to be escaped using backslash to be included in string value`,
        );
      } else {
        this.pos++;
      }
    }
    return this.failEof(": was expecting closing quote for a string value");
  }

  private readEscape(): string {
    const code = this.text.charCodeAt(this.pos + 1);
    if (Number.isNaN(code)) this.failEof(" in character escape sequence");
    const char = String.fromCharCode(code);
    this.pos += 2;
    const simple = ESCAPES[char];
    if (simple !== undefined) return simple;
    if (char !== "u") this.fail(`Unrecognized character escape ${describeChar(code)}`);
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const hex = this.text.charCodeAt(this.pos);
      if (Number.isNaN(hex)) this.failEof(" in character escape sequence");
      const digit = parseInt(String.fromCharCode(hex), 16);
      if (Number.isNaN(digit)) {
        this.unexpected(hex, "expected a hex-digit for character escape sequence");
      }
      value = value * 16 + digit;
      this.pos++;
    }
    return String.fromCharCode(value);
  }

  /**
   * Skips the value at `pos`. Inside strings and containers it only checks what it needs to find
   * the end (strings close, brackets pair up), which keeps unread parts of large events cheap.
   */
  skipValue(maxDepth = Infinity): void {
    const code = this.skipWhitespace();
    if (code === QUOTE) this.skipString();
    else if (code === LBRACE || code === LBRACKET) this.skipContainer(maxDepth);
    else if (code === MINUS || isDigit(code)) this.skipNumber();
    else if (code === 0x74 || code === 0x66 || code === 0x6e) this.readLiteral();
    else this.invalidValueStart(code);
  }

  private skipString(): void {
    let end = this.pos;
    do {
      end = this.text.indexOf('"', end + 1);
      if (end < 0) this.failEof(": was expecting closing quote for a string value");
    } while (this.isEscaped(end));
    this.pos = end + 1;
  }

  /** Whether the character at `index` is preceded by an odd number of backslashes. */
  private isEscaped(index: number): boolean {
    let backslashes = 0;
    while (this.text.charCodeAt(index - 1 - backslashes) === BACKSLASH) backslashes++;
    return backslashes % 2 === 1;
  }

  /** Skips an object or array; more than `maxDepth` levels inside it throws {@link NestingTooDeep}. */
  private skipContainer(maxDepth: number): void {
    // A plain loop over the characters between strings (strings are skipped with indexOf).
    const { text } = this;
    const length = text.length;
    const closers: number[] = [];
    let pos = this.pos;
    while (pos < length) {
      const code = text.charCodeAt(pos);
      if (code === QUOTE) {
        this.pos = pos;
        this.skipString();
        pos = this.pos;
        continue;
      }
      if (code === LBRACE || code === LBRACKET) {
        if (closers.length >= maxDepth) throw new NestingTooDeep(closers.length + 1);
        closers.push(code + 2);
      } else if (code === RBRACE || code === RBRACKET) {
        if (closers.pop() !== code) {
          this.pos = pos;
          this.unexpected(code, "mismatched close marker");
        }
        if (closers.length === 0) {
          this.pos = pos + 1;
          return;
        }
      }
      pos++;
    }
    this.pos = pos;
    this.failEof(": expected close marker");
  }

  /** Reads a number literal starting at `pos` and returns its exact text. */
  readNumber(): string {
    const start = this.pos;
    this.skipNumber();
    return this.text.slice(start, this.pos);
  }

  /** Moves past a number literal starting at `pos`, checking its syntax. */
  skipNumber(): void {
    const { text } = this;
    if (text.charCodeAt(this.pos) === MINUS) {
      this.pos++;
      if (!isDigit(text.charCodeAt(this.pos))) {
        this.numberFail("expected digit (0-9) to follow minus sign, for valid numeric value");
      }
    }
    if (text.charCodeAt(this.pos) === DIGIT_0 && isDigit(text.charCodeAt(this.pos + 1))) {
      this.fail("Invalid numeric value: Leading zeroes not allowed");
    }
    this.skipDigits();
    if (text.charCodeAt(this.pos) === 0x2e) {
      this.pos++;
      if (!isDigit(text.charCodeAt(this.pos))) this.numberFail("Decimal point not followed by a digit");
      this.skipDigits();
    }
    const exponent = text.charCodeAt(this.pos) | 0x20;
    if (exponent === 0x65) {
      this.pos++;
      const sign = text.charCodeAt(this.pos);
      if (sign === MINUS || sign === 0x2b) this.pos++;
      if (!isDigit(text.charCodeAt(this.pos))) this.numberFail("Exponent indicator not followed by a digit");
      this.skipDigits();
    }
  }

  private skipDigits(): void {
    while (isDigit(this.text.charCodeAt(this.pos))) this.pos++;
  }

  private numberFail(comment: string): never {
    const code = this.text.charCodeAt(this.pos);
    if (Number.isNaN(code)) this.failEof(" in a Number value");
    return this.fail(`Unexpected character (${describeChar(code)}) in numeric value: ${comment}`);
  }

  /** Reads `true`, `false` or `null` starting at `pos`. */
  readLiteral(): Tok {
    const { text, pos } = this;
    const first = text.charCodeAt(pos);
    const word = first === 0x74 ? "true" : first === 0x66 ? "false" : "null";
    if (text.startsWith(word, pos) && !isIdentifierPart(text.charCodeAt(pos + word.length))) {
      this.pos += word.length;
      return first === 0x74 ? Tok.True : first === 0x66 ? Tok.False : Tok.Null;
    }
    return this.invalidToken();
  }

  /**
   * For a string whose opening quote is at `pos`: the index of its closing quote if it holds no
   * escape or control character (so its text is the raw characters), else -1. Does not move.
   */
  plainStringEnd(): number {
    const { text } = this;
    const length = text.length;
    for (let i = this.pos + 1; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code === QUOTE) return i;
      if (code === BACKSLASH || code < 0x20) return -1;
    }
    return -1;
  }

  /** Jackson's `_reportInvalidToken`: names the whole run of identifier characters. */
  invalidToken(): never {
    const start = this.pos;
    while (this.pos < this.text.length && isIdentifierPart(this.text.charCodeAt(this.pos))) this.pos++;
    const token = this.text.slice(start, Math.max(this.pos, start + 1));
    return this.fail(`Unrecognized token '${token}': was expecting ${VALID_VALUES}`);
  }

  /** Reports a character that cannot start a value. */
  invalidValueStart(code: number): never {
    if (code === RBRACKET || code === RBRACE || code === COMMA) this.unexpected(code, "expected a value");
    if (isIdentifierPart(code)) this.invalidToken();
    return this.unexpected(code, `expected a valid value ${VALID_VALUES}`);
  }

  /** `Unexpected character ('x' (code 120)): <comment>`, or end-of-input when `code` is -1. */
  unexpected(code: number, comment: string): never {
    if (code < 0) this.failEof("");
    return this.fail(`Unexpected character (${describeChar(code)}): ${comment}`);
  }

  failEof(detail: string): never {
    return this.fail(`Unexpected end-of-input${detail}`);
  }

  fail(message: string): never {
    throw new JsonSyntaxError(message);
  }

  /** Jackson's location text for a character offset, quoting the input as Jackson does. */
  location(offset: number): string {
    const before = this.text.slice(0, offset);
    const line = before.split("\n").length;
    const column = offset - before.lastIndexOf("\n");
    const shown = this.text.slice(0, MAX_SOURCE_SNIPPET);
    const truncated =
      this.text.length > MAX_SOURCE_SNIPPET ? `[truncated ${this.text.length - MAX_SOURCE_SNIPPET} chars]` : "";
    return `[Source: (String)"${shown}"${truncated}; line: ${line}, column: ${column}]`;
  }
}
