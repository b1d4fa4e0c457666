/**
 * Spending milestones over a real local DynamoDB: the spend of each `PointsAwarded` event is counted
 * once, and the total is read only when a threshold could depend on it.
 */
import { SESClient } from "@aws-sdk/client-ses";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loyaltyEventId } from "../../events/loyalty-events.ts";
import { SEND_TIME_BUDGET_MS } from "../common/invocation.ts";
import { parseLoyaltyConfig, type LoyaltyConfig } from "../loyalty/config.ts";
import { processMilestoneMessage, type MilestoneDeps } from "./core.ts";
import { LOCAL_AWS, startLocalTables, type LocalTables } from "../../test/support/loyalty-engines.ts";
import { recordRequests, type RequestLog } from "../../test/support/request-count.ts";

let tables: LocalTables<"loyalty" | "profiles">;
let requests: RequestLog;
// No email is sent in these cases: an SES client that reaches nothing says so if one were.
const ses = new SESClient({ ...LOCAL_AWS, endpoint: "http://127.0.0.1:1", maxAttempts: 1 });

beforeAll(async () => {
  tables = await startLocalTables(["loyalty", "profiles"], "milestones");
  requests = recordRequests(tables.client, ses);
});
afterAll(async () => {
  requests?.stop();
  ses.destroy();
  await tables?.close();
});
beforeEach(() => requests.clear());

function deps(config: LoyaltyConfig): MilestoneDeps {
  return {
    config,
    table: { client: tables.client, tableName: tables.tableNames.loyalty },
    profiles: { client: tables.client, tableName: tables.tableNames.profiles },
    ses,
    from: "rewards@example.com",
    leaseSeconds: 60,
  };
}

/** A `PointsAwarded` event as the queue delivers it, for `basePoints` of spend. */
function pointsAwarded(customerId: string, purchaseId: string, basePoints: number): string {
  return JSON.stringify({
    version: "0",
    id: crypto.randomUUID(),
    "detail-type": "PointsAwarded",
    source: "paybus.loyalty",
    account: "000000000000",
    time: "2026-12-06T00:00:00Z",
    region: "us-east-1",
    resources: [],
    detail: {
      id: loyaltyEventId.pointsAwarded(purchaseId),
      customerId,
      occurredAt: "2026-12-06T00:00:00.000Z",
      purchaseId,
      stripeCustomerId: null,
      points: basePoints,
      basePoints,
      amount: basePoints * 100,
      currency: "usd",
      promotion: null,
    },
  });
}

describe("spending milestones", () => {
  it("counts the spend once and reads no total when no threshold is configured", async () => {
    const config = parseLoyaltyConfig(undefined);

    const first = await processMilestoneMessage(pointsAwarded("M-none", "pi_m_none", 40), deps(config));
    const again = await processMilestoneMessage(pointsAwarded("M-none", "pi_m_none", 40), deps(config));

    expect(requests.list()).toEqual(["DynamoDB.TransactWriteItems", "DynamoDB.TransactWriteItems"]);
    expect(first).toEqual({ added: true, emails: [] });
    expect(again).toEqual({ added: false, emails: [] });
  });

  it("reads the total when a threshold is configured, and counts a purchase once", async () => {
    const config = parseLoyaltyConfig(JSON.stringify({ milestones: { thresholds: [500] } }));

    await processMilestoneMessage(pointsAwarded("M-some", "pi_m_some_1", 40), deps(config));
    await processMilestoneMessage(pointsAwarded("M-some", "pi_m_some_1", 40), deps(config));
    const second = await processMilestoneMessage(pointsAwarded("M-some", "pi_m_some_2", 60), deps(config));

    expect(second).toEqual({ lifetimeSpendPoints: 100, added: true, emails: [] });
    expect(requests.list()).toEqual(Array.from({ length: 3 }, () => ["DynamoDB.TransactWriteItems", "DynamoDB.GetItem"]).flat());
  });

  it("claims no milestone with too little of the invocation left, and its retry completes it", async () => {
    const config = parseLoyaltyConfig(JSON.stringify({ milestones: { thresholds: [50] } }));
    const message = pointsAwarded("M-late", "pi_m_late", 60);

    const late = processMilestoneMessage(message, { ...deps(config), invocation: { remainingMs: () => SEND_TIME_BUDGET_MS - 1 } });
    await expect(late).rejects.toMatchObject({ name: "InvocationEndingError" });
    const claimsAfterLate = requests.list().filter((operation) => operation === "DynamoDB.UpdateItem").length;
    const retry = await processMilestoneMessage(message, { ...deps(config), invocation: { remainingMs: () => 20_000 } });

    expect(claimsAfterLate).toBe(0);
    expect(retry).toMatchObject({ lifetimeSpendPoints: 60, emails: [{ threshold: 50 }] });
  });
});
