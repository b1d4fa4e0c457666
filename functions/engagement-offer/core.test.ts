import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalTables, type LocalTables } from "../loyalty/testing/local-aws.ts";
import { applyOffer, offerFor, type OfferRequest } from "./core.ts";

let tables: LocalTables<"loyalty">;
beforeAll(async () => {
  tables = await startLocalTables(["loyalty"], "offer");
});
afterAll(async () => {
  await tables?.close();
});

const request: OfferRequest = {
  executionName: "purchase-pi_1",
  purchaseId: "pi_1",
  customerId: "C-1",
  previousTier: "silver",
  newTier: "gold",
  occurredAt: "2026-08-03T23:39:24.000Z",
};

describe("the tier offer", () => {
  it("is 10% off for 60 days at gold, with a code derived from the customer and the tier", () => {
    const offer = offerFor(request);

    expect(offer).toMatchObject({ tier: "gold", percentOff: 10, validUntil: "2026-10-02T23:39:24.000Z", purchaseId: "pi_1" });
    expect(offer.code).toMatch(/^GOLD-[0-9A-F]{8}$/);
    expect(offerFor({ ...request, executionName: "other" }).code).toBe(offer.code);
    expect(offerFor({ ...request, customerId: "C-2" }).code).not.toBe(offer.code);
  });

  it("is applied to the account once per tier", async () => {
    const table = { client: tables.client, tableName: tables.tableNames.loyalty };

    const first = await applyOffer(request, table);
    const again = await applyOffer({ ...request, purchaseId: "pi_2", occurredAt: "2026-09-01T00:00:00.000Z" }, table);

    expect(first.applied).toBe(true);
    expect(again).toEqual({ applied: false, offer: first.offer });
  });
});
