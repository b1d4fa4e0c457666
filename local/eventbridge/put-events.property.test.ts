/**
 * Fuzz property (issue 13, third property): whatever PutEvents request reaches the local bus, the
 * answer is never a 5xx, and a request refused as a whole accepted nothing — no event journaled as
 * accepted, none archived, none delivered. An answered request accounts for every entry: one result
 * per entry, `FailedEntryCount` equal to the failed results, one accepted event per `EventId`.
 * Seeded, so a failure reproduces; fast-check prints the smallest failing request and its seed.
 */
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestBus, TEST_BUS_NAME, type TestBus } from "../../test/support/eventbridge.ts";

let t: TestBus;

beforeAll(async () => {
  t = await startTestBus();
});

afterAll(async () => {
  await t.close();
});

const anyJson = fc.jsonValue({ maxDepth: 3 });
/** A value for a string member: usually a string, sometimes any other JSON value or absent. */
const stringish = (strings: fc.Arbitrary<string>) => fc.oneof({ weight: 6, arbitrary: strings }, { weight: 1, arbitrary: anyJson }, { weight: 1, arbitrary: fc.constant(undefined) });
const detail = fc.oneof(
  fc.object({ maxDepth: 2 }).map((object) => JSON.stringify(object)),
  fc.constantFrom("{", "[1]", "null", '{"id":"evt_1"}', ""),
  fc.string(),
);
const entry = fc.record(
  {
    Source: stringish(fc.constantFrom("paybus.stripe", "aws.partner/stripe.com/ed_1", "aws.events", "", "x")),
    DetailType: stringish(fc.constantFrom("invoice.paid", "charge.refunded", "")),
    Detail: stringish(detail),
    EventBusName: stringish(fc.constantFrom(TEST_BUS_NAME, "default", "no-such-bus", `arn:aws:events:us-east-1:000000000000:event-bus/${TEST_BUS_NAME}`)),
    Resources: fc.oneof(fc.array(fc.oneof(fc.string(), anyJson), { maxLength: 3 }), anyJson),
    Time: fc.oneof(fc.integer({ min: 0, max: 2_000_000_000 }), fc.constantFrom("2026-01-01T00:00:00Z", "yesterday"), anyJson),
    TraceHeader: stringish(fc.string()),
  },
  { requiredKeys: [] },
);
const entries = fc.oneof({ weight: 8, arbitrary: fc.array(fc.oneof({ weight: 8, arbitrary: entry }, { weight: 1, arbitrary: anyJson }), { maxLength: 12 }) }, { weight: 1, arbitrary: anyJson });
const body = fc.oneof(
  { weight: 10, arbitrary: fc.record({ Entries: entries, EndpointId: stringish(fc.string()) }, { requiredKeys: [] }).map((request) => JSON.stringify(request)) },
  { weight: 1, arbitrary: anyJson.map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.string() },
);

it("never answers 5xx and never accepts part of a request it refuses", async () => {
  await fc.assert(
    fc.asyncProperty(body, async (text) => {
      const acceptedBefore = t.journal.list("bus.accepted").length;
      const archivedBefore = t.archive.read().length;
      const deliveredBefore = t.delivered.length;

      const response = await fetch(t.endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSEvents.PutEvents" },
        body: text,
      });
      const answer = (await response.json()) as { __type?: string; FailedEntryCount?: number; Entries?: Array<{ EventId?: string; ErrorCode?: string }> };
      await new Promise((resolve) => setImmediate(resolve));

      expect(response.status).toBeLessThan(500);
      const accepted = t.journal.list("bus.accepted").length - acceptedBefore;
      if (response.status !== 200) {
        expect(["SerializationException", "ValidationException"]).toContain(answer.__type);
        expect(accepted).toBe(0);
        expect(t.archive.read().length).toBe(archivedBefore);
        expect(t.delivered.length).toBe(deliveredBefore);
        return;
      }
      const sent = (JSON.parse(text) as { Entries: unknown[] }).Entries;
      expect(answer.Entries).toHaveLength(sent.length);
      expect(answer.FailedEntryCount).toBe(answer.Entries!.filter((result) => result.ErrorCode !== undefined).length);
      expect(accepted).toBe(answer.Entries!.filter((result) => result.EventId !== undefined).length);
    }),
    // `npm test` runs a bounded, seeded budget; a longer fuzz run sets PAYBUS_FUZZ_RUNS / PAYBUS_FUZZ_SEED.
    { seed: Number(process.env.PAYBUS_FUZZ_SEED ?? 1316), numRuns: Number(process.env.PAYBUS_FUZZ_RUNS ?? 300) },
  );
  // 300 HTTP round trips: generous, so that a busy machine never fails it by time.
}, 180_000);
