/**
 * Memoises dynalite's parses of `UpdateExpression`s and of condition expressions
 * (`ConditionExpression`, `KeyConditionExpression`, `FilterExpression`): PEG parsers run on every
 * request that carries one, the largest cost of validating it (a `PutItem` with
 * `attribute_not_exists(pk)` spent a fifth of its CPU parsing that). Clients send the same few
 * expressions with different values, so a parse is remembered per expression, attribute names and
 * the *types* of the attribute values: the update grammar's checks read a value's type only (its
 * `getImmediateType`), never its contents, and so does the condition grammar except in
 * `attribute_type` (the type name given) and `BETWEEN` (the bounds' order), whose expressions are
 * remembered per values' contents. A remembered parse is copied for each request with that
 * request's own value objects put where the first request's were (actions mutate the parse), and
 * the names and values it used are marked used as the parser would. Failed parses are not
 * remembered. Imported for its effect; dynalite is pinned (4.0.0) and its parsers are internals.
 */
import { createRequire } from "node:module";

interface ParseContext {
  readonly attrNames?: Record<string, string>;
  readonly attrVals?: Record<string, Record<string, unknown>>;
  readonly unusedAttrNames?: Record<string, boolean>;
  readonly unusedAttrVals?: Record<string, boolean>;
}

interface Parser {
  parse: ((input: string, options: { context: ParseContext }) => unknown) & { memoised?: true };
}

interface Remembered {
  /** The parse, with a placeholder object where each attribute value was. */
  readonly result: unknown;
  /** Placeholder -> attribute value name. */
  readonly values: ReadonlyMap<object, string>;
  readonly usedNames: readonly string[];
  readonly usedValues: readonly string[];
}

/** Expressions remembered per parser; past it the memo starts over. */
const MAX_REMEMBERED = 10_000;
/** The attribute value types, in the order dynalite's update parser tests them. */
const TYPES = ["S", "N", "B", "NULL", "BOOL", "SS", "NS", "BS", "L", "M"] as const;

const require = createRequire(import.meta.url);
memoise(require("dynalite/db/updateParser.js") as Parser, () => false);
// Conditions whose checks read values' contents, not only their types: keyed by contents too.
memoise(require("dynalite/db/conditionParser.js") as Parser, (input) => /attribute_type|between/i.test(input));

function memoise(parser: Parser, byContents: (input: string) => boolean): void {
  if (parser.parse.memoised) return;
  const parse = parser.parse.bind(parser);
  const memo = new Map<string, Remembered>();
  const memoised: Parser["parse"] = (input, options) => {
    const context = options.context;
    const key = memoKey(input, context, byContents(input));
    const remembered = key === undefined ? undefined : memo.get(key);
    if (remembered) {
      for (const name of remembered.usedNames) delete context.unusedAttrNames?.[name];
      for (const name of remembered.usedValues) delete context.unusedAttrVals?.[name];
      return instantiate(remembered.result, remembered.values, context.attrVals ?? {});
    }
    const unusedNames = Object.keys(context.unusedAttrNames ?? {});
    const unusedValues = Object.keys(context.unusedAttrVals ?? {});
    const result = parse(input, options);
    if (key !== undefined && typeof result === "object" && result !== null) {
      if (memo.size >= MAX_REMEMBERED) memo.clear();
      const names = Object.keys(context.attrVals ?? {});
      const placeholders = Object.fromEntries(names.map((name) => [name, Object.freeze({})]));
      memo.set(key, {
        // A copy of its own: the request's parse is about to be mutated by the action.
        result: instantiate(result, new Map(names.map((name) => [context.attrVals![name] as object, name])), placeholders),
        values: new Map(names.map((name) => [placeholders[name]!, name])),
        usedNames: unusedNames.filter((name) => !(name in (context.unusedAttrNames ?? {}))),
        usedValues: unusedValues.filter((name) => !(name in (context.unusedAttrVals ?? {}))),
      });
    }
    return result;
  };
  memoised.memoised = true;
  parser.parse = memoised;
}

/** The memo key, or undefined when a value is not an attribute value (the parser then decides). */
function memoKey(input: string, context: ParseContext, byContents: boolean): string | undefined {
  let key = `${input}\u0000${JSON.stringify(context.attrNames ?? null)}`;
  for (const [name, value] of Object.entries(context.attrVals ?? {})) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    key += `\u0000${name}=${byContents ? JSON.stringify(value) : (TYPES.find((type) => value[type] != null) ?? "?")}`;
  }
  return key;
}

/**
 * A deep copy of a parse (plain objects, keeping their prototype, and arrays), where a value
 * object found in `values` becomes the current request's value of that name.
 */
function instantiate(node: unknown, values: ReadonlyMap<object, string>, current: Record<string, unknown>): unknown {
  if (typeof node !== "object" || node === null) return node;
  const name = values.get(node);
  if (name !== undefined) return current[name];
  if (Array.isArray(node)) return node.map((element) => instantiate(element, values, current));
  const copy = Object.create(Object.getPrototypeOf(node) as object | null) as Record<string, unknown>;
  for (const [field, value] of Object.entries(node)) copy[field] = instantiate(value, values, current);
  return copy;
}
