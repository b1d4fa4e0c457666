/**
 * Adversarial inputs (issue 19): each case must give EventBridge's answer through both
 * `compilePattern` and `RuleSet`. A regression to exponential matching shows up as a time-out
 * (generous, for a loaded machine); speed itself is measured in `bench/pattern-adversarial.ts`.
 *
 * The randomised part checks the linear matcher against a direct transcription of
 * event-ruler's search (every combination of leaves, in sorted field order), on events small
 * enough for that search.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { adversarialCases, type Expected } from "./adversarial-cases.ts";
import { MAX_SUB_RULES } from "./compiler.ts";
import { consistentContexts, flattenEvent, type ArrayElement, type FlatEvent, type Leaf } from "./event.ts";
import { compilePattern, InvalidEventError, InvalidEventPatternError, nestedTooDeep, RuleSet } from "./index.ts";
import { compileRule, type FieldRule } from "./matcher.ts";
import { matchesLeaf } from "./patterns.ts";

const TIMEOUT_MS = 20_000;

type Outcome = "match" | "no-match" | { invalidPattern: string } | { invalidEvent: string };

function outcome(decide: () => boolean): Outcome {
  try {
    return decide() ? "match" : "no-match";
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return { invalidPattern: error.message };
    if (error instanceof InvalidEventError) return { invalidEvent: error.message };
    throw error;
  }
}

function throughRuleSet(pattern: string, event: string): boolean {
  const rules = new RuleSet();
  rules.add("other", '{"detail":{"zzz":["never"]}}');
  rules.add("case", pattern);
  return rules.matchingRules(event).includes("case");
}

describe("adversarial cases", () => {
  it.each(adversarialCases.map((c) => [c.name, c] as const))(
    "%s",
    (_name, { pattern, event, expected }) => {
      const single = outcome(() => compilePattern(pattern).matches(event));
      const together = outcome(() => throughRuleSet(pattern, event));

      expect(single).toEqual(expected satisfies Expected);
      expect(together).toEqual(expected);
    },
    TIMEOUT_MS,
  );
});

describe("limits on what a pattern may expand to", () => {
  const fields = (count: number) => JSON.stringify({ detail: Object.fromEntries(Array.from({ length: count }, (_, i) => [`f${i}`, [1]])) });

  it("refuses a rule of more than 256 fields with event-ruler's message, naming the rule", () => {
    const options = { maxPatternBytes: 8192 };
    const rules = new RuleSet(options);

    expect(() => compilePattern(fields(256), options)).not.toThrow();
    expect(() => compilePattern(fields(257), options)).toThrow("Size of rule 'pattern' exceeds max value of 256");
    expect(() => rules.add("too-wide", fields(257))).toThrow("Size of rule 'too-wide' exceeds max value of 256");
  });

  it(`accepts exactly ${MAX_SUB_RULES} $or combinations and refuses one more branch`, () => {
    // 2^12 = 4096; a third alternative in the last $or makes 2^11 * 3 = 6144.
    const twelve = Array.from({ length: 12 }, (_, i) => `"f${i}":{"$or":[{"a":[1]},{"b":[1]}]}`);
    const threeWay = [...twelve.slice(0, 11), `"f11":{"$or":[{"a":[1]},{"b":[1]},{"c":[1]}]}`];

    expect(() => compilePattern(`{"detail":{${twelve.join(",")}}}`)).not.toThrow();
    expect(() => compilePattern(`{"detail":{${threeWay.join(",")}}}`)).toThrow(InvalidEventPatternError);
  });
});

describe("nestedTooDeep", () => {
  it("tells a bus which details the matcher would refuse (1,000 levels with the envelope)", () => {
    const detail = (arrays: number) => `{"a":${"[".repeat(arrays)}1${"]".repeat(arrays)}}`;

    expect(nestedTooDeep(detail(998), 1)).toBe(false);
    expect(nestedTooDeep(detail(999), 1)).toBe(true);
    expect(() => compilePattern('{"a":[1]}').matches(`{"detail":${detail(998)}}`)).not.toThrow();
    expect(() => compilePattern('{"a":[1]}').matches(`{"detail":${detail(999)}}`)).toThrow(InvalidEventError);
  });
});

/** event-ruler's search, transcribed: one leaf per field in sorted order, array-consistent. */
function referenceMatches(patternJson: string, eventJson: string): boolean {
  const pattern = compileRule(patternJson);
  const event = flattenEvent(eventJson);
  return pattern.subRules.some((fields) => search(fields, 0, event, []));
}

function search(fields: readonly FieldRule[], index: number, event: FlatEvent, chosen: (ArrayElement | null)[]): boolean {
  const field = fields[index];
  if (!field) return true;
  const leaves: readonly Leaf[] = event.get(field.path) ?? [];
  const consistent = (leaf: Leaf) => chosen.every((other) => consistentContexts(other, leaf.context));
  if (field.allowsAbsence && !leaves.some(consistent) && search(fields, index + 1, event, chosen)) return true;
  return leaves.some(
    (leaf) =>
      consistent(leaf) &&
      field.patterns.some((p) => matchesLeaf(p, leaf)) &&
      search(fields, index + 1, event, [...chosen, leaf.context]),
  );
}

