import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalTables, type LocalTables } from "../../test/support/loyalty-engines.ts";
import { crmProfileKey, updateCrmProfile, type CrmUpdateRequest } from "./core.ts";

let tables: LocalTables<"loyalty">;
beforeAll(async () => {
  tables = await startLocalTables(["loyalty"], "crm");
});
afterAll(async () => {
  await tables?.close();
});

const promotion = (previousTier: "member" | "silver", newTier: "silver" | "gold", purchaseId: string): CrmUpdateRequest => ({
  executionName: `purchase-${purchaseId}`,
  purchaseId,
  customerId: "C-1",
  previousTier,
  newTier,
  occurredAt: "2026-08-03T23:39:24.000Z",
});

describe("the CRM profile", () => {
  it("only moves up: a late or retried promotion to a lower tier changes nothing", async () => {
    const table = { client: tables.client, tableName: tables.tableNames.loyalty };

    const gold = await updateCrmProfile(promotion("silver", "gold", "pi_gold"), table);
    const lateSilver = await updateCrmProfile(promotion("member", "silver", "pi_silver"), table);
    const retriedGold = await updateCrmProfile(promotion("silver", "gold", "pi_gold"), table);

    expect([gold.updated, lateSilver.updated, retriedGold.updated]).toEqual([true, false, false]);
    const { Item } = await tables.client.send(new GetCommand({ TableName: tables.tableNames.loyalty, Key: crmProfileKey("C-1") }));
    expect(Item).toMatchObject({ tier: "gold", tierRank: 2, promotedBy: "pi_gold" });
  });
});
