import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import "./expression-memo.ts";

type Data = { UpdateExpression: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, object>; _updates?: unknown };
const validations = createRequire(import.meta.url)("dynalite/validations/index.js") as { validateExpressions(data: Data): string | undefined };

/** dynalite's validation of the expression: its error, or the parse the action will apply. */
function validate(data: Data): { error?: string; updates?: unknown } {
  const request = { ...data };
  const error = validations.validateExpressions(request);
  return error ? { error } : { updates: request._updates };
}

/**
 * The same (valid) request parsed afresh: one more value name changes the memo key, so the parser
 * runs; the extra name is only reported as unused after the parse is stored in `_updates`.
 */
function fresh(data: Data): { updates?: unknown } {
  const request = { ...data, ExpressionAttributeValues: { ...data.ExpressionAttributeValues, ":fresh": { S: "x" } } };
  validations.validateExpressions(request);
  return { updates: request._updates };
}

const cases: Array<[string, Data, Data]> = [
  ["ADD of a number", { UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": { N: "1" } } }, { UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": { N: "250" } } }],
  [
    "SET with names, if_not_exists and arithmetic, ADD and REMOVE",
    {
      UpdateExpression: "SET #s = :s, updatedAt = if_not_exists(updatedAt, :now), lifetimePoints = lifetimePoints + :p ADD points :p REMOVE stale",
      ExpressionAttributeNames: { "#s": "status" },
      ExpressionAttributeValues: { ":s": { S: "gold" }, ":now": { N: "1" }, ":p": { N: "10" } },
    },
    {
      UpdateExpression: "SET #s = :s, updatedAt = if_not_exists(updatedAt, :now), lifetimePoints = lifetimePoints + :p ADD points :p REMOVE stale",
      ExpressionAttributeNames: { "#s": "status" },
      ExpressionAttributeValues: { ":s": { S: "platinum" }, ":now": { N: "1733440000" }, ":p": { N: "75" } },
    },
  ],
  ["list_append of lists", { UpdateExpression: "SET l = list_append(l, :items)", ExpressionAttributeValues: { ":items": { L: [{ S: "a" }] } } }, { UpdateExpression: "SET l = list_append(l, :items)", ExpressionAttributeValues: { ":items": { L: [{ S: "b" }, { N: "2" }] } } }],
  ["one value twice", { UpdateExpression: "SET a = :v, b = :v", ExpressionAttributeValues: { ":v": { M: { x: { S: "1" } } } } }, { UpdateExpression: "SET a = :v, b = :v", ExpressionAttributeValues: { ":v": { M: { y: { BOOL: true } } } } }],
];

