/**
 * Events flattened the way event-ruler sees them: every leaf value (string, number, `true`,
 * `false`, `null`) under its dotted path, arrays "crushed out", and each leaf remembering which
 * element of which array it came from so that matches can be kept array-consistent.
 */
import { InvalidEventError, JsonSyntaxError } from "./errors.ts";
import { JsonScanner } from "./json-reader.ts";
import { comparableValue } from "./numbers.ts";
import { ipToHex } from "./ip.ts";

export const LeafKind = { String: 0, Number: 1, Literal: 2 } as const;
export type LeafKind = (typeof LeafKind)[keyof typeof LeafKind];

/**
 * Array positions of a leaf as flat pairs `[arrayId, index, arrayId, index, ...]`, outermost
 * array first; empty when the leaf is not inside an array.
 */
export type Membership = readonly number[];

/** One leaf value of an event. */
export class Leaf {
  private comparable: number | null | undefined;
  private ip: string | null | undefined;

  constructor(
    readonly kind: LeafKind,
    /** A string's content (unescaped), a number's literal text, or `true` / `false` / `null`. */
    readonly text: string,
    readonly arrays: Membership,
  ) {}

  /** The number as event-ruler compares it, or `null` if it is not a comparable number. */
  get number(): number | null {
    if (this.comparable === undefined) {
      this.comparable = this.kind === LeafKind.Number ? (comparableValue(this.text) ?? null) : null;
    }
    return this.comparable;
  }

  /** The string as an IP address in hex, or `null` if it is not an IP literal. */
  get ipHex(): string | null {
    if (this.ip === undefined) this.ip = this.kind === LeafKind.String ? (ipToHex(this.text) ?? null) : null;
    return this.ip;
  }
}

/** Leaves by dotted path. */
export type FlatEvent = ReadonlyMap<string, readonly Leaf[]>;

/**
 * Which paths a reader needs: leaf values at some paths, and the insides of objects at others.
 * Everything else is skipped without building leaves.
 */
export interface PathInterest {
  wantsLeaf(path: string): boolean;
  wantsInside(path: string): boolean;
}

/**
 * The interest for a set of pattern paths. Event keys may themselves contain dots (`{"a.b": 1}`
 * has the path `a.b`), so every dot-boundary prefix of a path is worth descending into.
 */
export function interestIn(paths: Iterable<string>): PathInterest {
  const leaves = new Set<string>();
  const prefixes = new Set<string>();
  for (const path of paths) {
    leaves.add(path);
    for (let dot = path.indexOf("."); dot >= 0; dot = path.indexOf(".", dot + 1)) {
      prefixes.add(path.slice(0, dot));
    }
  }
  return { wantsLeaf: (path) => leaves.has(path), wantsInside: (path) => prefixes.has(path) };
}

const EVERYTHING: PathInterest = { wantsLeaf: () => true, wantsInside: () => true };

class Flattener {
  private nextArrayId = 0;
  readonly leaves = new Map<string, Leaf[]>();

  constructor(
    private readonly scanner: JsonScanner,
    private readonly interest: PathInterest,
  ) {}

  /** Reads the value at `pos`; `path` is `null` for a value nobody asked for. */
  private value(path: string | null, arrays: Membership): void {
    const { scanner } = this;
    const code = scanner.skipWhitespace();
    if (path === null || (code === 0x7b && !this.interest.wantsInside(path))) return scanner.skipValue();
    if (code === 0x7b) return this.object(`${path}.`, arrays);
    if (code === 0x5b) return this.array(path, arrays);
    const leaf = this.scalar(code, arrays);
    if (this.interest.wantsLeaf(path)) this.add(path, leaf);
  }

  private isWanted(path: string): boolean {
    return this.interest.wantsLeaf(path) || this.interest.wantsInside(path);
  }

  private add(path: string, leaf: Leaf): void {
    const existing = this.leaves.get(path);
    if (existing) existing.push(leaf);
    else this.leaves.set(path, [leaf]);
  }

  private scalar(code: number, arrays: Membership): Leaf {
    const { scanner } = this;
    if (code === 0x22) return new Leaf(LeafKind.String, scanner.readString(), arrays);
    if (code === 0x2d || (code >= 0x30 && code <= 0x39)) {
      return new Leaf(LeafKind.Number, scanner.readNumber(), arrays);
    }
    if (code === 0x74 || code === 0x66 || code === 0x6e) {
      const start = scanner.pos;
      scanner.readLiteral();
      return new Leaf(LeafKind.Literal, scanner.text.slice(start, scanner.pos), arrays);
    }
    return scanner.invalidValueStart(code);
  }

  /** Reads an object at `pos` whose keys extend `prefix` (`""` at the root). */
  object(prefix: string, arrays: Membership): void {
    const { scanner } = this;
    scanner.pos++;
    let code = scanner.skipWhitespace();
    if (code === 0x7d) {
      scanner.pos++;
      return;
    }
    for (;;) {
      if (code !== 0x22) scanner.unexpected(code, "was expecting double-quote to start field name");
      const key = scanner.readString();
      const colon = scanner.skipWhitespace();
      if (colon !== 0x3a) scanner.unexpected(colon, "was expecting a colon to separate field name and value");
      scanner.pos++;
      const child = prefix + key;
      this.value(this.isWanted(child) ? child : null, arrays);
      code = this.separator(0x7d, "Object");
      if (code < 0) return;
    }
  }

  /** Reads an array at `pos`: its elements all sit at `path`. */
  private array(path: string, arrays: Membership): void {
    const { scanner } = this;
    scanner.pos++;
    if (scanner.skipWhitespace() === 0x5d) {
      scanner.pos++;
      return;
    }
    const arrayId = this.nextArrayId++;
    for (let index = 0; ; index++) {
      // Only objects and arrays record their element: scalars of one array never conflict.
      const code = scanner.skipWhitespace();
      const nested = code === 0x7b || code === 0x5b;
      this.value(path, nested ? [...arrays, arrayId, index] : arrays);
      if (this.separator(0x5d, "Array") < 0) return;
    }
  }

  /** Consumes `,` (returning the next character) or the closing bracket (returning -1). */
  private separator(close: number, scope: string): number {
    const { scanner } = this;
    const code = scanner.skipWhitespace();
    scanner.pos++;
    if (code === close) return -1;
    if (code !== 0x2c) {
      scanner.pos--;
      scanner.unexpected(code, `was expecting comma to separate ${scope} entries`);
    }
    return scanner.skipWhitespace();
  }
}

/**
 * Parses an event and returns its leaves by path, keeping only the paths in `interest` (all of
 * them when omitted). Throws {@link InvalidEventError} if the text is not a JSON object.
 */
export function flattenEvent(json: string, interest: PathInterest = EVERYTHING): FlatEvent {
  const scanner = new JsonScanner(json);
  const flattener = new Flattener(scanner, interest);
  try {
    if (scanner.skipWhitespace() !== 0x7b) throw new InvalidEventError("Event is not a JSON object");
    flattener.object("", []);
    const trailing = scanner.skipWhitespace();
    if (trailing >= 0) scanner.unexpected(trailing, "expected end of input after the event object");
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new InvalidEventError(`Event is not valid JSON: ${error.message}`);
    throw error;
  }
  return flattener.leaves;
}
