/**
 * Matching behaviour per operator, written from the EventBridge "content filtering" and
 * "arrays" documentation and the event-ruler README.
 */
import { describe, expect, it } from "vitest";
import { compilePattern, InvalidEventError } from "./index.ts";

/** Arrange + act: compile `pattern` and match `event` (objects are serialised, strings kept as is). */
function matches(pattern: unknown, event: unknown): boolean {
  const text = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));
  return compilePattern(text(pattern)).matches(text(event));
}

describe("exact values", () => {
  it("matches a string field by equality and is case-sensitive", () => {
    const pattern = { source: ["aws.ec2"] };

    expect(matches(pattern, { source: "aws.ec2" })).toBe(true);
    expect(matches(pattern, { source: "AWS.EC2" })).toBe(false);
  });

  it("is type-strict between strings, numbers, booleans and null", () => {
    expect(matches({ a: [300] }, { a: "300" })).toBe(false);
    expect(matches({ a: ["true"] }, { a: true })).toBe(false);
    expect(matches({ a: ["null"] }, { a: null })).toBe(false);
    expect(matches({ a: [true] }, { a: true })).toBe(true);
    expect(matches({ a: [null] }, { a: null })).toBe(true);
  });

  it("compares numbers numerically: 300, 300.0 and 3.0e2 are equal", () => {
    const pattern = '{"a": [300]}';

    const results = ['{"a": 300}', '{"a": 300.0}', '{"a": 3.0e2}', '{"a": 301}'].map((event) =>
      matches(pattern, event),
    );

    expect(results).toEqual([true, true, true, false]);
  });

  it("compares numbers that are not exact doubles by their literal text", () => {
    // 2^53 + 1 rounds to 2^53 as a double; event-ruler only matches the same spelling.
    const pattern = '{"id": [9007199254740993]}';

    expect(matches(pattern, '{"id": 9007199254740993}')).toBe(true);
    expect(matches(pattern, '{"id": 9007199254740992}')).toBe(false);
  });

  it("matches the empty string only against an empty string", () => {
    expect(matches({ a: [""] }, { a: "" })).toBe(true);
    expect(matches({ a: [""] }, { a: " " })).toBe(false);
  });

  it("matches any of several values", () => {
    const pattern = { "detail-type": ["invoice.paid", "invoice.payment_failed"] };

    expect(matches(pattern, { "detail-type": "invoice.payment_failed" })).toBe(true);
    expect(matches(pattern, { "detail-type": "invoice.created" })).toBe(false);
  });

  it("needs every field of the pattern to match", () => {
    const pattern = { source: ["s"], "detail-type": ["t"] };

    expect(matches(pattern, { source: "s", "detail-type": "t" })).toBe(true);
    expect(matches(pattern, { source: "s" })).toBe(false);
  });
});

describe("nested objects and dotted keys", () => {
  it("follows nested objects", () => {
    const pattern = { detail: { state: ["running"] } };

    expect(matches(pattern, { detail: { state: "running" } })).toBe(true);
    expect(matches(pattern, { detail: { other: { state: "running" } } })).toBe(false);
  });

  it("treats a dotted key like the nested path, in patterns and in events", () => {
    const dotted = { detail: { "a.b": [1] } };
    const nested = { detail: { a: { b: [1] } } };

    expect(matches(dotted, { detail: { a: { b: 1 } } })).toBe(true);
    expect(matches(nested, { detail: { "a.b": 1 } })).toBe(true);
  });

  it("lets the last of duplicate pattern keys win", () => {
    const pattern = '{"a": ["x"], "a": ["y"]}';

    expect(matches(pattern, { a: "y" })).toBe(true);
    expect(matches(pattern, { a: "x" })).toBe(false);
  });
});

