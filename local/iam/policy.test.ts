/**
 * The evaluator against AWS's documented policy evaluation logic (IAM User Guide: "Policy evaluation
 * logic", "Condition operators", "Single-valued vs. multivalued context keys", "Action", "Resource").
 */
import { describe, expect, it } from "vitest";
import {
  actionMatches,
  CompiledPolicy,
  conditionHolds,
  evaluate as evaluateOnce,
  resourceMatches,
  UnsupportedPolicyError,
  validateStatements,
  type AuthorizationRequest,
  type Decision,
  type Statement,
} from "./policy.ts";

const TABLE = "arn:aws:dynamodb:us-east-1:000000000000:table/paybus-loyalty";
const OTHER = "arn:aws:dynamodb:us-east-1:000000000000:table/paybus-profiles";

describe("actions", () => {
  it("match case-insensitively, with * and ? wildcards", () => {
    expect(actionMatches("dynamodb:GetItem", "dynamodb:getitem")).toBe(true);
    expect(actionMatches("dynamodb:Get*", "dynamodb:GetItem")).toBe(true);
    expect(actionMatches("dynamodb:Get*", "dynamodb:PutItem")).toBe(false);
    expect(actionMatches("dynamodb:?etItem", "dynamodb:GetItem")).toBe(true);
    expect(actionMatches("dynamodb:GetItem", "dynamodb:GetItems")).toBe(false);
    // A dot is literal, not "any character".
    expect(actionMatches("a.b", "axb")).toBe(false);
  });
});

describe("resources", () => {
  it("match an exact ARN and nothing else", () => {
    expect(resourceMatches(TABLE, TABLE)).toBe(true);
    expect(resourceMatches(TABLE, OTHER)).toBe(false);
    expect(resourceMatches(TABLE, `${TABLE}/index/byDate`)).toBe(false);
    expect(resourceMatches(TABLE, `${TABLE}-copy`)).toBe(false);
  });

  it("let * in the resource segment span slashes (table/x/index/*, endpoint/GCM/app/*)", () => {
    expect(resourceMatches(`${TABLE}/index/*`, `${TABLE}/index/byDate`)).toBe(true);
    expect(resourceMatches(`${TABLE}/index/*`, TABLE)).toBe(false);
    const endpoints = "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/paybus-app/*";
    expect(resourceMatches(endpoints, "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/paybus-app/1b2c")).toBe(true);
    expect(resourceMatches(endpoints, "arn:aws:sns:us-east-1:000000000000:endpoint/APNS/paybus-app/1b2c")).toBe(false);
  });

  it("match segment by segment: a wildcard in one segment does not reach into the next", () => {
    expect(resourceMatches("arn:aws:dynamodb:*:000000000000:table/paybus-loyalty", TABLE)).toBe(true);
    expect(resourceMatches("arn:aws:dynamodb:us-*:table/paybus-loyalty", TABLE)).toBe(false);
    expect(resourceMatches("arn:aws:dynamodb:us-east-1:111111111111:table/paybus-loyalty", TABLE)).toBe(false);
  });

  it("are case-sensitive", () => {
    expect(resourceMatches(TABLE, TABLE.replace("loyalty", "Loyalty"))).toBe(false);
  });

  it("* alone matches every resource", () => {
    expect(resourceMatches("*", TABLE)).toBe(true);
  });
});

