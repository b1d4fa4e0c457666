import { describe, expect, it } from "vitest";
import { tableName, tables } from "./tables.ts";

describe("tableName", () => {
  it("reads the physical name from the variable the declaration names", () => {
    expect(tableName("loyalty", { [tables.loyalty.envVar]: "prod-loyalty" })).toBe("prod-loyalty");
  });

  it("says which grant is missing when the function was given no such table", () => {
    expect(() => tableName("promotions", {})).toThrow(
      "PAYBUS_PROMOTIONS_TABLE is not set: the promotions table's name is unknown. A function gets the name of the tables its declaration grants: add `tables: { promotions: { actions: [...] } }` to its `access`",
    );
  });
});