describe("event arrays", () => {
  it("matches when any element of the event array matches", () => {
    const pattern = { resources: ["arn:b"] };

    expect(matches(pattern, { resources: ["arn:a", "arn:b"] })).toBe(true);
    expect(matches(pattern, { resources: ["arn:a"] })).toBe(false);
  });

  it("requires fields inside objects of one array to come from the same element", () => {
    const event = { employees: [{ first: "John", last: "Doe" }, { first: "Anna", last: "Smith" }] };

    expect(matches({ employees: { first: ["Anna"], last: ["Smith"] } }, event)).toBe(true);
    expect(matches({ employees: { first: ["Anna"], last: ["Doe"] } }, event)).toBe(false);
  });

  it("does not tie plain values of one array to an element", () => {
    const event = { a: [{ b: "x" }, 1, 2] };

    expect(matches({ a: [2], "a.b": ["x"] }, event)).toBe(true);
  });
});

describe("prefix and suffix", () => {
  it("matches string prefixes and suffixes only", () => {
    expect(matches({ time: [{ prefix: "2017-10-02" }] }, { time: "2017-10-02T18:43:48Z" })).toBe(true);
    expect(matches({ file: [{ suffix: ".png" }] }, { file: "photo.png" })).toBe(true);
    expect(matches({ file: [{ suffix: ".png" }] }, { file: "photo.PNG" })).toBe(false);
    expect(matches({ n: [{ prefix: "12" }] }, { n: 123 })).toBe(false);
  });

  it("accepts an empty prefix, which matches every string", () => {
    expect(matches({ a: [{ prefix: "" }] }, { a: "anything" })).toBe(true);
    expect(matches({ a: [{ prefix: "" }] }, { a: 1 })).toBe(false);
  });

  it("ignores case when asked", () => {
    expect(matches({ s: [{ prefix: { "equals-ignore-case": "EventB" } }] }, { s: "eventbridge" })).toBe(true);
    expect(matches({ f: [{ suffix: { "equals-ignore-case": ".png" } }] }, { f: "A.PNG" })).toBe(true);
    expect(matches({ f: [{ suffix: { "equals-ignore-case": ".png" } }] }, { f: "a.jpg" })).toBe(false);
  });
});

describe("equals-ignore-case", () => {
  it("matches strings regardless of case", () => {
    const pattern = { name: [{ "equals-ignore-case": "alice" }] };

    expect(matches(pattern, { name: "ALICE" })).toBe(true);
    expect(matches(pattern, { name: "alicia" })).toBe(false);
  });
});

describe("wildcard", () => {
  it("lets * stand for any run of characters, including none", () => {
    const pattern = { key: [{ wildcard: "dir/*.png" }] };

    expect(matches(pattern, { key: "dir/a.png" })).toBe(true);
    expect(matches(pattern, { key: "dir/.png" })).toBe(true);
    expect(matches(pattern, { key: "dir/a.jpg" })).toBe(false);
  });

  it("treats an escaped star as a literal star", () => {
    const pattern = { key: [{ wildcard: "a\\*b" }] };

    expect(matches(pattern, { key: "a*b" })).toBe(true);
    expect(matches(pattern, { key: "axb" })).toBe(false);
  });
});

describe("anything-but", () => {
  it("matches every value except the listed ones", () => {
    const pattern = { state: [{ "anything-but": ["stopped", "overloaded"] }] };

    expect(matches(pattern, { state: "running" })).toBe(true);
    expect(matches(pattern, { state: "stopped" })).toBe(false);
  });

  it("matches null and other types, but not a missing field", () => {
    const pattern = { state: [{ "anything-but": "initializing" }] };

    expect(matches(pattern, { state: null })).toBe(true);
    expect(matches(pattern, { state: 5 })).toBe(true);
    expect(matches(pattern, {})).toBe(false);
  });

  it("excludes numbers numerically", () => {
    const pattern = '{"x": [{"anything-but": [100, 200]}]}';

    expect(matches(pattern, '{"x": 100.0}')).toBe(false);
    expect(matches(pattern, '{"x": 150}')).toBe(true);
    expect(matches(pattern, '{"x": "100"}')).toBe(true);
  });

  it("excludes by prefix, suffix, ignoring case and wildcard", () => {
    expect(matches({ r: [{ "anything-but": { prefix: "us-" } }] }, { r: "eu-west-1" })).toBe(true);
    expect(matches({ r: [{ "anything-but": { prefix: "us-" } }] }, { r: "us-east-1" })).toBe(false);
    expect(matches({ f: [{ "anything-but": { suffix: ".png" } }] }, { f: "a.png" })).toBe(false);
    expect(matches({ s: [{ "anything-but": { "equals-ignore-case": ["Stopped"] } }] }, { s: "STOPPED" })).toBe(false);
    expect(matches({ p: [{ "anything-but": { wildcard: "*/lib/*" } }] }, { p: "/usr/lib/x" })).toBe(false);
    expect(matches({ p: [{ "anything-but": { wildcard: "*/lib/*" } }] }, { p: "/usr/bin/x" })).toBe(true);
  });
});

