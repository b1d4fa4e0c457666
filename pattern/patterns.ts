/**
 * Value patterns (what one element of a pattern's value array asks for) and how each one tests
 * an event leaf, following event-ruler's byte machine: string matchers only ever match strings,
 * numeric ones only comparable numbers, and an `anything-but` matches every value it cannot
 * prove excluded (`null`, numbers against a string list, ...).
 */
import type { IpRange } from "./ip.ts";
import { ipInRange } from "./ip.ts";
import { LeafKind, type Leaf } from "./event.ts";
import { compareDoubles, inRange, type NumericRange } from "./numbers.ts";
import {
  endsIgnoringCase,
  equalsIgnoringCase,
  matchesWildcard,
  startsIgnoringCase,
  type Caseless,
  type Wildcard,
} from "./text-match.ts";

export type ValuePattern =
  | { readonly type: "exact-string"; readonly value: string }
  /** A number literal: matches the same text, or (if comparable) any numerically equal number. */
  | { readonly type: "exact-number"; readonly text: string; readonly value: number | undefined }
  | { readonly type: "exact-literal"; readonly text: "true" | "false" | "null" }
  /** An exact IP literal or a `cidr` block: matches strings that are addresses in the range. */
  | { readonly type: "ip-range"; readonly range: IpRange }
  | { readonly type: "prefix"; readonly value: string }
  | { readonly type: "suffix"; readonly value: string }
  | { readonly type: "equals-ignore-case"; readonly value: Caseless }
  | { readonly type: "prefix-ignore-case"; readonly value: Caseless }
  | { readonly type: "suffix-ignore-case"; readonly value: Caseless }
  | { readonly type: "wildcard"; readonly value: Wildcard }
  | { readonly type: "numeric"; readonly range: NumericRange }
  | { readonly type: "anything-but-string"; readonly values: ReadonlySet<string> }
  | { readonly type: "anything-but-number"; readonly values: readonly number[] }
  | { readonly type: "anything-but-prefix"; readonly values: readonly string[] }
  | { readonly type: "anything-but-suffix"; readonly values: readonly string[] }
  | { readonly type: "anything-but-ignore-case"; readonly values: readonly Caseless[] }
  | { readonly type: "anything-but-wildcard"; readonly values: readonly Wildcard[] }
  | { readonly type: "exists"; readonly present: boolean };

function isString(leaf: Leaf): boolean {
  return leaf.kind === LeafKind.String;
}

function equalsNumber(leaf: Leaf, value: number): boolean {
  const number = leaf.number;
  return number !== null && compareDoubles(number, value) === 0;
}

/** Whether one leaf satisfies one pattern. `exists: false` never does: it is about absence. */
export function matchesLeaf(pattern: ValuePattern, leaf: Leaf): boolean {
  const { text } = leaf;
  switch (pattern.type) {
    case "exact-string":
      return isString(leaf) && text === pattern.value;
    case "exact-number":
      return (
        leaf.kind === LeafKind.Number &&
        (text === pattern.text || (pattern.value !== undefined && equalsNumber(leaf, pattern.value)))
      );
    case "exact-literal":
      return leaf.kind === LeafKind.Literal && text === pattern.text;
    case "ip-range": {
      const hex = leaf.ipHex;
      return hex !== null && ipInRange(hex, pattern.range);
    }
    case "prefix":
      return isString(leaf) && text.startsWith(pattern.value);
    case "suffix":
      return isString(leaf) && text.endsWith(pattern.value);
    case "equals-ignore-case":
      return isString(leaf) && equalsIgnoringCase(text, pattern.value);
    case "prefix-ignore-case":
      return isString(leaf) && startsIgnoringCase(text, pattern.value);
    case "suffix-ignore-case":
      return isString(leaf) && endsIgnoringCase(text, pattern.value);
    case "wildcard":
      return isString(leaf) && matchesWildcard(text, pattern.value);
    case "numeric": {
      const number = leaf.number;
      return number !== null && inRange(number, pattern.range);
    }
    case "anything-but-string":
      return !(isString(leaf) && pattern.values.has(text));
    case "anything-but-number":
      return !pattern.values.some((value) => equalsNumber(leaf, value));
    case "anything-but-prefix":
      return !(isString(leaf) && pattern.values.some((prefix) => text.startsWith(prefix)));
    case "anything-but-suffix":
      return !(isString(leaf) && pattern.values.some((suffix) => text.endsWith(suffix)));
    case "anything-but-ignore-case":
      return !(isString(leaf) && pattern.values.some((value) => equalsIgnoringCase(text, value)));
    case "anything-but-wildcard":
      return !(isString(leaf) && pattern.values.some((wildcard) => matchesWildcard(text, wildcard)));
    case "exists":
      return pattern.present;
  }
}
