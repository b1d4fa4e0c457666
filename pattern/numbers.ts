/**
 * Numbers as event-ruler compares them (`ComparableNumber`).
 *
 * A number literal takes part in numeric comparisons only when it is exactly the decimal form of
 * a finite double, i.e. it survives `BigDecimal -> double -> BigDecimal` unchanged. `300`, `300.0`
 * and `3.0e2` qualify and are equal; `9007199254740993` (above 2^53) or `0.10000000000000001` do
 * not, and such literals only ever match by their text. Doubles are ordered by their IEEE bits,
 * so `-0` sorts just below `0` and is not equal to it.
 */

/** Reason event-ruler gives when a pattern number cannot be compared. */
export function notComparableReason(literal: string): string {
  return `Cannot compare number : ${literal}`;
}

/**
 * The double a JSON number literal stands for, or `undefined` when event-ruler would not compare
 * it numerically (out of double range, or not exactly representable).
 */
export function comparableValue(literal: string): number | undefined {
  // Fast path: integers of up to 15 digits are exact doubles whatever their value.
  const length = literal.length;
  const start = literal.charCodeAt(0) === 0x2d ? 1 : 0;
  if (length - start <= 15 && length > start) {
    let digits = true;
    for (let i = start; i < length && digits; i++) {
      const code = literal.charCodeAt(i);
      digits = code >= 0x30 && code <= 0x39;
    }
    if (digits) return Number(literal);
  }
  const value = Number(literal);
  if (!Number.isFinite(value)) return undefined;
  return canonicalDecimal(literal) === canonicalDecimal(String(value)) ? value : undefined;
}

/**
 * A decimal string reduced to `<sign><digits>e<exponent>` with no leading or trailing zeros, so
 * that two spellings of the same decimal value compare equal as strings.
 */
function canonicalDecimal(text: string): string {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return text;
  const [, sign = "", whole = "", fraction = "", exponent = "0"] = match;
  const digits = whole + fraction;
  const firstNonZero = digits.search(/[1-9]/);
  if (firstNonZero < 0) return "0";
  const significant = digits.slice(firstNonZero).replace(/0+$/, "");
  const scale = Number(exponent) + whole.length - firstNonZero;
  return `${sign}${significant}e${scale}`;
}

/** Total order of doubles by IEEE bits (as event-ruler's encoding sorts them): `-0 < 0`. */
export function compareDoubles(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a !== 0) return 0;
  const aNegative = Object.is(a, -0);
  return aNegative === Object.is(b, -0) ? 0 : aNegative ? -1 : 1;
}

/** A numeric interval; unbounded sides use infinities, which no comparable event value reaches. */
export interface NumericRange {
  readonly bottom: number;
  readonly openBottom: boolean;
  readonly top: number;
  readonly openTop: boolean;
}

export function inRange(value: number, range: NumericRange): boolean {
  const low = compareDoubles(value, range.bottom);
  const high = compareDoubles(value, range.top);
  return (range.openBottom ? low > 0 : low >= 0) && (range.openTop ? high < 0 : high <= 0);
}
