/**
 * String matchers beyond plain equality: wildcards and the equals-ignore-case family.
 */

/** A wildcard pattern split at its unescaped `*`: `a*b\*c` is `["a", "b*c"]`. */
export type Wildcard = readonly string[];

/** Thrown for a malformed wildcard; carries event-ruler's message. */
export class WildcardError extends Error {
  override readonly name = "WildcardError";
}

function utf8Length(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  return code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
}

/**
 * Parses a wildcard value. Positions in errors count UTF-8 bytes of the value wrapped in quotes,
 * because event-ruler validates the quoted form (`"foo**bar"` fails "at pos 4").
 */
export function parseWildcard(value: string): Wildcard {
  const chars = Array.from(value);
  const segments: string[] = [];
  let current = "";
  let bytePos = 1;
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] as string;
    const next = chars[i + 1];
    if (char === "*") {
      if (next === "*") throw new WildcardError(`Consecutive wildcard characters at pos ${bytePos}`);
      segments.push(current);
      current = "";
    } else if (char === "\\") {
      if (next !== "*" && next !== "\\") throw new WildcardError(`Invalid escape character at pos ${bytePos}`);
      current += next;
      bytePos++;
      i++;
    } else {
      current += char;
    }
    bytePos += utf8Length(char);
  }
  segments.push(current);
  return segments;
}

/** Whether `value` matches the wildcard; each `*` matches any run of characters, even empty. */
export function matchesWildcard(value: string, wildcard: Wildcard): boolean {
  const first = wildcard[0] ?? "";
  if (wildcard.length === 1) return value === first;
  const last = wildcard[wildcard.length - 1] ?? "";
  if (value.length < first.length + last.length || !value.startsWith(first) || !value.endsWith(last)) {
    return false;
  }
  // With `*` as the only metacharacter, taking the leftmost occurrence of each middle segment
  // never loses a match.
  let pos = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < wildcard.length - 1; i++) {
    const segment = wildcard[i] ?? "";
    const found = value.indexOf(segment, pos);
    if (found < 0 || found + segment.length > end) return false;
    pos = found + segment.length;
  }
  return true;
}

/**
 * An equals-ignore-case pattern: for each UTF-16 unit of the pattern, the spellings it accepts.
 * event-ruler lower- and upper-cases each unit on its own (so `ß` accepts `ß` or `SS`), and a lone
 * surrogate becomes `?` when Java encodes it, which is what it then matches.
 */
export type Caseless = readonly (readonly string[])[];

export function caseless(pattern: string): Caseless {
  const units: string[][] = [];
  for (let i = 0; i < pattern.length; i++) {
    const unit = pattern[i] as string;
    const code = unit.charCodeAt(0);
    if (code >= 0xd800 && code <= 0xdfff) {
      units.push(["?"]);
      continue;
    }
    const lower = unit.toLowerCase();
    const upper = unit.toUpperCase();
    units.push(lower === upper ? [lower] : [lower, upper]);
  }
  return units;
}

/**
 * Positions in `value` reachable by matching all of `pattern` forwards from `start`
 * (or backwards from `start` when `backwards`).
 */
function caselessEnds(value: string, pattern: Caseless, start: number, backwards: boolean): Set<number> {
  let positions = new Set([start]);
  for (const alternatives of backwards ? [...pattern].reverse() : pattern) {
    const next = new Set<number>();
    for (const pos of positions) {
      for (const spelling of alternatives) {
        const from = backwards ? pos - spelling.length : pos;
        if (from >= 0 && value.startsWith(spelling, from)) next.add(backwards ? from : pos + spelling.length);
      }
    }
    if (next.size === 0) return next;
    positions = next;
  }
  return positions;
}

export function equalsIgnoringCase(value: string, pattern: Caseless): boolean {
  return caselessEnds(value, pattern, 0, false).has(value.length);
}

export function startsIgnoringCase(value: string, pattern: Caseless): boolean {
  return caselessEnds(value, pattern, 0, false).size > 0;
}

export function endsIgnoringCase(value: string, pattern: Caseless): boolean {
  return caselessEnds(value, pattern, value.length, true).size > 0;
}