describe("numeric", () => {
  it("matches one- and two-sided ranges", () => {
    const pattern = { c: [{ numeric: [">", 0, "<=", 5] }] };

    expect([0, 0.5, 5, 5.01].map((c) => matches(pattern, { c }))).toEqual([false, true, true, false]);
    expect(matches({ d: [{ numeric: ["<", 10] }] }, { d: 9.99 })).toBe(true);
    expect(matches({ x: [{ numeric: ["=", 301.8] }] }, '{"x": 3.018e2}')).toBe(true);
  });

  it("never matches strings", () => {
    expect(matches({ c: [{ numeric: [">", 0] }] }, { c: "5" })).toBe(false);
  });
});

describe("exists", () => {
  it("exists: true needs a leaf value, null included, but not [] or an object", () => {
    const pattern = { a: [{ exists: true }] };

    expect([{ a: 1 }, { a: null }, { a: [] }, { a: { b: 1 } }, {}].map((event) => matches(pattern, event))).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it("exists: false matches a missing field or [], not null", () => {
    const pattern = { a: [{ exists: false }] };

    expect([{}, { a: [] }, { a: null }, { a: "x" }].map((event) => matches(pattern, event))).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});

describe("cidr", () => {
  it("matches IPv4 and IPv6 addresses inside the block", () => {
    expect(matches({ ip: [{ cidr: "10.0.0.0/24" }] }, { ip: "10.0.0.255" })).toBe(true);
    expect(matches({ ip: [{ cidr: "10.0.0.0/24" }] }, { ip: "10.0.1.0" })).toBe(false);
    expect(matches({ ip: [{ cidr: "2001:db8::/32" }] }, { ip: "2001:db8:ffff::1" })).toBe(true);
    expect(matches({ ip: [{ cidr: "2001:db8::/32" }] }, { ip: "2001:db9::1" })).toBe(false);
  });

  it("compares exact IP strings as addresses", () => {
    expect(matches({ ip: ["::1"] }, { ip: "0:0:0:0:0:0:0:1" })).toBe(true);
  });
});

describe("$or", () => {
  it("matches when any branch matches, with the other fields applying to every branch", () => {
    const pattern = { source: ["s"], $or: [{ a: ["1"] }, { b: ["2"] }] };

    expect(matches(pattern, { source: "s", b: "2" })).toBe(true);
    expect(matches(pattern, { source: "t", b: "2" })).toBe(false);
    expect(matches(pattern, { source: "s", a: "2" })).toBe(false);
  });

  it("nests", () => {
    const pattern = { $or: [{ a: ["1"] }, { b: ["2"], $or: [{ c: ["3"] }, { d: ["4"] }] }] };

    expect(matches(pattern, { b: "2", d: "4" })).toBe(true);
    expect(matches(pattern, { b: "2" })).toBe(false);
  });

  it("is read as a field name when it is not a list of two or more objects", () => {
    const pattern = { $or: { a: ["x"] } };

    expect(matches(pattern, { $or: { a: "x" } })).toBe(true);
    expect(matches(pattern, { a: "x" })).toBe(false);
  });
});

describe("events", () => {
  it("rejects text that is not a JSON object", () => {
    const matcher = compilePattern('{"a": [1]}');

    expect(() => matcher.matches("[1]")).toThrow(InvalidEventError);
    expect(() => matcher.matches('{"a": 1')).toThrow(/Event is not valid JSON/);
  });
});
