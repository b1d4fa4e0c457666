/**
 * PutEvents requests refused whole, before any entry is accepted, as AWS refuses them: a member of
 * the wrong JSON type is a `SerializationException` (the protocol's deserializer), missing Entries,
 * a null entry or a count outside 1–10 a `ValidationException` (the model's constraints). Sent by the
 * real `@aws-sdk/client-eventbridge`, whose serialized body is replaced by the malformed one.
 */
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBus, TEST_BUS_NAME, type TestBus } from "../../test/support/eventbridge.ts";

let t: TestBus;

beforeAll(async () => {
  t = await startTestBus();
});

afterAll(async () => {
  await t.close();
});

/** Sends `body` as the PutEvents request body through the SDK (signed, with its headers). */
function sendRaw(body: unknown) {
  const command = new PutEventsCommand({ Entries: [] });
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { body?: unknown; headers: Record<string, string> };
      request.body = JSON.stringify(body);
      request.headers["content-length"] = String(Buffer.byteLength(request.body as string));
      return next(args);
    },
    { step: "build", priority: "low", name: "malformedBody" },
  );
  return t.client.send(command);
}

const good = { Source: "paybus.stripe", DetailType: "invoice.paid", Detail: '{"id":"evt_1"}', EventBusName: TEST_BUS_NAME };

describe("a malformed PutEvents request is refused whole", () => {
  it.each([
    ["a number as EventBusName", { Entries: [good, { ...good, EventBusName: 5 }] }, "SerializationException"],
    ["an object as Detail", { Entries: [good, { ...good, Detail: { id: "evt_2" } }] }, "SerializationException"],
    ["a list as Source", { Entries: [good, { ...good, Source: ["paybus.stripe"] }] }, "SerializationException"],
    ["a boolean as DetailType", { Entries: [good, { ...good, DetailType: true }] }, "SerializationException"],
    ["a string as Resources", { Entries: [good, { ...good, Resources: "arn:aws:x" }] }, "SerializationException"],
    ["an object as Entries", { Entries: { 0: good } }, "SerializationException"],
    ["a string as an entry", { Entries: [good, "entry"] }, "SerializationException"],
    ["a null entry", { Entries: [good, null] }, "ValidationException"],
    ["no Entries", {}, "ValidationException"],
    ["empty Entries", { Entries: [] }, "ValidationException"],
    ["eleven entries", { Entries: Array.from({ length: 11 }, () => good) }, "ValidationException"],
  ])("%s: %s, and nothing of it is accepted", async (_case, body, errorName) => {
    const acceptedBefore = t.journal.list("bus.accepted").length;
    const archivedBefore = t.archive.read().length;

    const error = await sendRaw(body).then(
      () => undefined,
      (e: Error & { $metadata?: { httpStatusCode?: number } }) => e,
    );

    expect(error?.name).toBe(errorName);
    expect(error?.$metadata?.httpStatusCode).toBe(400);
    expect(t.journal.list("bus.accepted")).toHaveLength(acceptedBefore);
    expect(t.archive.read()).toHaveLength(archivedBefore);
  });

  it("names the constraint AWS names for a null entry and for a missing Entries", async () => {
    await expect(sendRaw({ Entries: [good, null] })).rejects.toThrow(
      "1 validation error detected: Value null at 'entries.2.member' failed to satisfy constraint: Member must not be null",
    );
    await expect(sendRaw({})).rejects.toThrow("1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null");
  });

  it("reads null optional members as absent, as the protocol does", async () => {
    const answer = await sendRaw({ Entries: [{ ...good, Resources: null, TraceHeader: null, Time: null }] });

    expect(answer.FailedEntryCount).toBe(0);
    expect(answer.Entries?.[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
