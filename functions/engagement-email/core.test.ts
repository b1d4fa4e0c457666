import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SESClient } from "@aws-sdk/client-ses";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FaultInjector } from "../../local/dynamodb/faults.ts";
import { Journal } from "../../local/journal.ts";
import { LocalSes } from "../../local/ses.ts";
import { LOCAL_AWS, startLocalTables, type LocalTables } from "../../test/support/loyalty-engines.ts";
import { RetryableError } from "../common/errors.ts";
import { SEND_TIME_BUDGET_MS } from "../common/invocation.ts";
import { putProfile } from "../common/profiles.ts";
import { dynamoLeasedClaims } from "../notifications/store.ts";
import { emailClaimKey, sendEngagementEmail, type EmailDeps, type EngagementEmailRequest } from "./core.ts";

let tables: LocalTables<"loyalty" | "profiles">;
let ses: LocalSes;
let throttledSes: LocalSes;
const journal = new Journal();
const throttling: FaultInjector = { decide: () => ({ code: "Throttling", message: "Maximum sending rate exceeded.", status: 400 }) };

beforeAll(async () => {
  tables = await startLocalTables(["loyalty", "profiles"], "email");
  // The tests send as rewards@paybus.example: that domain is this SES's verified identity.
  ses = new LocalSes({ identities: ["paybus.example"], journal });
  throttledSes = new LocalSes({ faults: throttling, identities: ["paybus.example"] });
  await Promise.all([ses.start(), throttledSes.start()]);
  await putProfile({ customerId: "cus_1", email: "grace@example.com", name: "Grace", locale: "en-GB" }, { client: tables.client, tableName: tables.tableNames.profiles });
  await putProfile({ customerId: "cus_no_email" }, { client: tables.client, tableName: tables.tableNames.profiles });
});
afterAll(async () => {
  await Promise.all([ses?.stop(), throttledSes?.stop()]);
  await tables?.close();
});

const LEASE_SECONDS = 15;

function deps(via: LocalSes = ses, now?: () => number): EmailDeps {
  return {
    leaseSeconds: LEASE_SECONDS,
    ...(now && { now }),
    ses: new SESClient({ ...LOCAL_AWS, endpoint: via.endpoint, maxAttempts: 1 }),
    profiles: { client: tables.client, tableName: tables.tableNames.profiles },
    claims: { client: tables.client, tableName: tables.tableNames.loyalty },
    from: "rewards@paybus.example",
  };
}

const request = (executionName: string, stripeCustomerId: string | null = "cus_1"): EngagementEmailRequest => ({
  template: "confirmation",
  executionName,
  purchaseId: "pi_1",
  customerId: "C-1",
  stripeCustomerId,
  pointsEarned: 40,
  amount: 2000,
  currency: "usd",
  newTier: null,
});

