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
