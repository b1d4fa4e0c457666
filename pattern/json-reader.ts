/**
 * A small JSON pull parser that keeps number literals as text and fails with Jackson's wording.
 *
 * EventBridge runs event-ruler, which reads patterns with Jackson's streaming parser: the pattern
 * compiler pulls one token at a time and stops at the first problem, so which error a malformed
 * pattern reports depends on when the parser notices it. {@link JsonTokenReader} reproduces that
 * token-by-token behaviour over the character-level {@link JsonScanner} (`json-scanner.ts`).
 */
import {
  COLON,
  COMMA,
  isDigit,
  JsonScanner,
  LBRACE,
  LBRACKET,
  MINUS,
  QUOTE,
  RBRACE,
  RBRACKET,
  Tok,
  VALID_VALUES,
} from "./json-scanner.ts";

export { Tok } from "./json-scanner.ts";

interface Scope {
  readonly inObject: boolean;
  /** Offset of the opening bracket, for Jackson's "starting at" locations. */
  readonly start: number;
  /** True once the scope holds a value, so the next one needs a comma first. */
  hasValue: boolean;
}

const SCOPE_NAMES = { true: "Object", false: "Array" } as const;

/**
 * A pull parser with the token order and error timing of Jackson's `ReaderBasedJsonParser`:
 * the value after a field name is scanned together with the name (strings excepted), close
 * markers are checked before commas, and nothing past the root value is read.
 */
export class JsonTokenReader {
  private readonly scanner: JsonScanner;
  private readonly scopes: Scope[] = [];
  /** Value token already scanned with the preceding field name. */
  private pending: Tok | null = null;
  private pendingText = "";
  /** Text of the current string, number or literal token. */
  text = "";
  /** Name of the current field (valid after a {@link Tok.FieldName} token). */
  fieldName = "";

  constructor(
    source: string,
    /** Jackson's default `StreamReadConstraints` nesting limit. */
    private readonly maxDepth = 1000,
  ) {
    this.scanner = new JsonScanner(source);
  }

  /** The next token, or `null` at the end of the input. */
  next(): Tok | null {
    if (this.pending !== null) return this.takePending();
    const { scanner } = this;
    let code = scanner.skipWhitespace();
    const scope = this.scopes.at(-1);
    if (code < 0) return this.endOfInput(scope);
    if (code === RBRACKET || code === RBRACE) return this.close(code, scope);
    if (scope?.hasValue) {
      if (code !== COMMA) {
        scanner.unexpected(code, `was expecting comma to separate ${SCOPE_NAMES[`${scope.inObject}`]} entries`);
      }
      scanner.pos++;
      code = scanner.skipWhitespace();
    }
    if (scope) scope.hasValue = true;
    if (scope?.inObject) return this.readField(code);
    return this.readValue(code);
  }

  private takePending(): Tok {
    const tok = this.pending as Tok;
    this.pending = null;
    if (tok === Tok.String) {
      this.text = this.scanner.readString();
    } else {
      this.text = this.pendingText;
    }
    return tok;
  }

  private endOfInput(scope: Scope | undefined): null {
    if (scope) {
      this.scanner.failEof(
        `: expected close marker for ${SCOPE_NAMES[`${scope.inObject}`]} (start marker at ${this.scanner.location(scope.start)})`,
      );
    }
    return null;
  }

  private close(code: number, scope: Scope | undefined): Tok {
    const closesObject = code === RBRACE;
    if (!scope) return this.scanner.unexpected(code, `expected a valid value ${VALID_VALUES}`);
    if (scope.inObject !== closesObject) {
      const expected = scope.inObject ? "}" : "]";
      this.scanner.fail(
        `Unexpected close marker '${String.fromCharCode(code)}': expected '${expected}' (for ${SCOPE_NAMES[`${scope.inObject}`]} starting at ${this.scanner.location(scope.start)})`,
      );
    }
    this.scanner.pos++;
    this.scopes.pop();
    return closesObject ? Tok.EndObject : Tok.EndArray;
  }

  private readField(code: number): Tok {
    const { scanner } = this;
    if (code !== QUOTE) {
      if (code < 0) scanner.failEof(" within/between Object entries");
      scanner.unexpected(code, "was expecting double-quote to start field name");
    }
    this.fieldName = scanner.readString();
    const colon = scanner.skipWhitespace();
    if (colon !== COLON) scanner.unexpected(colon, "was expecting a colon to separate field name and value");
    scanner.pos++;
    const valueStart = scanner.skipWhitespace();
    if (valueStart === QUOTE) {
      // Jackson reads a string value lazily, so its errors surface on the next call.
      this.pending = Tok.String;
    } else {
      this.pending = this.readValue(valueStart);
      this.pendingText = this.text;
    }
    return Tok.FieldName;
  }

  private readValue(code: number): Tok {
    const { scanner } = this;
    if (code === LBRACE || code === LBRACKET) {
      if (this.scopes.length >= this.maxDepth) {
        scanner.fail(
          `Document nesting depth (${this.scopes.length + 1}) exceeds the maximum allowed (${this.maxDepth}, from \`StreamReadConstraints.getMaxNestingDepth()\`)`,
        );
      }
      this.scopes.push({ inObject: code === LBRACE, start: scanner.pos, hasValue: false });
      scanner.pos++;
      return code === LBRACE ? Tok.StartObject : Tok.StartArray;
    }
    if (code === QUOTE) {
      this.text = scanner.readString();
      return Tok.String;
    }
    if (code === MINUS || isDigit(code)) {
      this.text = scanner.readNumber();
      return Tok.Number;
    }
    if (code < 0) scanner.failEof(": expected a value");
    if (code === 0x74 || code === 0x66 || code === 0x6e) {
      const start = scanner.pos;
      const tok = scanner.readLiteral();
      this.text = scanner.text.slice(start, scanner.pos);
      return tok;
    }
    return scanner.invalidValueStart(code);
  }
}