describe("conditions", () => {
  const leading = (values: string[]) => ({ test: "ForAllValues:StringLike", variable: "dynamodb:LeadingKeys", values });

  it("ForAllValues: every request value must match one policy value (values ORed)", () => {
    const condition = leading(["PURCHASE#*", "CUSTOMER#*"]);
    expect(conditionHolds(condition, { "dynamodb:LeadingKeys": ["PURCHASE#pi_1"] })).toBe(true);
    expect(conditionHolds(condition, { "dynamodb:LeadingKeys": ["PURCHASE#pi_1", "CUSTOMER#cus_1"] })).toBe(true);
    expect(conditionHolds(condition, { "dynamodb:LeadingKeys": ["PURCHASE#pi_1", "ENGAGEMENT#x"] })).toBe(false);
    expect(conditionHolds(condition, { "dynamodb:LeadingKeys": ["ENGAGEMENT#x"] })).toBe(false);
  });

  it("ForAllValues is also true when the key is absent or empty (documented; the reason to pair it with resource scoping)", () => {
    expect(conditionHolds(leading(["PURCHASE#*"]), {})).toBe(true);
    expect(conditionHolds(leading(["PURCHASE#*"]), { "dynamodb:LeadingKeys": [] })).toBe(true);
  });

  it("ForAnyValue: at least one request value matches; false when the key is absent", () => {
    const condition = { test: "ForAnyValue:StringEquals", variable: "k", values: ["a"] };
    expect(conditionHolds(condition, { k: ["b", "a"] })).toBe(true);
    expect(conditionHolds(condition, { k: ["b"] })).toBe(false);
    expect(conditionHolds(condition, {})).toBe(false);
  });

  it("single-valued operators: an absent key fails StringEquals and satisfies StringNotEquals", () => {
    expect(conditionHolds({ test: "StringEquals", variable: "ses:FromAddress", values: ["billing@example.com"] }, {})).toBe(false);
    expect(conditionHolds({ test: "StringNotEquals", variable: "ses:FromAddress", values: ["billing@example.com"] }, {})).toBe(true);
    expect(conditionHolds({ test: "StringEquals", variable: "ses:FromAddress", values: ["billing@example.com"] }, { "ses:FromAddress": "billing@example.com" })).toBe(true);
    expect(conditionHolds({ test: "StringEquals", variable: "ses:FromAddress", values: ["billing@example.com"] }, { "ses:FromAddress": "Billing@example.com" })).toBe(false);
    expect(conditionHolds({ test: "StringEqualsIgnoreCase", variable: "ses:FromAddress", values: ["billing@example.com"] }, { "ses:FromAddress": "Billing@example.com" })).toBe(true);
    expect(conditionHolds({ test: "StringNotLike", variable: "k", values: ["a*"] }, { k: "abc" })).toBe(false);
  });

  it("StringLike's * and ? are wildcards, other characters literal", () => {
    const like = (pattern: string, value: string) => conditionHolds({ test: "StringLike", variable: "k", values: [pattern] }, { k: value });
    expect(like("cus_*", "cus_123")).toBe(true);
    expect(like("cus_*", "xcus_123")).toBe(false);
    expect(like("FOLLOWUP", "FOLLOWUP")).toBe(true);
    expect(like("FOLLOWUP", "FOLLOWUPS")).toBe(false);
    expect(like("a?c", "abc")).toBe(true);
    expect(like("a.c", "abc")).toBe(false);
  });

  it("refuses operators it does not implement, instead of guessing", () => {
    expect(() => conditionHolds({ test: "NumericLessThan", variable: "k", values: ["1"] }, { k: "0" })).toThrow(UnsupportedPolicyError);
    expect(() => validateStatements([{ actions: ["x:Y"], resources: ["*"], conditions: [{ test: "ForEvery:StringLike", variable: "k", values: [] }] }])).toThrow(
      UnsupportedPolicyError,
    );
  });
});

// Every evaluation case holds for the plain evaluator and for the compiled one (which caches the
// statements matching an action and resource, and evaluates conditions per request).
const compiled = (statements: readonly Statement[], request: AuthorizationRequest): Decision => {
  const policy = new CompiledPolicy(statements);
  // Asked twice: the second answer comes from the cached statements and must not differ.
  const first = policy.evaluate(request);
  expect(policy.evaluate(request)).toEqual(first);
  return first;
};

