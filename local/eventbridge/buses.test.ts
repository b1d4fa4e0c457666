/**
 * Buses and TestEventPattern as the EventBridge API reference describes them, through the real
 * `@aws-sdk/client-eventbridge`:
 * - PutEventsRequestEntry.EventBusName: "If you omit this, the default event bus is used", and only
 *   the rules of the named bus see the event — paybus declares none on the default bus;
 * - an entry for a bus that does not exist fails on its own (ResourceNotFoundException);
 * - TestEventPattern's Event must carry id, account, source, time, region and detail-type (AWS does
 *   not require `resources`, although the reference lists it); an invalid event is a
 *   ValidationException, an invalid pattern an InvalidEventPatternException.
 */
import { DescribeEventBusCommand, ListEventBusesCommand, PutEventsCommand, TestEventPatternCommand, UpdateArchiveCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventPattern } from "../../declarations/rules.ts";
import { adversarialCases } from "../../pattern/adversarial-cases.ts";
import { tooComplexToMatch } from "../../pattern/errors.ts";
import { startTestBus, TEST_BUS_NAME, type TestBus } from "../../test/support/eventbridge.ts";

let t: TestBus;

beforeAll(async () => {
  t = await startTestBus();
});

afterAll(async () => {
  await t.close();
});

const entry = { Source: "paybus.stripe", DetailType: "invoice.paid", Detail: '{"id":"evt_default"}' };

describe("the journal of accepted events", () => {
  it("records each entry's Stripe event id (a string detail.id) with its envelope, and none for a detail without one", async () => {
    const answer = await t.client.send(
      new PutEventsCommand({
        Entries: [
          { ...entry, EventBusName: TEST_BUS_NAME, Detail: '{"id":"evt_journaled","object":"event"}' },
          { ...entry, EventBusName: TEST_BUS_NAME, Detail: '{"id":42,"object":"event"}' },
          { ...entry, EventBusName: TEST_BUS_NAME, Detail: '{"object":"event"}' },
        ],
      }),
    );

    const accepted = new Map(t.journal.list("bus.accepted").map((record) => [record.eventId, record]));
    expect(answer.Entries!.map((e) => accepted.get(e.EventId!)?.stripeEventId)).toEqual(["evt_journaled", undefined, undefined]);
    expect(JSON.parse(accepted.get(answer.Entries![0]!.EventId!)!.envelope!).detail).toEqual({ id: "evt_journaled", object: "event" });
  });
});

