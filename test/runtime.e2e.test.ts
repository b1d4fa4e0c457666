/**
 * End to end through the embedded runtime: real AWS SDK clients against the local engines, the
 * unmodified handlers, the fixtures in, outcomes out.
 */
import {
  CancelReplayCommand,
  DescribeArchiveCommand,
  DescribeReplayCommand,
  EventBridgeClient,
  ListArchivesCommand,
  ListReplaysCommand,
  PutEventsCommand,
  StartReplayCommand,
  TestEventPatternCommand,
} from "@aws-sdk/client-eventbridge";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixture, redelivery } from "../fixtures/index.ts";
import { demoEvents, seedDemoCustomers } from "../local/demo.ts";
import { rateFaults } from "../local/faults.ts";
import type { Runtime } from "../local/runtime.ts";
import { startTestRuntime } from "./support/runtime.ts";
import { loyaltySnapshot } from "../local/state.ts";
import { lifecyclesOf } from "../local/lifecycle.ts";
import { buildReport } from "../local/report.ts";
import { ADMIN_CREDENTIALS } from "../local/function-credentials.ts";

const credentials = ADMIN_CREDENTIALS;

describe("the pipeline on the local runtime", () => {
  let runtime: Runtime;
  let dataDir: string;
  let eventBridge: EventBridgeClient;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "paybus-e2e-"));
    runtime = await startTestRuntime({ dataDir, port: 0, timeScale: 0.01, workflowTimeScale: 0.0001 });
    eventBridge = new EventBridgeClient({ endpoint: runtime.endpoints.eventBridge, region: "us-east-1", credentials });
    await seedDemoCustomers(runtime);
  });

  afterAll(async () => {
    eventBridge?.destroy();
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("turns the demo events into one notice per invoice fact, exact balances and one workflow per purchase", async () => {
    const results = runtime.sendEnvelopes(demoEvents());

    await runtime.waitForQuiet(60_000);

    expect(results.every((result) => "EventId" in result)).toBe(true);
    const subjects = runtime.journal.list("effect.email").map((email) => email.subject);
    // Invoices 01 (paid, delivered twice, plus payment_succeeded 15 which no rule routes), 02 (failed), 13 (paid, JPY).
    expect(subjects.filter((s) => s.includes("F8C76741-0032"))).toHaveLength(1);
    expect(subjects.filter((s) => s.includes("31A191F8-0024"))).toHaveLength(1);
    expect(subjects.filter((s) => s.includes("B5953531-0033"))).toHaveLength(1);
    expect(runtime.journal.list("effect.push").filter((p) => p.status === "delivered")).toHaveLength(3);
    const { customers } = await loyaltySnapshot(runtime);
    expect(customers.map(({ customerId, points, lifetimePoints, tier }) => ({ customerId, points, lifetimePoints, tier }))).toEqual([
      // 40 (03/04, premium $20, then refunded and disputed) + 1,200 ($600 premium) -> Silver.
      { customerId: "C-100877", points: 1200, lifetimePoints: 1240, tier: "silver" },
      { customerId: "C-101034", points: 60, lifetimePoints: 60, tier: "member" },
      { customerId: "C-424242", points: 600, lifetimePoints: 600, tier: "member" },
    ]);
    const executions = runtime.sfn.executions();
    expect(executions).toHaveLength(4);
    expect(executions.filter((e) => e.path.includes("TierUpgrade"))).toHaveLength(1);
    expect(runtime.journal.list("queue.dlq")).toEqual([]);
  });

  it("accepts a redelivered fixture but changes nothing", async () => {
    const emailsBefore = runtime.journal.list("effect.email").length;
    const balancesBefore = (await loyaltySnapshot(runtime)).customers;

    const results = runtime.sendEnvelopes(["01", "02", "03", "05"].map(redelivery));
    await runtime.waitForQuiet(30_000);

    expect(results.every((result) => "EventId" in result)).toBe(true);
    expect(runtime.journal.list("effect.email")).toHaveLength(emailsBefore);
    expect((await loyaltySnapshot(runtime)).customers).toEqual(balancesBefore);
  });

  it("answers PutEvents per entry as AWS does, with partial failures", async () => {
    const good = loadFixture("03");
    const entry = { Source: "paybus.stripe", DetailType: good["detail-type"], Detail: JSON.stringify(good.detail), EventBusName: runtime.busName };

    const answer = await eventBridge.send(
      new PutEventsCommand({
        Entries: [
          entry,
          { ...entry, Source: "aws.partner/stripe.com/ed_forged" },
          { ...entry, Detail: "{not json" },
          { ...entry, DetailType: undefined },
          { ...entry, EventBusName: "nope" },
        ],
      }),
    );

    expect(answer.FailedEntryCount).toBe(4);
    expect(answer.Entries?.[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.Entries?.slice(1).map((e) => e.ErrorCode)).toEqual([
      "NotAuthorizedForSourceException",
      "MalformedDetail",
      "InvalidArgument",
      "ResourceNotFoundException",
    ]);
    expect(answer.Entries?.[3]?.ErrorMessage).toBe("Parameter DetailType is not valid. Reason: DetailType is a required argument.");
    expect(runtime.journal.list("bus.rejected").map((r) => r.errorCode)).toEqual(expect.arrayContaining(["MalformedDetail", "InvalidArgument"]));
  });

  it("refuses a request over the size limit or with more than ten entries", async () => {
    const big = { Source: "paybus.stripe", DetailType: "x", Detail: JSON.stringify({ pad: "x".repeat(1024 * 1024) }) };

    await expect(eventBridge.send(new PutEventsCommand({ Entries: [big] }))).rejects.toMatchObject({
      name: "ValidationException",
      message: expect.stringContaining("Total size of the entries in the request is over the limit"),
    });
    await expect(
      eventBridge.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => ({ Source: "a", DetailType: "b", Detail: "{}" })) })),
    ).rejects.toMatchObject({ name: "ValidationException" });
  });

  it("answers TestEventPattern with EventBridge's verdicts and error texts", async () => {
    const event = JSON.stringify(loadFixture("01"));

    const match = await eventBridge.send(new TestEventPatternCommand({ Event: event, EventPattern: '{"detail-type":["invoice.paid"]}' }));
    const miss = await eventBridge.send(new TestEventPatternCommand({ Event: event, EventPattern: '{"detail":{"type":[{"prefix":"charge."}]}}' }));

    expect(match.Result).toBe(true);
    expect(miss.Result).toBe(false);
    await expect(eventBridge.send(new TestEventPatternCommand({ Event: event, EventPattern: '{"detail-type":[]}' }))).rejects.toMatchObject({
      name: "InvalidEventPatternException",
      message: "Event pattern is not valid. Reason: Empty arrays are not allowed",
    });
  });

  it("moves a poison event to the DLQ with its reason after maxReceiveCount, and accounts for it", async () => {
    const poison = loadFixture("02");
    poison.detail.id = "evt_poison_mismatch";
    poison.detail.type = "invoice.payment_succeeded";

    runtime.sendEnvelopes([poison]);
    await runtime.waitForQuiet(30_000);

    const dlq = runtime.journal.list("queue.dlq").filter((entry) => entry.stripeEventId === "evt_poison_mismatch");
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.error).toContain('detail-type "invoice.payment_failed" does not match detail.type "invoice.payment_succeeded"');
    const attempts = runtime.journal.list("consumer.attempt").filter((a) => a.stripeEventId === "evt_poison_mismatch");
    expect(attempts.map((a) => a.receiveCount)).toEqual([1, 2, 3, 4, 5]);
    expect(runtime.sqs.dlqMessages("notifications").map((m) => JSON.parse(m.body).detail.id)).toContain("evt_poison_mismatch");
    const discarded = await runtime.discardDlq("notifications");
    expect(runtime.journal.list("queue.discard").map((entry) => entry.messageId)).toEqual(discarded);
    expect(runtime.sqs.dlqMessages("notifications")).toEqual([]);
  });

  it("retries through SES throttling, parks the record in the DLQ, and a redrive sends it exactly once", async () => {
    const invoice = loadFixture("01");
    invoice.detail.id = "evt_ses_outage";
    invoice.detail.data.object.id = "in_sesoutage0001";
    invoice.detail.data.object.number = "OUTAGE-0001";
    runtime.faults.ses.set(rateFaults({ rate: 1, operations: ["SendEmail"], code: "Throttling", message: "Maximum sending rate exceeded.", seed: 1 }));

    runtime.sendEnvelopes([invoice]);
    await runtime.waitForQuiet(60_000);
    const parked = runtime.sqs.dlqMessages("notifications");
    runtime.faults.ses.set(undefined);
    await runtime.redriveDlq("notifications");
    await runtime.waitForQuiet(30_000);

    expect(parked).toHaveLength(1);
    expect(runtime.journal.list("effect.email").filter((email) => email.subject.includes("OUTAGE-0001"))).toHaveLength(1);
    // The push went out on the first attempt and is not repeated by the retries or the redrive.
    const pushesForInvoice = runtime.sns.outbox.filter((push) => JSON.stringify(push.message).includes("OUTAGE-0001"));
    expect(pushesForInvoice).toHaveLength(1);
    expect(runtime.sqs.dlqMessages("notifications")).toEqual([]);
    // Its own waits allow 60 + 30 s: the retries until the DLQ take ~15 s on an idle machine, past
    // the default 30 s on a loaded one.
  }, 120_000);

  it("replays archived events by Stripe id, marked with replay-name, without new effects", async () => {
    const emailsBefore = runtime.journal.list("effect.email").length;
    const stripeId = loadFixture("01").detail.id as string;

    const replay = runtime.replays.start({ stripeEventIds: [stripeId] }, { name: "replay-e2e" });
    await runtime.waitForQuiet(30_000);

    expect(replay.events).toBeGreaterThanOrEqual(2);
    const replayed = runtime.journal.list("bus.accepted").filter((e) => e.replayName === "replay-e2e");
    expect(replayed.map((e) => e.stripeEventId)).toEqual(Array(replay.events).fill(stripeId));
    expect(replayed.every((e) => e.matchedRules.includes("RecurringPaymentNotifications"))).toBe(true);
    expect(runtime.journal.list("effect.email")).toHaveLength(emailsBefore);
  });

  it("replays through EventBridge's archive and replay API, as the deploy guide's `aws events start-replay` does", async () => {
    const busArn = "arn:aws:events:us-east-1:000000000000:event-bus/paybus-bus";
    const ruleArn = (name: string) => `arn:aws:events:us-east-1:000000000000:rule/paybus-bus/${name}`;
    const { Archives } = await eventBridge.send(new ListArchivesCommand({ EventSourceArn: busArn }));
    expect(Archives).toEqual([expect.objectContaining({ ArchiveName: "paybus-events", EventSourceArn: busArn, State: "ENABLED", RetentionDays: 7, EventCount: runtime.archive.read().length })]);
    const archive = await eventBridge.send(new DescribeArchiveCommand({ ArchiveName: "paybus-events" }));
    const window = { EventStartTime: new Date(Date.now() - 365 * 86_400_000), EventEndTime: new Date(Date.now() + 86_400_000) };
    const invoice = loadFixture("01");
    const before = runtime.journal.lastSeq;

    // Only to the notifications rule (FilterArns), though the archive's loyalty events match others.
    const started = await eventBridge.send(new StartReplayCommand({ ReplayName: "fix-1", EventSourceArn: archive.ArchiveArn, ...window, Destination: { Arn: busArn, FilterArns: [ruleArn("RecurringPaymentNotifications")] } }));
    await runtime.waitForQuiet(30_000);

    expect(started).toMatchObject({ ReplayArn: "arn:aws:events:us-east-1:000000000000:replay/fix-1", State: "STARTING" });
    const replayed = runtime.journal.list("bus.accepted", before).filter((entry) => entry.replayName === "fix-1");
    expect(replayed.length).toBe(runtime.archive.read().filter(({ event }) => JSON.parse(event).time >= window.EventStartTime.toISOString()).length);
    expect(new Set(replayed.flatMap((entry) => entry.matchedRules))).toEqual(new Set(["RecurringPaymentNotifications"]));
    expect(replayed.some((entry) => entry.stripeEventId === invoice.detail.id)).toBe(true);
    const described = await eventBridge.send(new DescribeReplayCommand({ ReplayName: "fix-1" }));
    expect(described).toMatchObject({ ReplayName: "fix-1", State: "COMPLETED", EventSourceArn: archive.ArchiveArn, Destination: { Arn: busArn, FilterArns: [ruleArn("RecurringPaymentNotifications")] } });
    expect(described.ReplayEndTime!.getTime()).toBeGreaterThanOrEqual(described.ReplayStartTime!.getTime());
    // `paybus replay`'s replays (replay-e2e, above) are listed with the API's.
    const { Replays } = await eventBridge.send(new ListReplaysCommand({}));
    expect(Replays!.map((replay) => replay.ReplayName)).toEqual(expect.arrayContaining(["replay-e2e", "fix-1"]));

    // What AWS refuses, refused the same way.
    const refusal = (call: Promise<unknown>) => call.then(() => "accepted", (error: Error) => error.name);
    expect(await refusal(eventBridge.send(new StartReplayCommand({ ReplayName: "fix-1", EventSourceArn: archive.ArchiveArn, ...window, Destination: { Arn: busArn } })))).toBe("ResourceAlreadyExistsException");
    expect(await refusal(eventBridge.send(new StartReplayCommand({ ReplayName: "fix-2", EventSourceArn: `${archive.ArchiveArn}-nope`, ...window, Destination: { Arn: busArn } })))).toBe("ResourceNotFoundException");
    expect(await refusal(eventBridge.send(new StartReplayCommand({ ReplayName: "fix-2", EventSourceArn: archive.ArchiveArn, EventStartTime: window.EventEndTime, EventEndTime: window.EventStartTime, Destination: { Arn: busArn } })))).toBe("ValidationException");
    expect(await refusal(eventBridge.send(new StartReplayCommand({ ReplayName: "fix-2", EventSourceArn: archive.ArchiveArn, ...window, Destination: { Arn: busArn.replace("paybus-bus", "default") } })))).toBe("ValidationException");
    expect(await refusal(eventBridge.send(new StartReplayCommand({ ReplayName: "fix-2", EventSourceArn: archive.ArchiveArn, ...window, Destination: { Arn: busArn, FilterArns: [ruleArn("NoSuchRule")] } })))).toBe("ResourceNotFoundException");
    expect(await refusal(eventBridge.send(new StartReplayCommand({ ReplayName: "fix 2", EventSourceArn: archive.ArchiveArn, ...window, Destination: { Arn: busArn } })))).toBe("ValidationException");
    expect(await refusal(eventBridge.send(new DescribeReplayCommand({ ReplayName: "fix-2" })))).toBe("ResourceNotFoundException");
    expect(await refusal(eventBridge.send(new CancelReplayCommand({ ReplayName: "fix-1" })))).toBe("IllegalStatusException");
    expect(await refusal(eventBridge.send(new DescribeArchiveCommand({ ArchiveName: "other" })))).toBe("ResourceNotFoundException");
  });

  it("archives every accepted event on disk, including events no rule matches", () => {
    // From a source no rule trusts (rules match Stripe's sources only), whatever the rules route.
    const unmatched = redelivery("08");
    unmatched.source = "acme.billing";

    const [result] = runtime.sendEnvelopes([unmatched]);

    expect(result).toHaveProperty("EventId");
    const accepted = runtime.journal.list("bus.accepted").find((e) => "EventId" in result! && e.eventId === result.EventId);
    expect(accepted?.matchedRules).toEqual([]);
    const archived = runtime.archive.read({ stripeEventIds: [unmatched.detail.id] });
    expect(archived.length).toBeGreaterThanOrEqual(1);
  });
});

