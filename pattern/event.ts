/**
 * Events flattened the way event-ruler sees them: every leaf value (string, number, `true`,
 * `false`, `null`) under its dotted path, arrays "crushed out", and each leaf remembering which
 * element of which array it came from so that matches can be kept array-consistent.
 */
import { InvalidEventError, JsonSyntaxError } from "./errors.ts";
import { JsonScanner, NestingTooDeep } from "./json-scanner.ts";
import { comparableValue } from "./numbers.ts";
import { ipToHex } from "./ip.ts";

export const LeafKind = { String: 0, Number: 1, Literal: 2 } as const;
export type LeafKind = (typeof LeafKind)[keyof typeof LeafKind];

/**
 * Deepest nesting of objects and arrays accepted in an event (and a pattern). event-ruler reads
 * JSON with Jackson, whose `StreamReadConstraints` default is 1,000 levels; deeper input is
 * refused with Jackson's message rather than risking the stack.
 */
export const MAX_NESTING_DEPTH = 1000;

/** Jackson's wording for input nested deeper than {@link MAX_NESTING_DEPTH}. */
export function nestingTooDeep(depth: number): string {
  return `Document nesting depth (${depth}) exceeds the maximum allowed (${MAX_NESTING_DEPTH}, from \`StreamReadConstraints.getMaxNestingDepth()\`)`;
}

/**
 * One object or array that is an element of an event array: where array consistency is decided.
 * Two leaves are consistent unless their chains of such elements first differ at two elements
 * of the same array. Leaves outside any array element have no context (`null`).
 */
export class ArrayElement {
  private ancestors: readonly ArrayElement[] | undefined;
  /** Scratch space of the consistency check (`consistency.ts`), valid during one call only. */
  mark = 0;
  below: number | Uint32Array = 0;
  direct: number | Uint32Array = 0;
  kids: ArrayElement[] | undefined = undefined;

  constructor(
    readonly parent: ArrayElement | null,
    readonly arrayId: number,
    readonly index: number,
    /** 1 for an element of an array that is not itself inside an array element. */
    readonly depth: number,
  ) {}

  /** The elements from the outermost (position 0) down to this one (position `depth - 1`). */
  get chain(): readonly ArrayElement[] {
    if (this.ancestors === undefined) {
      // Built iteratively: a recursive build could exhaust the stack on deep events.
      const pending: ArrayElement[] = [];
      let element: ArrayElement | null = this;
      while (element && element.ancestors === undefined) {
        pending.push(element);
        element = element.parent;
      }
      for (let i = pending.length - 1; i >= 0; i--) {
        const current = pending[i] as ArrayElement;
        current.ancestors = current.parent ? [...current.parent.chain, current] : [current];
      }
    }
    return this.ancestors as readonly ArrayElement[];
  }
}

/** Whether two leaf contexts can be chosen together (event-ruler's array consistency). */
export function consistentContexts(a: ArrayElement | null, b: ArrayElement | null): boolean {
  if (a === null || b === null || a === b) return true;
  const chainA = a.chain;
  const chainB = b.chain;
  const common = Math.min(chainA.length, chainB.length);
  for (let i = 0; i < common; i++) {
    const x = chainA[i] as ArrayElement;
    const y = chainB[i] as ArrayElement;
    if (x !== y) return x.arrayId !== y.arrayId;
  }
  return true;
}

/** One leaf value of an event. */
export class Leaf {
  private comparable: number | null | undefined;
  private ip: string | null | undefined;