describe("sending an engagement email", () => {
  it("names its execution on the send (an SES message tag), which the local SES records with the message id", async () => {
    await putProfile({ customerId: "cus_tagged", email: "ada@example.com" }, { client: tables.client, tableName: tables.tableNames.profiles });

    const outcome = await sendEngagementEmail(request("purchase-pi_tagged", "cus_tagged"), deps());

    const recorded = journal.list("effect.email").find((entry) => entry.cause?.executionName === "purchase-pi_tagged");
    expect(outcome).toMatchObject({ sent: true });
    expect(recorded?.messageId).toBe((outcome as { messageId: string }).messageId);
  });

  it("sends once per execution and template, to the profile's address", async () => {
    const first = await sendEngagementEmail(request("exec-once"), deps());
    const retried = await sendEngagementEmail(request("exec-once"), deps());

    expect(first).toMatchObject({ sent: true });
    expect(retried).toEqual({ sent: false, reason: "already-sent" });
    const sent = (await ses.emails()).filter((e) => e.destination.to.includes("grace@example.com"));
    expect(sent.map((e) => [e.from, e.subject])).toEqual([["rewards@paybus.example", "You earned 40 points"]]);
  });

  it("releases its claim when SES refuses, so that the retried task sends", async () => {
    const throttled = sendEngagementEmail(request("exec-throttled"), deps(throttledSes));

    await expect(throttled).rejects.toMatchObject({ name: "Throttling" });
    const claim = await tables.client.send(new GetCommand({ TableName: tables.tableNames.loyalty, Key: emailClaimKey("exec-throttled", "confirmation") }));
    expect(claim.Item).toBeUndefined();
    expect(await sendEngagementEmail(request("exec-throttled"), deps())).toMatchObject({ sent: true });
  });

  it.each([
    ["a guest checkout", null, "no-stripe-customer"],
    ["a customer without a profile", "cus_unknown", "no-profile"],
    ["a profile without an email", "cus_no_email", "no-email"],
  ] as const)("skips %s without failing", async (_, customer, reason) => {
    expect(await sendEngagementEmail(request(`exec-${reason}`, customer), deps())).toEqual({ sent: false, reason });
  });

  it("claims the send while the profile is still being read (one round trip before the send, not two)", async () => {
    // A real client whose GetItem requests wait for the test: the profile read is held in flight.
    let letReadThrough!: () => void;
    const held = new Promise<void>((resolve) => (letReadThrough = resolve));
    const raw = new DynamoDBClient({ ...LOCAL_AWS, endpoint: tables.engine.endpoint });
    raw.middlewareStack.add((next) => async (args) => (await held, next(args)), { step: "initialize", name: "holdReads" });
    const heldProfiles = { client: DynamoDBDocumentClient.from(raw), tableName: tables.tableNames.profiles };
    const key = emailClaimKey("exec-side-by-side", "confirmation");
    const claimNow = async () => (await tables.client.send(new GetCommand({ TableName: tables.tableNames.loyalty, Key: key, ConsistentRead: true }))).Item?.status;

    const sending = sendEngagementEmail(request("exec-side-by-side"), { ...deps(), profiles: heldProfiles });

    await expect.poll(claimNow, { timeout: 20_000 }).toBe("sending");
    letReadThrough();
    expect(await sending).toMatchObject({ sent: true });
    expect(await claimNow()).toBe("sent");
    raw.destroy();
  });

  it.each([
    ["a customer without a profile", "cus_unknown", "no-profile"],
    ["a profile without an email", "cus_no_email", "no-email"],
  ] as const)("leaves no claim behind for %s, and a later attempt with an address sends", async (_, customer, reason) => {
    const execution = `exec-unclaimed-${reason}`;
    const key = emailClaimKey(execution, "confirmation");

    expect(await sendEngagementEmail(request(execution, customer), deps())).toEqual({ sent: false, reason });

    const { Item } = await tables.client.send(new GetCommand({ TableName: tables.tableNames.loyalty, Key: key, ConsistentRead: true }));
    expect(Item).toBeUndefined();
    expect(await sendEngagementEmail(request(execution, "cus_1"), deps())).toMatchObject({ sent: true });
  });

  describe("a claim left by an attempt that died before SES accepted", () => {
    const T0 = Date.parse("2026-12-05T12:00:00Z");
    const sentToGrace = async () => (await ses.emails()).filter((e) => e.destination.to.includes("grace@example.com")).length;

    it("is sent again once the lease ran out, not before, and then never again", async () => {
      const key = emailClaimKey("exec-dead-attempt", "confirmation");
      // What the dead attempt did: claimed the send with the function's lease, then the process died.
      const left = await dynamoLeasedClaims({ client: tables.client, tableName: tables.tableNames.loyalty, leaseSeconds: LEASE_SECONDS, now: () => T0 }).claim(key, {});
      expect(left.kind).toBe("claimed");
      const before = await sentToGrace();

      const early = sendEngagementEmail(request("exec-dead-attempt"), deps(ses, () => T0 + LEASE_SECONDS * 1000 - 1));
      await expect(early).rejects.toMatchObject({ name: "EngagementEmailInProgressError" });
      expect(await sentToGrace()).toBe(before);

      const late = await sendEngagementEmail(request("exec-dead-attempt"), deps(ses, () => T0 + LEASE_SECONDS * 1000 + 1));
      expect(late).toMatchObject({ sent: true });
      expect(await sentToGrace()).toBe(before + 1);
      const { Item } = await tables.client.send(new GetCommand({ TableName: tables.tableNames.loyalty, Key: key, ConsistentRead: true }));
      expect(Item).toMatchObject({ status: "sent", messageId: (late as { messageId: string }).messageId });

      // Finished: even long after any lease, a retry does not send it again.
      const much = await sendEngagementEmail(request("exec-dead-attempt"), deps(ses, () => T0 + 100 * LEASE_SECONDS * 1000));
      expect(much).toEqual({ sent: false, reason: "already-sent" });
      expect(await sentToGrace()).toBe(before + 1);
    });

    it("throws the named retryable error while another attempt's lease is live", async () => {
      const key = emailClaimKey("exec-live-lease", "confirmation");
      await dynamoLeasedClaims({ client: tables.client, tableName: tables.tableNames.loyalty, leaseSeconds: LEASE_SECONDS, now: () => Date.now() }).claim(key, {});
      const before = await sentToGrace();

      const attempt = sendEngagementEmail(request("exec-live-lease"), deps());
      await expect(attempt).rejects.toMatchObject({ name: "EngagementEmailInProgressError" });
      await expect(attempt).rejects.toBeInstanceOf(RetryableError);
      expect(await sentToGrace()).toBe(before);
      const { Item } = await tables.client.send(new GetCommand({ TableName: tables.tableNames.loyalty, Key: key, ConsistentRead: true }));
      expect(Item).toMatchObject({ status: "sending" });
    });
  });

  it("claims and sends nothing with too little of the invocation left to record the send; the retry sends once", async () => {
    const key = emailClaimKey("exec-ending-invocation", "confirmation");
    const sentToGrace = async () => (await ses.emails()).filter((e) => e.destination.to.includes("grace@example.com")).length;
    const before = await sentToGrace();

    const late = sendEngagementEmail(request("exec-ending-invocation"), deps(), { remainingMs: () => SEND_TIME_BUDGET_MS - 1 });
    await expect(late).rejects.toMatchObject({ name: "InvocationEndingError" });
    await expect(late).rejects.toBeInstanceOf(RetryableError);
    expect(await sentToGrace()).toBe(before);
    const { Item } = await tables.client.send(new GetCommand({ TableName: tables.tableNames.loyalty, Key: key, ConsistentRead: true }));
    expect(Item).toBeUndefined();

    const retry = await sendEngagementEmail(request("exec-ending-invocation"), deps(), { remainingMs: () => 15_000 });
    expect(retry).toMatchObject({ sent: true });
    expect(await sentToGrace()).toBe(before + 1);
  });
});
