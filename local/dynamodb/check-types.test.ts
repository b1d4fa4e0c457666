import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fuzzParameters, fuzzTimeout } from "../../test/fuzz/budget.ts";
import { checkTypes, convertTypes } from "./check-types.ts";

// The port must answer exactly as dynalite's own checkTypes: same converted request, same members
// deleted from the input, same error (message, status, wire body), for every operation.
const require = createRequire(import.meta.url);
const original = (require("dynalite/validations/index.js") as { checkTypes(data: unknown, types: unknown): unknown }).checkTypes;
const folder = dirname(require.resolve("dynalite/validations/index.js"));
const operations = readdirSync(folder)
  .filter((file) => file !== "index.js" && file.endsWith(".js"))
  .map((file) => ({ name: file.slice(0, -3), types: (require(`${folder}/${file}`) as { types: Record<string, unknown> }).types }));

/** What a check did: its result or its error, and what it left of its input. */
function outcome(check: (data: Record<string, unknown>) => unknown, request: Record<string, unknown>) {
  const input = structuredClone(request);
  try {
    return { result: check(input), input };
  } catch (error) {
    const { message, statusCode, body } = error as Error & { statusCode?: number; body?: unknown };
    return { error: { message, statusCode, body }, input };
  }
}

const scalar = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom("true", "no", "YES", "1", "AAAA", "AAA=", "AB==", "abc", "UpdateItem"),
);
const attributeNames = fc.constantFrom("S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M", "pk", "Value", "Action", "ComparisonOperator", "AttributeValueList", "Exists");
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(attributeNames, tie("value"), { maxKeys: 3 }),
  ),
}));

describe("checkTypes", () => {
  it.each(operations)("answers as dynalite's own for $name requests", ({ types }) => {
    const members = fc.constantFrom(...Object.keys(types), "Unknown");
    // Requests built from the operation's members, holding anything from valid attribute values to wrong types.
    const request = fc.dictionary(members, value, { maxKeys: 5 }) as fc.Arbitrary<Record<string, unknown>>;
    fc.assert(
      fc.property(request, (data) => {
        const dynalite = outcome((input) => original(input, types), data);
        expect(outcome((input) => checkTypes(input, types as never), data)).toEqual(dynalite);
        // convertTypes: the same result or error, its input left as it was.
        expect(outcome((input) => convertTypes(input, types as never), data)).toEqual({ ...dynalite, input: data });
      }),
      fuzzParameters(100),
    );
  }, fuzzTimeout(100, 2));

  it.each(["putItem", "updateItem", "query", "batchWriteItem"])("answers as dynalite's own for attribute values in %s requests", (name) => {
    const types = operations.find((operation) => operation.name === name)!.types;
    // Attribute values of every type, nested, holding right and wrong members (base-64 or not, numbers for strings…).
    const { attribute } = fc.letrec((tie) => ({
      attribute: fc.dictionary(
        fc.constantFrom("S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"),
        fc.oneof({ depthSize: "small" }, scalar, fc.array(fc.oneof(scalar, tie("attribute")), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 2 }), tie("attribute"), { maxKeys: 2 })),
        { minKeys: 1, maxKeys: 2 },
      ),
    }));
    const item = fc.dictionary(fc.string({ maxLength: 3 }), attribute, { maxKeys: 3 });
    const request = fc.record(
      { TableName: fc.constant("t"), Item: item, Key: item, ExpressionAttributeValues: item, RequestItems: fc.dictionary(fc.constant("t"), fc.array(fc.record({ PutRequest: fc.record({ Item: item }) }), { maxLength: 2 })) },
      { requiredKeys: ["TableName"] },
    );
    fc.assert(
      fc.property(request, (data) => {
        const dynalite = outcome((input) => original(input, types), data);
        expect(outcome((input) => checkTypes(input, types as never), data)).toEqual(dynalite);
        // convertTypes: the same result or error, its input left as it was.
        expect(outcome((input) => convertTypes(input, types as never), data)).toEqual({ ...dynalite, input: data });
      }),
      fuzzParameters(300),
    );
  }, fuzzTimeout(300, 2));

  it("checks a typical UpdateItem without error, converting nothing", () => {
    const types = operations.find((operation) => operation.name === "updateItem")!.types;
    const request = {
      TableName: "t",
      Key: { pk: { S: "a" }, sk: { S: "b" } },
      UpdateExpression: "ADD points :n",
      ExpressionAttributeValues: { ":n": { N: "1" }, ":l": { L: [{ M: { a: { SS: ["x"] } } }] } },
      ReturnValues: "ALL_NEW",
    };
    expect(outcome((input) => checkTypes(input, types as never), request)).toEqual({ result: request, input: request });
  });
});
