import { describe, expect, it } from "vitest";
import { compilePattern, InvalidEventError, InvalidEventPatternError, RuleSet, validateEnvelope } from "./index.ts";

const event = (fields: Record<string, unknown>) =>
  JSON.stringify({
    version: "0",
    id: "e-1",
    "detail-type": "invoice.paid",
    source: "aws.partner/stripe.com/ed_test_x",
    account: "111122223333",
    time: "2026-01-01T00:00:00Z",
    region: "us-east-1",
    resources: [],
    detail: {},
    ...fields,
  });

describe("RuleSet", () => {
  it("returns the rules an event matches, in the order they were added", () => {
    const rules = new RuleSet();
    rules.add("Paid", '{"detail-type": ["invoice.paid"]}');
    rules.add("Stripe", '{"source": [{"prefix": "aws.partner/stripe.com/"}]}');
    rules.add("Failed", '{"detail-type": ["invoice.payment_failed"]}');

    const matched = rules.matchingRules(event({}));

    expect(matched).toEqual(["Paid", "Stripe"]);
  });

  it("finds prefixes and suffixes of many rules at one path through its index, as each rule alone decides", () => {
    // Several lengths, shared texts, the empty affix, multi-unit characters and non-strings.
    const affixes = ["", "a", "ab", "abc", "b", "bc", "c", "\u00e9", "\ud83d\ude00", "x-", "1"];
    const patterns = affixes.flatMap((text, i) => [
      [`prefix-${i}`, JSON.stringify({ detail: { v: [{ prefix: text }] } })],
      [`suffix-${i}`, JSON.stringify({ detail: { v: [{ suffix: text }] } })],
      [`both-${i}`, JSON.stringify({ detail: { v: [{ prefix: text }, { suffix: text }, "zz"] } })],
    ]) as [string, string][];
    const rules = new RuleSet();
    for (const [name, pattern] of patterns) rules.add(name, pattern);
    const values: unknown[] = ["", "a", "abc", "cab", "bca", "\u00e9t\u00e9", "\ud83d\ude00!", "x-y", "zz", 1, 12, null, true, ["ab", "bc"], [{ w: "a" }]];

    for (const value of values) {
      const json = event({ detail: { v: value } });
      const alone = patterns.filter(([, pattern]) => compilePattern(pattern).matches(json)).map(([name]) => name);

      expect(rules.matchingRules(json), JSON.stringify(value)).toEqual(alone);
    }
    expect(rules.matchingRules(event({ detail: { v: "abc" } }))).toContain("prefix-3");
    expect(rules.matchingRules(event({ detail: { v: "abc" } }))).toContain("suffix-5");
  });

  it.each([
    ["a few ranges (looked up by value)", 1],
    ["200 nested ranges each (tested one by one)", 200],
  ])("finds the numeric ranges of many rules at one path, as each rule alone decides: %s", (_name, nesting) => {
    const ranges: unknown[][] = [
      ["=", 0],
      ["=", -0],
      [">", 0],
      [">=", 0],
      ["<", 0],
      ["<=", -0],
      [">", 1, "<=", 5],
      [">=", 1, "<", 5],
      [">", -1e9, "<", 1e9],
      [">", 5],
      ["<", 1.5],
      [">=", 5, "<=", 5.5],
      ...Array.from({ length: nesting }, (_, i) => [">", i / 4, "<", 1000 - i]),
    ];
    const patterns = ranges.map((range, i) => [`range-${i}`, JSON.stringify({ detail: { v: [{ numeric: range }] } })] as const);
    const rules = new RuleSet();
    for (const [name, pattern] of patterns) rules.add(name, pattern);
    const values = ["0", "-0", "0.0", "1", "1.0", "1.5", "5", "5.0", "5e0", "4.999", "-1", "1e9", "1000", "999.75", "12.25", "9007199254740993", '"5"', "null", "[0, 6]"];

    for (const value of values) {
      const json = event({}).replace('"detail":{}', `"detail":{"v":${value}}`);
      const alone = patterns.filter(([, pattern]) => compilePattern(pattern).matches(json)).map(([name]) => name);

      expect(rules.matchingRules(json), value).toEqual(alone);
    }
    expect(rules.matchingRules(event({ detail: { v: 5 } }))).toContain("range-11");
  });

  it("forgets removed rules and replaces a rule added again under the same name", () => {
    const rules = new RuleSet();
    rules.add("R", '{"detail-type": ["invoice.paid"]}');
    rules.add("R", '{"detail-type": ["charge.refunded"]}');
    rules.add("Gone", '{"detail-type": ["invoice.paid"]}');

    const removed = rules.remove("Gone");

    expect(removed).toBe(true);
    expect(rules.remove("Gone")).toBe(false);
    expect(rules.matchingRules(event({}))).toEqual([]);
    expect(rules.matchingRules(event({ "detail-type": "charge.refunded" }))).toEqual(["R"]);
    expect(rules.size).toBe(1);
  });

  it("keeps the set unchanged when a pattern is invalid", () => {
    const rules = new RuleSet();
    rules.add("R", '{"detail-type": ["invoice.paid"]}');

    expect(() => rules.add("R", '{"detail-type": []}')).toThrow(InvalidEventPatternError);
    expect(rules.matchingRules(event({}))).toEqual(["R"]);
  });

  it("agrees with matching each rule on its own, whatever the rules are indexed under", () => {
    const patterns: Record<string, string> = {
      byType: '{"detail-type": ["invoice.paid", "charge.succeeded"]}',
      bySourceAndType: '{"source": ["paybus.stripe"], "detail-type": ["invoice.paid"]}',
      viaOr: '{"$or": [{"detail-type": ["invoice.paid"]}, {"source": ["paybus.stripe"]}]}',
      numeric: '{"detail": {"amount": [{"numeric": [">", 1000]}]}}',
      absent: '{"detail": {"refund": [{"exists": false}]}, "detail-type": [{"prefix": "invoice."}]}',
    };
    const rules = new RuleSet();
    for (const [name, pattern] of Object.entries(patterns)) rules.add(name, pattern);
    const events = [
      event({}),
      event({ source: "paybus.stripe", "detail-type": "charge.succeeded", detail: { amount: 1500 } }),
      event({ detail: { refund: "re_1", amount: 10 } }),
    ];

    for (const json of events) {
      const expected = Object.entries(patterns)
        .filter(([, pattern]) => compilePattern(pattern).matches(json))
        .map(([name]) => name);
      expect(rules.matchingRules(json)).toEqual(expected);
    }
  });
});

describe("validateEnvelope", () => {
  it("accepts an event with every required field", () => {
    expect(() => validateEnvelope(event({}))).not.toThrow();
  });

  it("names a missing field", () => {
    const json = JSON.stringify({ ...JSON.parse(event({})), account: undefined });

    expect(() => validateEnvelope(json)).toThrow(/missing the required field "account"/);
  });

  it("checks that resources is a list of strings", () => {
    expect(() => validateEnvelope(event({ resources: "arn" }))).toThrow(InvalidEventError);
  });
});
