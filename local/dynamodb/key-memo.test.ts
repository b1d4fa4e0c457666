import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import "./key-memo.ts";

type Table = { TableName: string; KeySchema: { AttributeName: string; KeyType: string }[]; AttributeDefinitions: { AttributeName: string; AttributeType: string }[] };
const db = createRequire(import.meta.url)("dynalite/db/index.js") as { createKey(item: object, table: Table, keySchema?: unknown): string; hashPrefix(...pieces: string[]): string; toRangeStr(value: string, type: string): string };

const table = (hashType: string): Table => ({
  TableName: "t",
  KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }],
  AttributeDefinitions: [{ AttributeName: "pk", AttributeType: hashType }, { AttributeName: "sk", AttributeType: "S" }],
});

describe("the memoised createKey", () => {
  it("gives dynalite's key: hash prefix of the partition key, then the key values", () => {
    const strings = table("S");

    const first = db.createKey({ pk: { S: "customer#1" }, sk: { S: "balance" } }, strings);
    const again = db.createKey({ pk: { S: "customer#1" }, sk: { S: "balance" }, points: { N: "3" } }, strings);

    expect(first).toBe(`${db.hashPrefix("customer#1", "S")}/${db.toRangeStr("customer#1", "S")}/${db.toRangeStr("balance", "S")}/`);
    expect(again).toBe(first);
    expect(db.createKey({ pk: { S: "customer#2" }, sk: { S: "balance" } }, strings)).not.toBe(first);
  });

  it("names one item by equal numbers written differently, and keeps tables with other schemas apart", () => {
    const numbers = table("N");
    const one = db.createKey({ pk: { N: "1" }, sk: { S: "x" } }, numbers);

    expect(db.createKey({ pk: { N: "1.0" }, sk: { S: "x" } }, numbers)).toBe(one);
    // Same values, a table whose partition key is a string: another storage key.
    expect(db.createKey({ pk: { S: "1" }, sk: { S: "x" } }, table("S"))).not.toBe(one);
  });
});