describe("restarts", () => {
  it("keeps balances, the archive and the journal in the data directory", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "paybus-restart-"));
    try {
      const first = await startTestRuntime({ dataDir, port: 0, timeScale: 0.01, workflowTimeScale: 0.0001 });
      const [accepted] = first.sendEnvelopes([loadFixture("05")]);
      await first.waitForQuiet(30_000);
      const journaled = first.journal.list();
      const firstEmails = lifecyclesOf(first).emails();
      expect(firstEmails.length).toBeGreaterThan(0);
      await first.stop();

      const second = await startTestRuntime({ dataDir, port: 0, timeScale: 0.01, workflowTimeScale: 0.0001 });
      try {
        const { customers } = await loyaltySnapshot(second);
        expect(customers).toEqual([expect.objectContaining({ customerId: "C-101034", points: 60 })]);
        // The Stripe event, and the loyalty event it caused (the archive keeps every event on the bus, as in AWS).
        const purchase = loadFixture("05");
        expect(second.archive.read().map((a) => JSON.parse(a.event).detail.id)).toEqual([purchase.detail.id, `PointsAwarded:${purchase.detail.data.object.payment_intent}`]);
        // What the views read (the dashboard, `paybus status`): the event's whole lifecycle and each email's cause.
        expect(second.journal.list().slice(0, journaled.length)).toEqual(journaled);
        const lifecycles = lifecyclesOf(second);
        expect(lifecycles.status((accepted as { EventId: string }).EventId)).toBe("done");
        expect(lifecycles.emails()).toEqual(firstEmails);

        // Numbering goes on; a report of this process's run has its own effects only.
        const since = second.journal.lastSeq;
        second.sendEnvelopes([loadFixture("01")]);
        await second.waitForQuiet(30_000);
        expect(second.journal.list(undefined, since)[0]!.seq).toBe(since + 1);
        const report = await buildReport(second, [], null, since);
        expect(report.emails).toEqual([expect.objectContaining({ subject: expect.stringMatching(/^Payment received for invoice/) })]);
        expect(report.workflows).toEqual([]);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