describe("the default bus and buses that do not exist", () => {
  it("accepts an event without EventBusName on the default bus, where no paybus rule runs, and warns", async () => {
    const archived = t.archive.read().length;

    const answer = await t.client.send(new PutEventsCommand({ Entries: [entry, { ...entry, EventBusName: "default" }] }));
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(answer.FailedEntryCount).toBe(0);
    expect(answer.Entries?.every((e) => /^[0-9a-f-]{36}$/.test(e.EventId ?? ""))).toBe(true);
    expect(t.delivered.filter((event) => event.includes("evt_default"))).toEqual([]);
    expect(t.archive.read()).toHaveLength(archived);
    expect(t.journal.list("bus.accepted").filter((e) => e.eventBus === "default").map((e) => e.matchedRules)).toEqual([[], []]);
    expect(t.warnings.some((w) => w.includes("default bus") && w.includes(TEST_BUS_NAME))).toBe(true);
  });

  it("routes the same event put on paybus's bus (by name or ARN) through its rules", async () => {
    await t.client.send(
      new PutEventsCommand({
        Entries: [
          { ...entry, Detail: '{"id":"evt_named"}', EventBusName: TEST_BUS_NAME },
          { ...entry, Detail: '{"id":"evt_arn"}', EventBusName: `arn:aws:events:us-east-1:000000000000:event-bus/${TEST_BUS_NAME}` },
        ],
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(t.delivered.filter((event) => event.includes("evt_named") || event.includes("evt_arn"))).toHaveLength(2);
  });

  it("fails only the entry for a bus that does not exist, and warns", async () => {
    const answer = await t.client.send(new PutEventsCommand({ Entries: [{ ...entry, EventBusName: TEST_BUS_NAME }, { ...entry, EventBusName: "no-such-bus" }] }));

    expect(answer.FailedEntryCount).toBe(1);
    expect(answer.Entries?.[1]).toEqual({ ErrorCode: "ResourceNotFoundException", ErrorMessage: "Event bus no-such-bus does not exist." });
    expect(t.warnings.some((w) => w.includes('"no-such-bus"'))).toBe(true);
  });

  it("lists and describes the default bus next to paybus's, and no other", async () => {
    const { EventBuses } = await t.client.send(new ListEventBusesCommand({}));
    const described = await t.client.send(new DescribeEventBusCommand({}));

    expect(EventBuses?.map((bus) => bus.Name)).toEqual(["default", TEST_BUS_NAME]);
    expect(described.Name).toBe("default");
    await expect(t.client.send(new DescribeEventBusCommand({ Name: "no-such-bus" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("answers an operation it does not emulate at once with UnknownOperationException", async () => {
    await expect(t.client.send(new UpdateArchiveCommand({ ArchiveName: "a" }))).rejects.toMatchObject({ name: "UnknownOperationException" });
  });
});

describe("TestEventPattern validates the event as AWS does", () => {
  const event = { version: "0", id: "1", "detail-type": "invoice.paid", source: "paybus.stripe", account: "123456789012", time: "2026-01-01T00:00:00Z", region: "us-east-1", resources: [], detail: {} };
  const pattern = '{"source":["paybus.stripe"]}';
  const test = (e: unknown, p = pattern) => t.client.send(new TestEventPatternCommand({ Event: typeof e === "string" ? e : JSON.stringify(e), EventPattern: p }));

  it("matches an event without resources, detail or version (the CLI's own example has none)", async () => {
    const { resources: _r, detail: _d, version: _v, ...minimal } = event;

    await expect(test(minimal)).resolves.toMatchObject({ Result: true });
  });

  it.each(["id", "account", "source", "time", "region", "detail-type"])("refuses an event without %s with ValidationException", async (field) => {
    const { [field as keyof typeof event]: _dropped, ...rest } = event;

    await expect(test(rest)).rejects.toMatchObject({ name: "ValidationException", message: "Parameter Event is not valid." });
  });

  it.each([["not JSON", "{"], ["an array", "[]"], ["a string", '"event"']])("refuses an event that is %s with ValidationException", async (_case, text) => {
    await expect(test(text)).rejects.toMatchObject({ name: "ValidationException", message: "Parameter Event is not valid." });
  });

  it("checks the pattern before the event", async () => {
    await expect(test("{", '{"source":[]}')).rejects.toMatchObject({
      name: "InvalidEventPatternException",
      message: "Event pattern is not valid. Reason: Empty arrays are not allowed",
    });
  });
});

describe("an event the pattern engine refuses as too complex to decide (a deliberate difference)", () => {
  // The generated worst case whose duplicate-key spellings exhaust the matcher's allowance.
  const refused = adversarialCases.find((c) => typeof c.expected === "object" && "invalidEvent" in c.expected && c.expected.invalidEvent === tooComplexToMatch())!;
  const detail = refused.event.slice(refused.event.indexOf(',"detail":') + ',"detail":'.length, -1);
  let strict: TestBus;

  beforeAll(async () => {
    strict = await startTestBus({ pattern: JSON.parse(refused.pattern) as EventPattern });
  });

  afterAll(async () => {
    await strict.close();
  });

  it("fails only that entry with InvalidArgument (not a retryable InternalFailure) and archives nothing of it", async () => {
    const archived = strict.archive.read().length;

    const answer = await strict.client.send(
      new PutEventsCommand({ Entries: [{ ...entry, Detail: detail, EventBusName: TEST_BUS_NAME }, { ...entry, Detail: '{"id":"evt_plain"}', EventBusName: TEST_BUS_NAME }] }),
    );

    expect(answer.FailedEntryCount).toBe(1);
    expect(answer.Entries?.[0]?.ErrorCode).toBe("InvalidArgument");
    expect(answer.Entries?.[0]?.ErrorMessage).toMatch(/^Event is not valid: /);
    expect(answer.Entries?.[1]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(strict.archive.read().map((e) => e.event)).toHaveLength(archived + 1);
    expect(strict.archive.read().at(-1)?.event).toContain("evt_plain");
    expect(strict.journal.list("bus.rejected").map((e) => e.errorCode)).toEqual(["InvalidArgument"]);
  });

  it("answers TestEventPattern with ValidationException", async () => {
    await expect(strict.client.send(new TestEventPatternCommand({ Event: refused.event, EventPattern: refused.pattern }))).rejects.toMatchObject({
      name: "ValidationException",
      message: "Parameter Event is not valid.",
    });
  });

  it("skips such an event already in the archive (written by an older version) when the archive is replayed, instead of throwing", () => {
    strict.archive.append(refused.event);

    expect(() => strict.bus.replay({}, "replay-1")).not.toThrow();
    expect(strict.warnings.some((w) => w.includes("archived event was skipped"))).toBe(true);
  });
});
