/**
 * What one record costs the loyalty consumer in AWS requests, over real engines: a new purchase is
 * credited in one transaction without reading the balance first, a duplicate is answered by the
 * cancelled transaction itself, a promotion is decided from the balance its failed condition
 * returned, and one write records the workflow and the published events. Each request is also a
 * request to DynamoDB, Step Functions or EventBridge in AWS: a regression here is a cost.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fixtureText } from "../../fixtures/index.ts";
import { createLogger } from "../common/logger.ts";
import { dynamoContactStore } from "../customers/contact.ts";
import { parseLoyaltyConfig } from "./config.ts";
import { processLoyaltyMessage, type LoyaltyDeps } from "./core.ts";
import { LoyaltyLedger } from "./ledger.ts";
import { startLocalTables, startStartRecorder, type LocalTables, type StartRecorder } from "../../test/support/loyalty-engines.ts";
import { startLocalBus, type LocalBus } from "../../test/support/loyalty-bus.ts";
import { recordRequests, type RequestLog } from "../../test/support/request-count.ts";

process.env.POWERTOOLS_LOG_LEVEL = "SILENT";

const PI_03 = "pi_3ccMRk5kb18UZlUmIpq2HE8H";
const CUSTOMER_03 = "C-100877";

let tables: LocalTables<"loyalty" | "profiles">;
let workflows: StartRecorder;
let bus: LocalBus;
let ledger: LoyaltyLedger;
let requests: RequestLog;

beforeAll(async () => {
  [tables, workflows, bus] = await Promise.all([startLocalTables(["loyalty", "profiles"], "requests"), startStartRecorder(), startLocalBus()]);
  ledger = new LoyaltyLedger(tables.client, tables.tableNames.loyalty);
  requests = recordRequests(tables.client, workflows.client, bus.client);
});
afterAll(async () => {
  requests?.stop();
  await Promise.all([tables?.close(), workflows?.close(), bus?.close()]);
});
beforeEach(() => requests.clear());

function deps(): LoyaltyDeps {
  return {
    config: parseLoyaltyConfig(undefined),
    ledger,
    sfn: workflows.client,
    stateMachineArn: workflows.stateMachineArn,
    logger: createLogger("loyalty-test"),
    publish: { eventBridge: bus.client, eventBusName: bus.name, ledger },
    contacts: dynamoContactStore({ client: tables.client, tableName: tables.tableNames.profiles }),
  };
}

/** Fixture 03 (a premium purchase of $20: 40 points) as its own purchase and customer, for `amount` cents. */
function purchase(suffix: string, amount = 2000): string {
  const event = JSON.parse(fixtureText("03").replaceAll(PI_03, `${PI_03}_${suffix}`).replaceAll(CUSTOMER_03, `${CUSTOMER_03}-${suffix}`));
  event.detail.data.object.amount = event.detail.data.object.amount_received = amount;
  return JSON.stringify(event);
}

/** What a credited purchase always costs around the award: the contact stub's conditional write first. */
const CONTACT = "DynamoDB.UpdateItem";
const AFTER_COMMIT = ["SFN.StartExecution", "EventBridge.PutEvents", "DynamoDB.UpdateItem"];

describe("AWS requests per loyalty record", () => {
  it("credits a new purchase with one transaction and records the workflow and the events in one write", async () => {
    const result = await processLoyaltyMessage(purchase("new"), deps());

    expect(requests.list()).toEqual([CONTACT, "DynamoDB.TransactWriteItems", ...AFTER_COMMIT]);
    expect(result).toMatchObject({ kind: "awarded", points: 40, promotedTo: null });
    expect(await ledger.getPurchase(`${PI_03}_new`)).toMatchObject({ engagementExecution: `purchase-${PI_03}_new`, publishedAward: true });
  });

  it("answers a redelivery from the cancelled transaction: no read, nothing started or put again", async () => {
    await processLoyaltyMessage(purchase("again"), deps());
    requests.clear();

    const result = await processLoyaltyMessage(purchase("again"), deps());

    expect(result).toMatchObject({ kind: "duplicate", points: 40 });
    expect(requests.list()).toEqual([CONTACT, "DynamoDB.TransactWriteItems"]);
  });

  it("takes a refund back without reading the balance, and publishes from the entry it wrote", async () => {
    await processLoyaltyMessage(purchase("refund"), deps());
    const refund = fixtureText("06").replaceAll(PI_03, `${PI_03}_refund`).replaceAll(CUSTOMER_03, `${CUSTOMER_03}-refund`);
    requests.clear();

    const result = await processLoyaltyMessage(refund, deps());

    // The entry is read (the reversal is decided from it), then one transaction, PointsReversed, its record.
    expect(requests.list()).toEqual([CONTACT, "DynamoDB.GetItem", "DynamoDB.TransactWriteItems", "EventBridge.PutEvents", "DynamoDB.UpdateItem"]);
    expect(result).toMatchObject({ kind: "reversal", outcome: "applied", reversedPoints: 40, unrecoveredPoints: 0 });
    expect(await ledger.getBalance(`${CUSTOMER_03}-refund`)).toMatchObject({ points: 0, lifetimePoints: 40 });
    const reversed = bus.events().filter((event) => event["detail-type"] === "PointsReversed" && event.detail.purchaseId === `${PI_03}_refund`);
    expect(reversed.map((event) => event.detail)).toMatchObject([{ points: 40, totalReversedPoints: 40, unrecoveredPoints: 0 }]);
  });

  it("decides a promotion from the balance the failed condition returned, without reading it", async () => {
    await processLoyaltyMessage(purchase("promote-first"), deps());
    const second = purchase("promote-second", 60_000).replaceAll(`${CUSTOMER_03}-promote-second`, `${CUSTOMER_03}-promote-first`);
    requests.clear();

    const result = await processLoyaltyMessage(second, deps());

    expect(requests.list()).toEqual([CONTACT, "DynamoDB.TransactWriteItems", "DynamoDB.TransactWriteItems", ...AFTER_COMMIT]);
    expect(result).toMatchObject({ kind: "awarded", points: 1200, promotedTo: "silver" });
    expect(await ledger.getBalance(`${CUSTOMER_03}-promote-first`)).toMatchObject({ points: 1240, lifetimePoints: 1240, tier: "silver", purchases: 2 });
  });
});
