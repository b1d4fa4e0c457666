import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalTables, type LocalTables } from "../../test/support/loyalty-engines.ts";
import { failureKey, recordFailure } from "./core.ts";

let tables: LocalTables<"loyalty">;
beforeAll(async () => {
  tables = await startLocalTables(["loyalty"], "failure");
});
afterAll(async () => {
  await tables?.close();
});

describe("recording a failed execution", () => {
  it("keeps the error and a redacted, bounded cause", async () => {
    const cause = JSON.stringify({ errorType: "MessageRejected", errorMessage: "Email address is not verified: jenny.rosen@example.com" }) + "x".repeat(10_000);

    await recordFailure(
      { executionName: "purchase-pi_1", purchaseId: "pi_1", customerId: "C-1", error: { Error: "MessageRejected", Cause: cause } },
      { client: tables.client, tableName: tables.tableNames.loyalty },
    );

    const { Item } = await tables.client.send(new GetCommand({ TableName: tables.tableNames.loyalty, Key: failureKey("purchase-pi_1") }));
    expect(Item).toMatchObject({ purchaseId: "pi_1", customerId: "C-1", error: "MessageRejected" });
    expect(Item?.cause).toContain("j***@example.com");
    expect(Item?.cause).not.toContain("jenny.rosen");
    expect(Item?.cause).toHaveLength(4000);
  });
});
