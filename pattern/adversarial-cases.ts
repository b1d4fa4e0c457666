/**
 * Inputs that made a backtracking matcher exponential (issue 19) and generated worst cases, each
 * with the answer EventBridge's engine gives: shared by `adversarial.test.ts` (which asserts the
 * answers, so a regression to exponential time shows up as a time-out) and
 * `bench/pattern-adversarial.ts` (which times them). Generated events stay within EventBridge's
 * historical 256 KB entry limit (the largest is about 200 KB).
 */
import { MAX_SUB_RULES, tooManySubRules } from "./compiler.ts";
import { ORDERED_AMBIGUOUS_STEPS } from "./ordered-walk.ts";
import { tooComplexToMatch } from "./errors.ts";
import { MAX_NESTING_DEPTH, nestingTooDeep } from "./event.ts";

export type Expected = "match" | "no-match" | { readonly invalidPattern: string } | { readonly invalidEvent: string };

export interface AdversarialCase {
  readonly name: string;
  readonly pattern: string;
  readonly event: string;
  readonly expected: Expected;
}

const ENVELOPE =
  '"version":"0","id":"e-1","detail-type":"adversarial","source":"paybus.test","account":"111122223333","time":"2026-01-01T00:00:00Z","region":"us-east-1","resources":[]';

/** An event whose `detail` is the given JSON text. */
function event(detail: string): string {
  return `{${ENVELOPE},"detail":${detail}}`;
}

function repeat(text: string, times: number, separator = ","): string {
  return Array.from({ length: times }, () => text).join(separator);
}

/** `n` two-way `$or`s, one per field of `detail` (no duplicate keys). */
function orFields(n: number): string {
  const fields = Array.from({ length: n }, (_, i) => `"f${i}":{"$or":[{"a":[1]},{"b":[1]}]}`);
  return `{"detail":{${fields.join(",")}}}`;
}

/** `n` repeated `$or` keys in one object (the last-wins rule does not apply to `$or`). */
function repeatedOrKeys(n: number): string {
  return `{"detail":{${repeat('"$or":[{"a":[1]},{"b":[1]}]', n)}}}`;
}

function nestedArrays(depth: number, inner: string): string {
  return `${"[".repeat(depth)}${inner}${"]".repeat(depth)}`;
}

/** `n` objects `{"a":1,"b":1,"c":1}` then, if `last` is given, one more object. */
function objects(n: number, last?: string): string {
  return `[${repeat('{"a":1,"b":1,"c":1}', n)}${last ? `,${last}` : ""}]`;
}

const ones = (n: number): string => `[${repeat("1", n)}]`;

/** `{"p0":[1],...}`: one required field per pigeon (or clause). */
function fieldsOf(prefix: string, n: number, values = "[1]"): string {
  return Array.from({ length: n }, (_, i) => `"${prefix}${i}":${values}`).join(",");
}

/**
 * `holes` arrays at one path, each spelled as its own key (duplicate keys, or `"a.b"` next to
 * `"a":{"b"}` when `dotted`), each holding one element per pigeon with that pigeon's field (and
 * `extra` members). A match must take every pigeon from a different array.
 */
function pigeonholes(holes: number, pigeons: number, { dotted = false, extra = "" } = {}): string {
  const array = `[${Array.from({ length: pigeons }, (_, i) => `{"p${i}":1${extra}}`).join(",")}]`;
  const spell = (hole: number) => (dotted && hole % 2 === 1 ? `"a.b":${array}` : `"a":{"b":${array}}`);
  return event(`{${Array.from({ length: holes }, (_, hole) => spell(hole)).join(",")}}`);
}

/** A deterministic pseudo-random sequence (the cases must be the same on every run). */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x80000000;
  };
}

/**
 * 3-SAT in an event: one array per variable, spelled `a` each time (duplicate keys), whose two
 * elements (true, false) hold the clauses that value satisfies; the pattern requires every clause.
 * Each clause is drawn to hold under a hidden assignment, so the event matches.
 */
