/**
 * Arbitraries for the fuzz suite: valid Stripe events from the fixtures with a few fields replaced
 * by arbitrary JSON or removed, which reach the deep layers that random JSON never would.
 */
import fc from "fast-check";
import { fixtureNames, loadFixture } from "../../fixtures/index.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to a value in `value` (objects and arrays included), as key lists. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const here = prefix.length > 0 ? [prefix] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((item, index) => paths(item, [...prefix, index]))];
  if (value !== null && typeof value === "object") {
    return [...here, ...Object.entries(value).flatMap(([key, item]) => paths(item, [...prefix, key]))];
  }
  return here;
}

function setAt(root: Json, path: (string | number)[], replacement: Json | undefined): void {
  let parent = root as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const last = path.at(-1)!;
  if (replacement === undefined) delete parent[last];
  else parent[last] = replacement;
}

/** Values that break layers in interesting ways: out-of-range numbers, odd strings, wrong types. */
export const edgyValue: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue() as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(
    -1, 0, -0, 1.5, 9e15, 1e21, 2 ** 53 + 1, -(2 ** 63), 253_402_300_800, 999_999_999_999, 1_000_000_000_000,
    "", " ", "0", "NaN", "Infinity", "-1", "evt_", "pi_", "cus_", "javascript:alert(1)", "x\r\nBcc: a@b.c", "ja-JP", "zz-ZZ",
    "!!", "usd", "USD", "jpy", "kwd", "zzz", "\u0000", "\ud800", "💸", [], {}, null, true, false,
  ),
);

/** A fixture envelope with one to three values replaced by {@link edgyValue} or removed. */
export const mutatedEnvelope: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.constantFrom(...fixtureNames),
    fc.array(fc.tuple(fc.nat(), fc.option(edgyValue, { nil: undefined, freq: 4 })), { minLength: 1, maxLength: 3 }),
  )
  .map(([name, changes]) => {
    const envelope = loadFixture(name) as Json;
    for (const [pick, replacement] of changes) {
      const all = paths(envelope);
      if (all.length === 0) break;
      setAt(envelope, all[pick % all.length]!, replacement);
    }
    return envelope as Record<string, unknown>;
  });
