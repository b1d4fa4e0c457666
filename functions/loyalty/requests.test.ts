/**
 * What one record costs the loyalty consumer in AWS requests, over real engines: a new purchase is
 * credited in one transaction without reading the balance first, a duplicate is answered by the
 * cancelled transaction itself, a promotion is decided from the balance its failed condition
 * returned, the workflow and the events go out side by side and one write records both, and a
 * returning customer costs no contact stub write. Each request is also a request to DynamoDB, Step
 * Functions or EventBridge in AWS: a regression here is a cost.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fixtureText } from "../../fixtures/index.ts";
import { quietLogger } from "../../test/support/quiet-logger.ts";
import { dynamoContactStore, rememberingContactStore, type ContactStore } from "../customers/contact.ts";
import { parseLoyaltyConfig } from "./config.ts";
import { processLoyaltyMessage, type LoyaltyDeps } from "./core.ts";
import { LoyaltyLedger } from "./ledger.ts";
import { startLocalTables, startStartRecorder, type LocalTables, type StartRecorder } from "../../test/support/loyalty-engines.ts";
import { startLocalBus, type LocalBus } from "../../test/support/loyalty-bus.ts";
import { recordRequests, type RequestLog } from "../../test/support/request-count.ts";


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
    logger: quietLogger("loyalty-test"),
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
/** The workflow and the events, sent side by side (in a canonical order: see {@link sideBySide}), then their record. */
const AFTER_COMMIT = ["EventBridge.PutEvents", "SFN.StartExecution", "DynamoDB.UpdateItem"];

/**
 * The requests in the order sent, except that a StartExecution and a PutEvents sent one right
 * after the other are listed PutEvents first: the consumer sends them side by side, so which one
 * leaves first is not the code's decision. Counts and every other order stay as sent.
 */
function sideBySide(list: readonly string[]): string[] {
  const out = [...list];
  for (let i = 0; i + 1 < out.length; i++) {
    if (out[i] === "SFN.StartExecution" && out[i + 1] === "EventBridge.PutEvents") [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
  }
  return out;
}

describe("AWS requests per loyalty record", () => {
  it("credits a new purchase with one transaction and records the workflow and the events in one write", async () => {
    const result = await processLoyaltyMessage(purchase("new"), deps());

    expect(sideBySide(requests.list())).toEqual([CONTACT, "DynamoDB.TransactWriteItems", ...AFTER_COMMIT]);
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

    expect(sideBySide(requests.list())).toEqual([CONTACT, "DynamoDB.TransactWriteItems", "DynamoDB.TransactWriteItems", ...AFTER_COMMIT]);
    expect(result).toMatchObject({ kind: "awarded", points: 1200, promotedTo: "silver" });
    expect(await ledger.getBalance(`${CUSTOMER_03}-promote-first`)).toMatchObject({ points: 1240, lifetimePoints: 1240, tier: "silver", purchases: 2 });
  });

  it("puts the events while the contact stub is being written, and starts the workflow only once it is", async () => {
    const store = dynamoContactStore({ client: tables.client, tableName: tables.tableNames.profiles });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const contacts: ContactStore = async (stub) => {
      await held;
      return store(stub);
    };

    const processing = processLoyaltyMessage(purchase("held"), { ...deps(), contacts });

    // The award and the events do not wait for the stub; the workflow, whose emails read it, does.
    await expect.poll(() => requests.list(), { timeout: 20_000 }).toEqual(["DynamoDB.TransactWriteItems", "EventBridge.PutEvents"]);
    release();
    const result = await processing;
    expect(requests.list()).toEqual(["DynamoDB.TransactWriteItems", "EventBridge.PutEvents", CONTACT, "SFN.StartExecution", "DynamoDB.UpdateItem"]);
    expect(result).toMatchObject({ kind: "awarded", points: 40, executionName: `purchase-${PI_03}_held` });
  });

  it("writes a returning customer's contact stub once per execution environment", async () => {
    const contacts = rememberingContactStore(dynamoContactStore({ client: tables.client, tableName: tables.tableNames.profiles }));
    const second = purchase("returning-second").replaceAll(`${CUSTOMER_03}-returning-second`, `${CUSTOMER_03}-returning-first`);
    await processLoyaltyMessage(purchase("returning-first"), { ...deps(), contacts });
    requests.clear();

    const result = await processLoyaltyMessage(second, { ...deps(), contacts });

    expect(sideBySide(requests.list())).toEqual(["DynamoDB.TransactWriteItems", ...AFTER_COMMIT]);
    expect(result).toMatchObject({ kind: "awarded", points: 40 });
  });
});