describe("the memoised UpdateExpression parse", () => {
  it.each(cases)("gives the parse of the request's own values once remembered: %s", (_case, first, second) => {
    const remembered = validate(first);
    const reused = validate(second);

    expect(remembered.error).toBeUndefined();
    expect(reused).toEqual(fresh(second));
    expect(reused).not.toEqual(remembered);
  });

  it("hands each request a parse of its own (the action mutates it) holding that request's value objects", () => {
    const data = (n: string): Data => ({ UpdateExpression: "SET lifetimePoints = lifetimePoints + :p", ExpressionAttributeValues: { ":p": { N: n } } });
    const second = data("2");

    const a = validate(data("1")).updates as { sections: Array<{ val: { args: unknown[] } }> };
    const b = validate(second).updates as { sections: Array<{ val: { args: unknown[] } }> };

    expect(b).not.toBe(a);
    expect(b.sections[0]!.val.args[1]).toBe(second.ExpressionAttributeValues![":p"]);
  });

  it("still refuses a value of the wrong type, and unused names and values, with dynalite's messages", () => {
    validate({ UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": { N: "1" } } });

    expect(validate({ UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": { S: "1" } } }).error).toBe(
      "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING",
    );
    expect(validate({ UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": { N: "1" } }, ExpressionAttributeNames: { "#x": "x" } }).error).toBe(
      "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}",
    );
    expect(validate({ UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": { N: "2" }, ":m": { N: "3" } } }).error).toBe(
      "Value provided in ExpressionAttributeValues unused in expressions: keys: {:m}",
    );
  });
});

type ConditionData = { ConditionExpression?: string; KeyConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, object>; _condition?: unknown; _keyCondition?: unknown };
const conditionValidations = validations as unknown as { validateExpressions(data: ConditionData): string | undefined };

/** dynalite's validation of a condition: its error, or the parse the action will evaluate. */
function validateCondition(data: ConditionData): { error?: string; condition?: unknown } {
  const request = { ...data };
  const error = conditionValidations.validateExpressions(request);
  return error ? { error } : { condition: request._condition ?? request._keyCondition };
}

/** The same condition parsed afresh (an extra, unused value changes the memo key; the parse is kept before that error). */
function freshCondition(data: ConditionData): { condition?: unknown } {
  const request = { ...data, ExpressionAttributeValues: { ...data.ExpressionAttributeValues, ":fresh": { S: "x" } } };
  conditionValidations.validateExpressions(request);
  return { condition: request._condition ?? request._keyCondition };
}

describe("the memoised condition parse", () => {
  const conditionCases: Array<[string, ConditionData, ConditionData]> = [
    ["attribute_not_exists", { ConditionExpression: "attribute_not_exists(pk)" }, { ConditionExpression: "attribute_not_exists(pk)" }],
    [
      "comparisons, names, and, or, not, begins_with, size",
      { ConditionExpression: "(#s = :s OR points < :p) AND NOT begins_with(sk, :prefix) AND size(tags) > :n", ExpressionAttributeNames: { "#s": "status" }, ExpressionAttributeValues: { ":s": { S: "gold" }, ":p": { N: "10" }, ":prefix": { S: "ledger#" }, ":n": { N: "1" } } },
      { ConditionExpression: "(#s = :s OR points < :p) AND NOT begins_with(sk, :prefix) AND size(tags) > :n", ExpressionAttributeNames: { "#s": "status" }, ExpressionAttributeValues: { ":s": { S: "silver" }, ":p": { N: "99" }, ":prefix": { S: "tx#" }, ":n": { N: "3" } } },
    ],
    ["a key condition", { KeyConditionExpression: "pk = :pk AND begins_with(sk, :sk)", ExpressionAttributeValues: { ":pk": { S: "customer#1" }, ":sk": { S: "ledger#" } } }, { KeyConditionExpression: "pk = :pk AND begins_with(sk, :sk)", ExpressionAttributeValues: { ":pk": { S: "customer#2" }, ":sk": { S: "tx#" } } }],
  ];

  it.each(conditionCases)("gives the parse of the request's own values once remembered: %s", (_case, first, second) => {
    const remembered = validateCondition(first);
    const reused = validateCondition(second);

    expect(remembered.error).toBeUndefined();
    expect(reused).toEqual(freshCondition(second));
  });

  it("holds the request's own value objects", () => {
    const data = (n: string): ConditionData => ({ ConditionExpression: "points < :p", ExpressionAttributeValues: { ":p": { N: n } } });
    const second = data("2");
    validateCondition(data("1"));

    const { condition } = validateCondition(second) as { condition: { expression: { args: unknown[] } } };

    expect(condition.expression.args[1]).toBe(second.ExpressionAttributeValues![":p"]);
  });

  it("still judges the contents attribute_type and BETWEEN read, with dynalite's messages", () => {
    expect(validateCondition({ ConditionExpression: "attribute_type(a, :t)", ExpressionAttributeValues: { ":t": { S: "N" } } }).error).toBeUndefined();
    expect(validateCondition({ ConditionExpression: "attribute_type(a, :t)", ExpressionAttributeValues: { ":t": { S: "NUMBER" } } }).error).toBe(
      "Invalid ConditionExpression: Invalid attribute type name found; type: NUMBER, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
    );
    expect(validateCondition({ ConditionExpression: "points BETWEEN :lo AND :hi", ExpressionAttributeValues: { ":lo": { N: "1" }, ":hi": { N: "5" } } }).error).toBeUndefined();
    expect(validateCondition({ ConditionExpression: "points BETWEEN :lo AND :hi", ExpressionAttributeValues: { ":lo": { N: "9" }, ":hi": { N: "5" } } }).error).toBe(
      "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:9}, upper bound operand: AttributeValue: {N:5}",
    );
    expect(validateCondition({ ConditionExpression: "begins_with(sk, :p)", ExpressionAttributeValues: { ":p": { S: "a" } } }).error).toBeUndefined();
    expect(validateCondition({ ConditionExpression: "begins_with(sk, :p)", ExpressionAttributeValues: { ":p": { N: "1" } } }).error).toBe(
      "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
    );
  });
});