  constructor(
    readonly kind: LeafKind,
    /** A string's content (unescaped), a number's literal text, or `true` / `false` / `null`. */
    readonly text: string,
    /** The innermost array element (object or array) holding the leaf, if any. */
    readonly context: ArrayElement | null,
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
 * Which paths a reader needs, as a tree of path segments: leaf values at some paths, and the
 * insides of objects on the way to them. Everything else is skipped without building leaves or
 * even path strings. Event keys may themselves contain dots (`{"a.b": 1}` has the path `a.b`),
 * so such a key is followed segment by segment.
 */
export class PathInterest {
  /** Leaf values at this path are wanted. */
  wanted: boolean;
  private children: Map<string, PathInterest> | undefined;
  /** The same children as a list, scanned in place of the map when there are few. */
  private childList: [string, PathInterest][] | undefined;

  constructor(
    /** The dotted path of this node (`""` at the root). */
    readonly path: string,
    /** Wants every path (a reader of whole events). */
    private readonly everything = false,
    private readonly isRoot = false,
  ) {
    this.wanted = everything;
  }

  /** The node for `key` inside an object at this path, if anything there is wanted. */
  child(key: string): PathInterest | undefined {
    if (this.everything) return new PathInterest(this.isRoot ? key : `${this.path}.${key}`, true);
    const direct = this.children?.get(key);
    if (direct !== undefined || key.indexOf(".") < 0) return direct;
    let node: PathInterest | undefined = this;
    for (const segment of key.split(".")) {
      node = node.children?.get(segment);
      if (node === undefined) return undefined;
    }
    return node;
  }

  /** {@link child} for the key `text.slice(start, end)`, without slicing when the key is unwanted. */
  childAt(text: string, start: number, end: number): PathInterest | undefined {
    const list = this.childList;
    if (list !== undefined && list.length <= FEW_CHILDREN && !this.everything) {
      const length = end - start;
      for (const [key, node] of list) if (key.length === length && text.startsWith(key, start)) return node;
      for (let i = start; i < end; i++) if (text.charCodeAt(i) === 0x2e) return this.child(text.slice(start, end));
      return undefined;
    }
    return list === undefined && !this.everything ? undefined : this.child(text.slice(start, end));
  }

  /** Whether some wanted path lies below this one. */
  get hasChildren(): boolean {
    return this.everything || this.children !== undefined;
  }

  /** Adds a wanted path below this node. */
  add(path: string): void {
    let node: PathInterest = this;
    for (const segment of path.split(".")) {
      node.children ??= new Map();
      let next = node.children.get(segment);
      if (!next) {
        next = new PathInterest(node.isRoot ? segment : `${node.path}.${segment}`);
        node.children.set(segment, next);
        (node.childList ??= []).push([segment, next]);
      }
      node = next;
    }
    node.wanted = true;
  }
}

/** The interest for a set of pattern paths. */
export function interestIn(paths: Iterable<string>): PathInterest {
  const root = new PathInterest("", false, true);
  for (const path of paths) root.add(path);
  return root;
}

const EVERYTHING = new PathInterest("", true, true);
/** Up to this many children, keys are compared in place rather than looked up in a map. */
const FEW_CHILDREN = 8;

class Flattener {
  private nextArrayId = 0;
  private depth = 0;
  readonly leaves = new Map<string, Leaf[]>();

  constructor(
    private readonly scanner: JsonScanner,
  ) {}

  /** Reads the value at `pos`; `node` is `undefined` for a value nobody asked for. */
  private value(node: PathInterest | undefined, context: ArrayElement | null): void {
    const { scanner } = this;
    const code = scanner.skipWhitespace();
    if (node === undefined || (code === 0x7b && !node.hasChildren)) {
      try {
        return scanner.skipValue(MAX_NESTING_DEPTH - this.depth);
      } catch (error) {
        if (error instanceof NestingTooDeep) this.tooDeep(this.depth + error.depth);
        throw error;
      }
    }
    if (code === 0x7b) return this.object(node, context);
    if (code === 0x5b) return this.array(node, context);
    const leaf = this.scalar(code, context);
    if (node.wanted) this.add(node.path, leaf);
  }

  /** Counts one more level of nesting, refusing input deeper than Jackson accepts. */
  private enter(): void {
    if (++this.depth > MAX_NESTING_DEPTH) this.tooDeep(this.depth);
  }

  private tooDeep(depth: number): never {
    throw new InvalidEventError(`Event is not valid JSON: ${nestingTooDeep(depth)}`);
  }

  private add(path: string, leaf: Leaf): void {
    const existing = this.leaves.get(path);
    if (!existing) this.leaves.set(path, [leaf]);
    else {
      // A run of equal values in one array (`[1,1,1,...]`) adds nothing to match: keep one.
      const last = existing[existing.length - 1] as Leaf;
      if (last.context !== leaf.context || last.kind !== leaf.kind || last.text !== leaf.text) existing.push(leaf);
    }
  }

  private scalar(code: number, arrays: ArrayElement | null): Leaf {
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

  /** Reads an object at `pos` whose keys extend the path of `node`. */
  object(node: PathInterest, context: ArrayElement | null): void {
    const { scanner } = this;
    this.enter();
    scanner.pos++;
    let code = scanner.skipWhitespace();
    if (code === 0x7d) {
      scanner.pos++;
      this.depth--;
      return;
    }
    for (;;) {
      if (code !== 0x22) scanner.unexpected(code, "was expecting double-quote to start field name");
      // Most keys are plain and unwanted: compare them in place instead of slicing each one.
      const end = scanner.plainStringEnd();
      let child: PathInterest | undefined;
      if (end >= 0) {
        child = node.childAt(scanner.text, scanner.pos + 1, end);
        scanner.pos = end + 1;
      } else {
        child = node.child(scanner.readString());
      }
      const colon = scanner.skipWhitespace();
      if (colon !== 0x3a) scanner.unexpected(colon, "was expecting a colon to separate field name and value");
      scanner.pos++;
      this.value(child, context);
      code = this.separator(0x7d, "Object");
      if (code < 0) {
        this.depth--;
        return;
      }
    }
  }

  /** Reads an array at `pos`: its elements all sit at `path`. */
  private array(node: PathInterest, context: ArrayElement | null): void {
    const { scanner } = this;
    this.enter();
    scanner.pos++;
    if (scanner.skipWhitespace() === 0x5d) {
      scanner.pos++;
      this.depth--;
      return;
    }
    const arrayId = this.nextArrayId++;
    const depth = (context?.depth ?? 0) + 1;
    for (let index = 0; ; index++) {
      // Only objects and arrays record their element: scalars of one array never conflict.
      const code = scanner.skipWhitespace();
      const nested = code === 0x7b || code === 0x5b;
      this.value(node, nested ? new ArrayElement(context, arrayId, index, depth) : context);
      if (this.separator(0x5d, "Array") < 0) {
        this.depth--;
        return;
      }
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
 * Whether JSON text nests objects and arrays deeper than {@link MAX_NESTING_DEPTH} once placed
 * `levelsAbove` levels down (1 for an event's `detail`): such an event is refused by the matcher
 * with {@link InvalidEventError}, so a bus should refuse it up front. Syntax is not checked.
 */
export function nestedTooDeep(json: string, levelsAbove = 0): boolean {
  const scanner = new JsonScanner(json);
  try {
    scanner.skipValue(MAX_NESTING_DEPTH - levelsAbove);
    return false;
  } catch (error) {
    if (error instanceof NestingTooDeep) return true;
    return false;
  }
}

/**
 * Parses an event and returns its leaves by path, keeping only the paths in `interest` (all of
 * them when omitted). Throws {@link InvalidEventError} if the text is not a JSON object.
 */
export function flattenEvent(json: string, interest: PathInterest = EVERYTHING): FlatEvent {
  const scanner = new JsonScanner(json);
  const flattener = new Flattener(scanner);
  try {
    if (scanner.skipWhitespace() !== 0x7b) throw new InvalidEventError("Event is not a JSON object");
    flattener.object(interest, null);
    const trailing = scanner.skipWhitespace();
    if (trailing >= 0) scanner.unexpected(trailing, "expected end of input after the event object");
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new InvalidEventError(`Event is not valid JSON: ${error.message}`);
    throw error;
  }
  return flattener.leaves;
}