function plantedSat(variables: number, clauses: number, seed: number): { pattern: string; event: string } {
  const random = lcg(seed);
  const hidden = Array.from({ length: variables }, () => random() < 0.5);
  const drawn: number[][] = [];
  while (drawn.length < clauses) {
    const picked = new Set<number>();
    while (picked.size < 3) picked.add(Math.floor(random() * variables));
    // Literal v+1 is "variable v true", -(v+1) "false".
    const clause = [...picked].map((v) => (random() < 0.5 ? v + 1 : -(v + 1)));
    if (clause.some((literal) => (literal > 0) === hidden[Math.abs(literal) - 1])) drawn.push(clause);
  }
  const element = (literal: number) => `{${drawn.flatMap((clause, i) => (clause.includes(literal) ? [`"c${i}":1`] : [])).join(",")}}`;
  const arrays = Array.from({ length: variables }, (_, v) => `"a":[${element(v + 1)},${element(-(v + 1))}]`);
  return { pattern: `{"detail":{"a":{${fieldsOf("c", clauses)}}}}`, event: event(`{${arrays.join(",")}}`) };
}

const planted = plantedSat(40, 170, 19);

/** Depth of the event root object (1) and `detail` (2) come on top of the arrays. */
const DEEPEST_ACCEPTED_ARRAYS = MAX_NESTING_DEPTH - 2;