describe.each([
  ["evaluate", evaluateOnce],
  ["CompiledPolicy", compiled],
])("evaluation (%s)", (_name, evaluate) => {
  const loyalty: Statement[] = [
    {
      actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
      resources: [TABLE],
      conditions: [{ test: "ForAllValues:StringLike", variable: "dynamodb:LeadingKeys", values: ["PURCHASE#*", "CUSTOMER#*"] }],
    },
    { actions: ["dynamodb:PutItem"], resources: [TABLE], conditions: [{ test: "ForAllValues:StringLike", variable: "dynamodb:LeadingKeys", values: ["PURCHASE#*"] }] },
  ];

  it("allows what one statement allows in full (action, resource and every condition)", () => {
    expect(evaluate(loyalty, { action: "dynamodb:PutItem", resource: TABLE, context: { "dynamodb:LeadingKeys": ["PURCHASE#pi_1"] } })).toEqual({ allowed: true, statement: 1 });
    expect(evaluate(loyalty, { action: "dynamodb:UpdateItem", resource: TABLE, context: { "dynamodb:LeadingKeys": ["CUSTOMER#cus_1"] } })).toEqual({ allowed: true, statement: 0 });
  });

  it("denies implicitly: an action no statement names, another table, or a key outside the statement's LeadingKeys", () => {
    expect(evaluate(loyalty, { action: "dynamodb:DeleteItem", resource: TABLE, context: { "dynamodb:LeadingKeys": ["PURCHASE#pi_1"] } })).toEqual({ allowed: false, reason: "implicit-deny" });
    expect(evaluate(loyalty, { action: "dynamodb:GetItem", resource: OTHER, context: { "dynamodb:LeadingKeys": ["PURCHASE#pi_1"] } }).allowed).toBe(false);
    // PutItem is granted only on PURCHASE# keys, even though GetItem/UpdateItem reach CUSTOMER# keys.
    expect(evaluate(loyalty, { action: "dynamodb:PutItem", resource: TABLE, context: { "dynamodb:LeadingKeys": ["CUSTOMER#cus_1"] } }).allowed).toBe(false);
    expect(evaluate([], { action: "dynamodb:GetItem", resource: TABLE }).allowed).toBe(false);
  });

  it("needs every key of a multi-key request to match (ForAllValues over a BatchGetItem's keys)", () => {
    const statements: Statement[] = [{ actions: ["dynamodb:BatchGetItem"], resources: [TABLE], conditions: [{ test: "ForAllValues:StringLike", variable: "dynamodb:LeadingKeys", values: ["cus_*"] }] }];
    expect(evaluate(statements, { action: "dynamodb:BatchGetItem", resource: TABLE, context: { "dynamodb:LeadingKeys": ["cus_1", "cus_2"] } }).allowed).toBe(true);
    expect(evaluate(statements, { action: "dynamodb:BatchGetItem", resource: TABLE, context: { "dynamodb:LeadingKeys": ["cus_1", "admin"] } }).allowed).toBe(false);
  });

  it("lets an explicit Deny win over any Allow", () => {
    const statements: Statement[] = [
      { actions: ["dynamodb:*"], resources: ["*"] },
      { effect: "Deny", actions: ["dynamodb:DeleteItem"], resources: [TABLE] },
    ];
    expect(evaluate(statements, { action: "dynamodb:GetItem", resource: TABLE }).allowed).toBe(true);
    expect(evaluate(statements, { action: "dynamodb:DeleteItem", resource: TABLE })).toEqual({ allowed: false, reason: "explicit-deny", statement: 1 });
  });

  it("ANDs several conditions of one statement", () => {
    const statements: Statement[] = [
      {
        actions: ["x:Y"],
        resources: ["*"],
        conditions: [
          { test: "StringEquals", variable: "a", values: ["1"] },
          { test: "StringEquals", variable: "b", values: ["2"] },
        ],
      },
    ];
    expect(evaluate(statements, { action: "x:Y", resource: "r", context: { a: "1", b: "2" } }).allowed).toBe(true);
    expect(evaluate(statements, { action: "x:Y", resource: "r", context: { a: "1", b: "3" } }).allowed).toBe(false);
  });

  it("judges a request whose resource is unknown on its action alone", () => {
    const statements: Statement[] = [{ actions: ["states:SendTaskSuccess"], resources: ["arn:aws:states:us-east-1:000000000000:stateMachine:paybus-engagement"] }];
    expect(evaluate(statements, { action: "states:SendTaskSuccess", resource: undefined }).allowed).toBe(true);
    expect(evaluate(statements, { action: "states:SendTaskFailure", resource: undefined }).allowed).toBe(false);
  });
});

describe("a compiled policy", () => {
  const statements: Statement[] = [
    { actions: ["dynamodb:GetItem"], resources: [TABLE], conditions: [{ test: "ForAllValues:StringLike", variable: "dynamodb:LeadingKeys", values: ["CUSTOMER#*"] }] },
    { actions: ["states:SendTaskSuccess"], resources: ["arn:aws:states:us-east-1:000000000000:stateMachine:paybus-engagement"] },
  ];

  it("decides each request on its own context, whatever it decided before for the same action and resource", () => {
    const policy = new CompiledPolicy(statements);
    const get = (key: string) => policy.evaluate({ action: "dynamodb:GetItem", resource: TABLE, context: { "dynamodb:LeadingKeys": [key] } }).allowed;
    expect([get("CUSTOMER#1"), get("ENGAGEMENT#1"), get("CUSTOMER#2"), get("ENGAGEMENT#2")]).toEqual([true, false, true, false]);
    expect(policy.evaluate({ action: "dynamodb:GetItem", resource: OTHER, context: { "dynamodb:LeadingKeys": ["CUSTOMER#1"] } }).allowed).toBe(false);
  });

  it("tells a request with no resource from one with a resource, in either order", () => {
    const policy = new CompiledPolicy(statements);
    const other = "arn:aws:states:us-east-1:000000000000:stateMachine:paybus-other";
    expect(policy.evaluate({ action: "states:SendTaskSuccess", resource: undefined }).allowed).toBe(true);
    expect(policy.evaluate({ action: "states:SendTaskSuccess", resource: other }).allowed).toBe(false);
    expect(policy.evaluate({ action: "states:SendTaskSuccess", resource: undefined }).allowed).toBe(true);
  });

  it("refuses at construction an operator it does not implement", () => {
    expect(() => new CompiledPolicy([{ actions: ["x:Y"], resources: ["*"], conditions: [{ test: "NumericLessThan", variable: "k", values: ["1"] }] }])).toThrow(UnsupportedPolicyError);
  });
});
