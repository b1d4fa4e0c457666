/**
 * The engagement workflow end to end, offline: the loyalty consumer's Lambda handler takes Stripe
 * events, the real definition runs on the local Step Functions engine, and its Task states invoke
 * the real task handlers, which reach the local DynamoDB and SES through the standard
 * `AWS_ENDPOINT_URL_<SERVICE>` variables. One workflow per purchase, the path the purchase calls
 * for, and the 72-hour follow-up sent "now" by running the dispatcher at a later time.
 */
import { EventEmitter, once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { GetExecutionHistoryCommand } from "@aws-sdk/client-sfn";
import type { Context, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../fixtures/index.ts";
import { startLocalTables, type LocalTables, LOCAL_AWS } from "../test/support/loyalty-engines.ts";
import { startLocalBus, type LocalBus } from "../test/support/loyalty-bus.ts";
import { putProfile } from "../functions/common/profiles.ts";
import { LambdaHost } from "../local/lambda.ts";
import { LocalSes } from "../local/ses.ts";
import { LOCAL_STRIPE_API_KEY, LocalStripe } from "../local/stripe.ts";
import { startLocalStepFunctions, type ExecutionRecord, type LocalStepFunctions } from "../local/stepfunctions/index.ts";
import { closedExecution, sfnClient } from "../test/support/stepfunctions.ts";
import { loadDefinition, stateMachines } from "./index.ts";
import { TEST_ENVIRONMENTS_PER_FUNCTION } from "../test/support/environments.ts";

const EXECUTION_ARN = "arn:aws:states:us-east-1:000000000000:execution:engagement:";
const HOURS_72 = 72 * 3600 * 1000;

let tables: LocalTables<"loyalty" | "profiles" | "promotions">;
let ses: LocalSes;
let sfn: LocalStepFunctions;
/** The Stripe endpoints the tier reward calls, on a loopback port of their own. */
const stripe = new LocalStripe();
let stripeServer: Server;
/** Where the loyalty consumer publishes its domain events. */
let bus: LocalBus;
let host: LambdaHost;
/** Emits `<LogicalName>` with the result each time a task function returns. */
const completed = new EventEmitter();
/**
 * Executions whose next EngagementEmail invocation runs out of time: it runs in an execution
 * environment of its own whose DynamoDB endpoint never answers, so it hangs on its first request
 * (before any claim or send) until the host ends it at its timeout, as Lambda ends a timed-out function.
 */
const emailTimesOutOnce = new Set<string>();
/** Accepts connections and never answers them. */
const blackHole = createServer(() => undefined);
/** Invocations the host ended at their timeout, by function. */
const timedOut: string[] = [];
// Imported once the environment is set, as Lambda would load them (their loggers read it).
let loyaltyHandler: (typeof import("../functions/loyalty/handler.ts"))["handler"];
let dispatchFollowups: (typeof import("../functions/engagement-followup-dispatch/handler.ts"))["handler"];

beforeAll(async () => {
  tables = await startLocalTables(["loyalty", "profiles", "promotions"], "e2e");
  // The workflow sends as rewards@paybus.example: that domain is this SES's verified identity.
  ses = new LocalSes({ identities: ["paybus.example"] });
  await ses.start();
  bus = await startLocalBus();
  const stripeRoute = stripe.gatewayRoute();
  stripeServer = createServer((req, res) => void stripeRoute(req, res, new URL(req.url ?? "/", "http://127.0.0.1")));
  await new Promise<void>((resolve) => stripeServer.listen(0, "127.0.0.1", resolve));
  await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
  // One environment per function, as the suite's runtimes (test/support/runtime.ts): the Parallel
  // branches' tasks are different functions, and no case asserts overlapping invocations of one.
  host = new LambdaHost(new URL("..", import.meta.url).pathname, undefined, undefined, undefined, { maxEnvironmentsPerFunction: TEST_ENVIRONMENTS_PER_FUNCTION });
  const functions: Record<string, { handler: string; timeoutSeconds: number; memoryMb: number }> = stateMachines.engagement.functions;
  // Each task function runs in its own execution environment with this environment (set below,
  // once the engines' endpoints are known).
  const environment: Record<string, string> = {};
  sfn = await startLocalStepFunctions({
    stateMachines: [{ name: "engagement", definition: loadDefinition("engagement", (name) => host.functionArn(name)) }],
    invokeLambda: async (arn, payload) => {
      const name = arn.split(":").pop()!;
      const execution = (payload as { executionName?: string }).executionName ?? "";
      const stalled = name === "EngagementEmail" && emailTimesOutOnce.delete(execution);
      const invocation = await host.invoke(
        stalled
          ? { name: `${name}-stalled`, logicalName: name, ...functions[name]!, timeoutSeconds: 1, environment: { ...environment, AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}` } }
          : { name, logicalName: name, ...functions[name]!, environment },
        payload,
      );
      if (!invocation.ok && invocation.timedOut) timedOut.push(name);
      if (!invocation.ok) throw invocation.error;
      completed.emit(name, invocation.result);
      return invocation.result;
    },
    retryIntervalScale: 0.001,
  });
  Object.assign(environment, {
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: tables.engine.endpoint,
    AWS_ENDPOINT_URL_SES: ses.endpoint,
    AWS_ENDPOINT_URL_SFN: sfn.endpoint,
    PAYBUS_LOYALTY_TABLE: tables.tableNames.loyalty,
    PAYBUS_PROFILES_TABLE: tables.tableNames.profiles,
    // The loyalty consumer reads promotion windows from their table (none here: the configuration's apply).
    PAYBUS_PROMOTIONS_TABLE: tables.tableNames.promotions,
    PAYBUS_ENGAGEMENT_STATE_MACHINE_ARN: "arn:aws:states:us-east-1:000000000000:stateMachine:engagement",
    PAYBUS_EMAIL_FROM: "rewards@paybus.example",
    PAYBUS_STRIPE_API_BASE: `http://127.0.0.1:${(stripeServer.address() as AddressInfo).port}`,
    PAYBUS_STRIPE_API_KEY: LOCAL_STRIPE_API_KEY,
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
    PAYBUS_EVENT_BUS_NAME: bus.name,
    POWERTOOLS_LOG_LEVEL: "SILENT",
  });
  // The loyalty consumer and the dispatcher run in this process, with the same environment.
  Object.assign(process.env, environment);
  ({ handler: loyaltyHandler } = await import("../functions/loyalty/handler.ts"));
  ({ handler: dispatchFollowups } = await import("../functions/engagement-followup-dispatch/handler.ts"));
});

afterAll(async () => {
  await host?.stop();
  await sfn?.close();
  await ses?.stop();
  await tables?.close();
  await new Promise<void>((resolve) => stripeServer?.close(() => resolve()));
  blackHole.closeAllConnections();
  await new Promise<void>((resolve) => blackHole.close(() => resolve()));
  await bus?.close();
});

const profiles = { get client() { return tables.client; }, get tableName() { return tables.tableNames.profiles; } };

let messageCount = 0;
/** Delivers message bodies to the loyalty consumer as one SQS batch. */
function deliver(...bodies: string[]) {
  const event: SQSEvent = {
    Records: bodies.map((body) => ({
      messageId: `m-${++messageCount}`,
      receiptHandle: `r-${messageCount}`,
      body,
      attributes: { ApproximateReceiveCount: "1", SentTimestamp: "0", SenderId: "local", ApproximateFirstReceiveTimestamp: "0" },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:loyalty",
      awsRegion: "us-east-1",
    })),
  };
  return loyaltyHandler(event, { functionName: "loyalty", awsRequestId: `req-${messageCount}` } as Context);
}

/** A one-time payment of `amount` cents by a customer, as payment_intent.succeeded. */
function payment(purchaseId: string, stripeCustomerId: string, amount: number, category: "premium" | "standard"): string {
  const event = loadFixture("03");
  const pi = event.detail.data.object;
  event.detail.id = `evt_${purchaseId}`;
  Object.assign(pi, { id: purchaseId, amount, amount_received: amount, customer: stripeCustomerId, metadata: { product_category: category } });
  return JSON.stringify(event);
}

async function emailsTo(address: string) {
  return (await ses.emails()).filter((email) => email.destination.to.includes(address));
}

function executionOf(purchaseId: string): Promise<ExecutionRecord> {
  return closedExecution(sfn, `${EXECUTION_ARN}purchase-${purchaseId}`);
}

/** The local "send now": the dispatcher run as if 72 hours had passed. */
function sendFollowupsNow() {
  return dispatchFollowups({ time: new Date(Date.now() + HOURS_72 + 1000).toISOString() });
}

// Each path's first execution cold-starts its task functions (a worker thread each, loading the
// AWS SDK: about half a second of CPU apiece), which takes far longer than the default 30 s when
// the machine is loaded.
describe("engagement paths", { timeout: 120_000 }, () => {
  it("confirms a standard purchase (fixture 03) by email, once, through the Standard path", async () => {
    await putProfile({ customerId: "cus_Qul9Qa3lJkatBi", email: "jenny.rosen@example.com", name: "Jenny Rosen" }, profiles);

    const response = await deliver(JSON.stringify(loadFixture("03")), JSON.stringify(loadFixture("04")));
    const execution = await executionOf("pi_3ccMRk5kb18UZlUmIpq2HE8H");

    expect(response.batchItemFailures).toEqual([]);
    expect(execution.status).toBe("SUCCEEDED");
    expect(execution.path).toEqual(["Route", "StandardConfirmation", "Engaged"]);
    expect((await emailsTo("jenny.rosen@example.com")).map((e) => e.subject)).toEqual(["You earned 40 points"]);
    expect(sfn.executions().filter((e) => e.name === "purchase-pi_3ccMRk5kb18UZlUmIpq2HE8H")).toHaveLength(1);
  });

  it("runs one tier-upgrade workflow per crossing, with the offer, the CRM update and a follow-up sent 72 h later", async () => {
    await putProfile({ customerId: "cus_tier", email: "tier@example.com", name: "Ada" }, profiles);
    const schedule = once(completed, "FollowupSchedule");

    await deliver(payment("pi_tier_1", "cus_tier", 60_000, "premium")); // 1,200 points: member → silver
    await schedule;
    const summary = await sendFollowupsNow();
    const first = await executionOf("pi_tier_1");

    expect(summary).toEqual({ completed: 1, expired: 0, failed: 0 });
    expect(first.status).toBe("SUCCEEDED");
    expect(first.path.filter((s) => ["Route", "TierUpgrade", "ScheduleFollowUp", "Engaged"].includes(s))).toEqual([
      "Route",
      "TierUpgrade",
      "ScheduleFollowUp",
      "Engaged",
    ]);
    expect(first.path).toEqual(expect.arrayContaining(["SendCongratulations", "UpdateCrmProfile", "ApplyPersonalisedOffer"]));
    expect(first.input).toMatchObject({ tierChanged: true, previousTier: "member", newTier: "silver", pointsEarned: 1200 });
    const offer = await tables.client.send(new GetCommand({ TableName: tables.tableNames.loyalty, Key: { pk: "CUSTOMER#cus_tier", sk: "OFFER#silver" } }));
    const crm = await tables.client.send(new GetCommand({ TableName: tables.tableNames.loyalty, Key: { pk: "CUSTOMER#cus_tier", sk: "CRM" } }));
    // The Silver reward is one credit in the customer's Stripe balance, and the record says which.
    const [credit, ...others] = stripe.balanceTransactions("cus_tier");
    expect(others).toEqual([]);
    expect(credit).toMatchObject({ amount: -500, currency: "usd" });
    expect(offer.Item).toMatchObject({ tier: "silver", reward: { kind: "balance-credit", amount: 500, currency: "usd", stripeId: credit!.id }, purchaseId: "pi_tier_1" });
    expect(crm.Item).toMatchObject({ tier: "silver", promotedBy: "pi_tier_1" });

    const secondSchedule = once(completed, "FollowupSchedule");
    await deliver(payment("pi_tier_2", "cus_tier", 400_000, "standard"), payment("pi_tier_1", "cus_tier", 60_000, "premium")); // 4,000 more: silver → gold
    await secondSchedule;
    await sendFollowupsNow();
    const second = await executionOf("pi_tier_2");

    expect(second.input).toMatchObject({ tierChanged: true, previousTier: "silver", newTier: "gold" });
    expect(second.status).toBe("SUCCEEDED");
    expect(sfn.executions().filter((e) => (e.input as { customerId: string }).customerId === "cus_tier")).toHaveLength(2);
    // Two promotions, two credits (redeliveries and retries add none), and the emails say what they are.
    expect(stripe.balanceTransactions("cus_tier").map((t) => t.amount)).toEqual([-500, -1_000]);
    const welcomes = (await emailsTo("tier@example.com")).filter((e) => e.subject.startsWith("Welcome"));
    expect(welcomes.map((e) => e.body.text).sort()).toEqual([
      expect.stringContaining("We have credited $10.00 to your account balance"),
      expect.stringContaining("We have credited $5.00 to your account balance"),
    ]);
    expect((await emailsTo("tier@example.com")).map((e) => e.subject).sort()).toEqual(
      ["Making the most of Gold", "Making the most of Silver", "Welcome to Gold", "Welcome to Silver"].sort(),
    );
  });

  it("thanks a high-value purchase (over 500 points) and follows up", async () => {
    await putProfile({ customerId: "cus_big", email: "big@example.com" }, profiles);
    const schedule = once(completed, "FollowupSchedule");

    await deliver(payment("pi_big", "cus_big", 60_000, "standard")); // 600 points, still member
    await schedule;
    await sendFollowupsNow();
    const execution = await executionOf("pi_big");

    expect(execution.status).toBe("SUCCEEDED");
    expect(execution.path).toEqual(["Route", "HighValueEngagement", "ScheduleFollowUp", "Engaged"]);
    expect((await emailsTo("big@example.com")).map((e) => e.subject)).toEqual(["Thank you: 600 points are yours", "How are you enjoying your purchase?"]);
  });

  it("retries an email task that timed out (Sandbox.Timedout) and sends the email once", async () => {
    await putProfile({ customerId: "cus_slow", email: "slow@example.com" }, profiles);
    emailTimesOutOnce.add("purchase-pi_slow");
    const timedOutBefore = timedOut.length;

    await deliver(payment("pi_slow", "cus_slow", 2_000, "standard"));
    const execution = await executionOf("pi_slow");
    const { events } = await sfnClient(sfn.endpoint).send(new GetExecutionHistoryCommand({ executionArn: execution.executionArn }));

    expect(timedOut.slice(timedOutBefore)).toEqual(["EngagementEmail"]);
    expect(execution.status).toBe("SUCCEEDED");
    expect(execution.path).toEqual(["Route", "StandardConfirmation", "Engaged"]);
    // The first attempt failed with Lambda's timeout error and the state's Retry ran it again.
    expect(events!.filter((event) => event.type === "TaskFailed").map((event) => event.taskFailedEventDetails?.error)).toEqual(["Sandbox.Timedout"]);
    const claim = await tables.client.send(
      new GetCommand({ TableName: tables.tableNames.loyalty, Key: { pk: "ENGAGEMENT#purchase-pi_slow", sk: "EMAIL#confirmation" } }),
    );
    const [email, ...others] = await emailsTo("slow@example.com");
    expect(others).toEqual([]);
    expect(email?.subject).toBe("You earned 20 points");
    // The retry's send claim is marked sent with that email's SES message id.
    expect(claim.Item).toMatchObject({ status: "sent", purchaseId: "pi_slow", messageId: email?.messageId });
  });

  it("records the failure and fails the execution when a step cannot succeed", async () => {
    // A stored profile that breaks the schema: reading it is a poison error, not worth a retry.
    await tables.client.send(new PutCommand({ TableName: tables.tableNames.profiles, Item: { pk: "cus_broken", customerId: "cus_broken", email: "not an address" } }));

    await deliver(payment("pi_broken", "cus_broken", 1000, "standard"));
    const execution = await executionOf("pi_broken");
    const failure = await tables.client.send(
      new GetCommand({ TableName: tables.tableNames.loyalty, Key: { pk: "ENGAGEMENT#purchase-pi_broken", sk: "FAILURE" } }),
    );

    expect(execution.status).toBe("FAILED");
    expect(execution.error).toBe("EngagementFailed");
    expect(execution.path).toEqual(["Route", "StandardConfirmation", "RecordFailure", "EngagementFailed"]);
    expect(failure.Item).toMatchObject({ purchaseId: "pi_broken", error: "InvalidProfileError" });
  });
});

describe("the loyalty consumer's batch", () => {
  it("reports only the malformed record as failed and processes the rest", async () => {
    const response = await deliver("{not json", payment("pi_batch", "cus_batch", 1000, "standard"));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: `m-${messageCount - 1}` }]);
    expect((await executionOf("pi_batch")).path).toEqual(["Route", "StandardConfirmation", "Engaged"]);
  });
});