export const adversarialCases: readonly AdversarialCase[] = [
  {
    name: "issue: four fields of 100 equal values, last field fails (978-byte event)",
    pattern: '{"detail":{"a":[1],"b":[1],"c":[1],"d":[1],"z":[2]}}',
    event: event(`{"a":${ones(100)},"b":${ones(100)},"c":${ones(100)},"d":${ones(100)},"z":[3]}`),
    expected: "no-match",
  },
  {
    name: "issue: three fields of 1,000 values, last field fails",
    pattern: '{"detail":{"a":[1],"b":[1],"c":[1],"z":[2]}}',
    event: event(`{"a":${ones(1000)},"b":${ones(1000)},"c":${ones(1000)},"z":[3]}`),
    expected: "no-match",
  },
  {
    name: "eight fields, seven of 15,000 values each, then a match",
    pattern: '{"detail":{"a":[1],"b":[1],"c":[1],"d":[1],"e":[1],"f":[1],"g":[1],"z":[3]}}',
    event: event(`{${["a", "b", "c", "d", "e", "f", "g"].map((k) => `"${k}":${ones(15_000)}`).join(",")},"z":[3]}`),
    expected: "match",
  },
  {
    name: "array of 10,000 objects, one field never present",
    pattern: '{"detail":{"items":{"a":[1],"b":[1],"c":[1],"d":[1]}}}',
    event: event(`{"items":${objects(10_000)}}`),
    expected: "no-match",
  },
  {
    name: "array of 10,000 objects, only the last element has every field",
    pattern: '{"detail":{"items":{"a":[1],"b":[1],"c":[1],"d":[2]}}}',
    event: event(`{"items":${objects(10_000, '{"a":1,"b":1,"c":1,"d":2}')}}`),
    expected: "match",
  },
  {
    name: "fields spread over different elements of 10,000 are not array-consistent",
    pattern: '{"detail":{"items":{"a":[1],"b":[1],"d":[2]}}}',
    event: event(`{"items":${objects(10_000, '{"d":2}')}}`),
    expected: "no-match",
  },
  {
    name: "three sibling arrays of 3,000 objects, fields consistent per array",
    pattern: '{"detail":{"p":{"a":[1],"b":[1]},"q":{"a":[1],"b":[1]},"r":{"a":[1],"c":[2]}}}',
    event: event(`{"p":${objects(3000)},"q":${objects(3000)},"r":${objects(3000, '{"a":1,"c":2}')}}`),
    expected: "match",
  },
  {
    name: "exists:false inside an array of 10,000 objects (order-dependent absence)",
    pattern: '{"detail":{"items":{"a":[1],"b":[{"exists":false}],"c":[1]}}}',
    event: event(`{"items":${objects(10_000)}}`),
    expected: "no-match",
  },
  {
    name: "exists:false inside an array of 10,000 objects, absent in the last element",
    pattern: '{"detail":{"items":{"a":[1],"b":[{"exists":false}],"c":[2]}}}',
    event: event(`{"items":${objects(10_000, '{"a":1,"c":2}')}}`),
    expected: "match",
  },
  {
    name: `${MAX_SUB_RULES}-combination $or (twelve two-way $or fields), accepted`,
    pattern: orFields(12),
    event: event(`{${Array.from({ length: 12 }, (_, i) => `"f${i}":{"b":1}`).join(",")}}`),
    expected: "match",
  },
  {
    name: "issue: seventeen two-way $or fields (614 bytes) are refused",
    pattern: orFields(17),
    event: event("{}"),
    expected: { invalidPattern: tooManySubRules() },
  },
  {
    name: "issue: eighteen repeated $or keys are refused, not a stack overflow",
    pattern: repeatedOrKeys(18),
    event: event("{}"),
    expected: { invalidPattern: tooManySubRules() },
  },
  {
    name: `array nested ${DEEPEST_ACCEPTED_ARRAYS} deep at a matched path (the deepest accepted)`,
    pattern: '{"detail":{"a":[1]}}',
    event: event(`{"a":${nestedArrays(DEEPEST_ACCEPTED_ARRAYS, "1")}}`),
    expected: "match",
  },
  {
    name: "issue: array nested 20,000 deep at a matched path is refused",
    pattern: '{"detail":{"a":[1]}}',
    event: event(`{"a":${nestedArrays(20_000, "1")}}`),
    expected: { invalidEvent: `Event is not valid JSON: ${nestingTooDeep(MAX_NESTING_DEPTH + 1)}` },
  },
  {
    name: "array nested 20,000 deep at a path no rule reads is refused",
    pattern: '{"detail":{"a":[1]}}',
    event: event(`{"a":1,"other":${nestedArrays(20_000, "1")}}`),
    expected: { invalidEvent: `Event is not valid JSON: ${nestingTooDeep(MAX_NESTING_DEPTH + 1)}` },
  },
  {
    name: "objects nested 20,000 deep at a matched path are refused",
    pattern: '{"detail":{"a":[1]}}',
    event: event(`${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}`),
    expected: { invalidEvent: `Event is not valid JSON: ${nestingTooDeep(MAX_NESTING_DEPTH + 1)}` },
  },
  {
    name: "nested arrays of objects 400 deep, 5 wide at each level, consistent match at the bottom",
    pattern: '{"detail":{"n":{"x":[1],"y":[2]}}}',
    event: event(`{"n":${deepObjects(400)}}`),
    expected: "match",
  },
  {
    name: "twenty arrays spelled twice over (duplicate keys), twenty-one fields each in one element of every array (pigeonhole)",
    pattern: `{"detail":{"a":{"b":{${fieldsOf("p", 21)}}}}}`,
    event: pigeonholes(20, 21),
    expected: "no-match",
  },
  {
    name: "thirty arrays at one path spelled \"a.b\" and \"a\":{\"b\"} in turn, thirty fields: a perfect matching",
    pattern: `{"detail":{"a":{"b":{${fieldsOf("p", 30)}}}}}`,
    event: pigeonholes(30, 30, { dotted: true }),
    expected: "match",
  },
  {
    name: "satisfiable 3-SAT as duplicate keys: 40 arrays of two elements, 170 clause fields",
    pattern: planted.pattern,
    event: planted.event,
    expected: "match",
  },
  {
    name: "exists:false after fields chosen among 6 duplicate-key arrays (order-dependent walk), decided",
    pattern: `{"detail":{"a":{"b":{${fieldsOf("p", 6)},"~":[{"exists":false}]}}}}`,
    event: pigeonholes(6, 6, { extra: ',"~":1' }),
    expected: "no-match",
  },
  {
    name: `exists:false after fields chosen among 12 duplicate-key arrays: refused past ${ORDERED_AMBIGUOUS_STEPS} steps (a deliberate difference)`,
    pattern: `{"detail":{"a":{"b":{${fieldsOf("p", 12)},"~":[{"exists":false}]}}}}`,
    event: pigeonholes(12, 12, { extra: ',"~":1' }),
    expected: { invalidEvent: tooComplexToMatch() },
  },
];

/** Arrays of objects nested `depth` deep; only the innermost object of the last path holds `y`. */
function deepObjects(depth: number): string {
  let inner = '{"x":1,"y":2}';
  for (let level = 0; level < depth; level++) inner = `[${repeat('{"x":1}', 4)},${inner}]`;
  return inner;
}