/** Small events built from a few keys, so that paths collide, arrays nest and dotted keys appear. */
const KEYS = ["a", "b", "a.b"] as const;
const scalar = fc.constantFrom<unknown>(1, 2, "x", null, true);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("array"), tie("object")),
  array: fc.array(tie("node"), { maxLength: 3 }),
  object: fc.dictionary(fc.constantFrom(...KEYS), tie("node"), { maxKeys: 3 }),
})).node;

const leafPattern = fc.constantFrom('[1]', '[2, "x"]', '[{"exists": false}]', '[{"exists": true}]', '[{"anything-but": 2}]', "[null]");
const patternArbitrary = fc
  .uniqueArray(fc.tuple(fc.constantFrom("a", "b", "a.a", "a.b", "b.a", "b.b", "a.b.a"), leafPattern), {
    minLength: 1,
    maxLength: 4,
    selector: ([path]) => path,
  })
  .map((fields) => JSON.stringify(Object.fromEntries(fields.map(([path, values]) => [path, JSON.parse(values)]))));

describe("agreement with event-ruler's exhaustive search", () => {
  it(
    "gives the same answer on random small events and patterns (arrays of objects, exists:false, dotted keys)",
    () => {
      fc.assert(
        fc.property(patternArbitrary, fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 3 }), (pattern, eventValue) => {
          const event = JSON.stringify(eventValue);
          const expected = referenceMatches(pattern, event);

          expect(compilePattern(pattern).matches(event)).toBe(expected);
          expect(throughRuleSet(pattern, event)).toBe(expected);
        }),
        { numRuns: 3000, seed: 19 },
      );
    },
    TIMEOUT_MS * 3,
  );

  // Duplicate keys (and dotted keys next to nested objects) put one path in several arrays of one
  // element: the case the search of ambiguous.ts decides. JSON text is built by hand so that
  // keys can repeat; the reader keeps every occurrence, as event-ruler's streaming parser does.
  const member = fc.tuple(fc.constantFrom("p", "q", "r"), fc.constantFrom("1", "1", "2", "[1,2]"));
  const objectText = fc.array(member, { maxLength: 2 }).map((entries) => `{${entries.map(([key, item]) => `"${key}":${item}`).join(",")}}`);
  const arrayText = fc.array(objectText, { minLength: 1, maxLength: 4 }).map((items) => `[${items.join(",")}]`);
  // "a" repeated, and "a" next to {"a": {...}} spelled as the dotted key "x.a" under "x".
  const spelling = fc.constantFrom('"a":', '"a":', '"a":', '"x":{"a":', '"x.a":');
  const duplicateKeyEvent = fc
    .array(fc.tuple(spelling, arrayText), { minLength: 2, maxLength: 4 })
    .map((entries) => `{${entries.map(([key, item]) => `${key}${item}${key.startsWith('"x":') ? "}" : ""}`).join(",")}}`);
  const duplicateKeyPattern = fc
    .uniqueArray(fc.tuple(fc.constantFrom("a.p", "a.q", "a.r", "x.a.p", "x.a.q"), fc.oneof(fc.constant("[1]"), leafPattern)), {
      minLength: 2,
      maxLength: 4,
      selector: ([path]) => path,
    })
    .map((fields) => JSON.stringify(Object.fromEntries(fields.map(([path, values]) => [path, JSON.parse(values)]))));

  it(
    "gives the same answer on events with duplicate keys (one path in several arrays of one element)",
    () => {
      fc.assert(
        fc.property(duplicateKeyPattern, duplicateKeyEvent, (pattern, event) => {
          const expected = referenceMatches(pattern, event);

          expect(compilePattern(pattern).matches(event)).toBe(expected);
          expect(throughRuleSet(pattern, event)).toBe(expected);
        }),
        { numRuns: 4000, seed: 2019 },
      );
    },
    TIMEOUT_MS * 3,
  );

  // The shape of the one-array shortcut (ordered-walk.ts, oneArraySearch): exists:false inside one
  // array of objects, next to fields outside it, with values that do and do not match.
  const flatScalar = fc.constantFrom<unknown>(1, 2, "x");
  const element = fc.dictionary(fc.constantFrom("a", "b", "c"), flatScalar, { maxKeys: 3 });
  const oneArrayEvent = fc.record(
    { items: fc.array(element, { maxLength: 6 }), a: flatScalar, z: fc.array(flatScalar, { maxLength: 2 }) },
    { requiredKeys: ["items"] },
  );
  const oneArrayPattern = fc
    .uniqueArray(fc.tuple(fc.constantFrom("items.a", "items.b", "items.c", "a", "z"), leafPattern), { minLength: 1, maxLength: 5, selector: ([path]) => path })
    .map((fields) => JSON.stringify(Object.fromEntries(fields.map(([path, values]) => [path, JSON.parse(values)]))));

  it(
    "gives the same answer on one array of objects with exists:false fields inside and fields outside",
    () => {
      fc.assert(
        fc.property(oneArrayPattern, oneArrayEvent, (pattern, eventValue) => {
          const event = JSON.stringify(eventValue);
          const expected = referenceMatches(pattern, event);

          expect(compilePattern(pattern).matches(event)).toBe(expected);
          expect(throughRuleSet(pattern, event)).toBe(expected);
        }),
        { numRuns: 5000, seed: 1919 },
      );
    },
    TIMEOUT_MS * 3,
  );
});
