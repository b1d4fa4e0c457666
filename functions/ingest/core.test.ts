import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURE_DIR, fixtureNames, loadFixture } from "../../fixtures/index.ts";
import { WEBHOOK_SOURCE } from "../../declarations/rules.ts";
import { BridgeConfigError, type BridgeConfig } from "./config.ts";
import {
  SIGNATURE_TOLERANCE_SECONDS,
  answerMisconfigured,
  answerPutEvents,
  answerPutEventsError,
  verifyAndBuild,
  type BridgeDecision,
  type PublishDecision,
  type RejectDecision,
} from "./core.ts";
import { compactJson, putEventsEntrySize } from "./entry.ts";
import { NEXT_SECRET, SECRET, SIGNED_AT, sign, signWithEach, stripeEvent, testConfig, webhookBody } from "../../test/support/webhook.ts";

const arrival = (secondsAfterSigning = 2) => new Date((SIGNED_AT + secondsAfterSigning) * 1000);

function deliver(
  body: string,
  headers: Record<string, string | undefined>,
  config: BridgeConfig = testConfig(),
  at: Date = arrival(),
): BridgeDecision {
  return verifyAndBuild(Buffer.from(body, "utf8"), headers, config, at);
}

function expectPublish(decision: BridgeDecision): PublishDecision {
  expect(decision.outcome, JSON.stringify(decision.body)).toBe("publish");
  return decision as PublishDecision;
}

function expectReject(decision: BridgeDecision, status: number, reason: string): RejectDecision {
  expect(decision.outcome).toBe("reject");
  expect(decision).not.toHaveProperty("entry");
  const rejected = decision as RejectDecision;
  expect({ status: rejected.status, reason: rejected.reason }).toEqual({ status, reason });
  return rejected;
}

describe("a verified snapshot event becomes the partner source's entry", () => {
  it("keeps the Stripe event as the detail and its type as the detail-type", () => {
    const fixture = loadFixture("01");
    const body = webhookBody(fixture.detail);

    const decision = expectPublish(deliver(body, { "stripe-signature": sign(body) }));

    expect(decision.entry).toEqual({
      EventBusName: "paybus-test",
      Time: arrival(),
      Source: WEBHOOK_SOURCE,
      DetailType: fixture["detail-type"],
      Detail: JSON.stringify(fixture.detail),
    });
    expect(decision.event).toEqual({ id: "evt_1RK2A95kb18UZlUmKogTQMTK", type: "invoice.paid", kind: "snapshot" });
    expect(decision.body).toEqual({ received: true, id: "evt_1RK2A95kb18UZlUmKogTQMTK" });
  });

  it("finds the signature header whatever its case", () => {
    const body = webhookBody(stripeEvent("03"));

    const decision = deliver(body, { "Stripe-Signature": sign(body) });

    expect(expectPublish(decision).entry.DetailType).toBe("payment_intent.succeeded");
  });

  it("measures the entry as EventBridge does: Time + Source + DetailType + Detail bytes", () => {
    const event = stripeEvent("12");
    const body = webhookBody(event);

    const decision = expectPublish(deliver(body, { "stripe-signature": sign(body) }));

    const expected = 14 + WEBHOOK_SOURCE.length + "charge.succeeded".length + Buffer.byteLength(JSON.stringify(event));
    expect(decision.entryBytes).toBe(expected);
  });
});

describe("signature verification", () => {
  const body = webhookBody(stripeEvent("03"));

  it("refuses a body signed with another secret", () => {
    const decision = deliver(body, { "stripe-signature": sign(body, { secret: "whsec_someone_else" }) });

    const rejected = expectReject(decision, 400, "bad_signature");
    expect(rejected.body).toEqual({
      error: { reason: "bad_signature", message: expect.stringMatching(/^Stripe-Signature matches no configured webhook secret: No signatures found matching/) },
    });
  });

  it("refuses a request without a Stripe-Signature header", () => {
    const rejected = expectReject(deliver(body, {}), 400, "bad_signature");

    expect(rejected.body).toEqual({ error: { reason: "bad_signature", message: "missing Stripe-Signature header" } });
  });

  it("refuses a header without a v1 signature", () => {
    const rejected = expectReject(deliver(body, { "stripe-signature": `t=${SIGNED_AT}` }), 400, "bad_signature");

    expect(JSON.stringify(rejected.body)).toContain("No signatures found with expected scheme");
  });

  it("refuses a tampered body even with a header that was valid for the original", () => {
    const event = stripeEvent("03");
    const signature = sign(webhookBody(event));
    event.data.object.amount += 100;

    expectReject(deliver(webhookBody(event), { "stripe-signature": signature }), 400, "bad_signature");
  });

  it(`accepts a signature exactly ${SIGNATURE_TOLERANCE_SECONDS} s old and refuses one a second older`, () => {
    const headers = { "stripe-signature": sign(body) };

    const atLimit = deliver(body, headers, testConfig(), arrival(SIGNATURE_TOLERANCE_SECONDS));
    const stale = deliver(body, headers, testConfig(), arrival(SIGNATURE_TOLERANCE_SECONDS + 1));

    expectPublish(atLimit);
    expectReject(stale, 400, "stale_timestamp");
  });

  it("reports a stale forgery as a bad signature, not as stale", () => {
    const headers = { "stripe-signature": sign(body, { secret: "whsec_someone_else" }) };

    expectReject(deliver(body, headers, testConfig(), arrival(3600)), 400, "bad_signature");
  });

  it("refuses an arrival time that is not a date, which would disable the tolerance", () => {
    expect(() => deliver(body, { "stripe-signature": sign(body) }, testConfig(), new Date(Number.NaN))).toThrow(RangeError);
  });

  describe("headers that make Stripe's verifier throw a plain Error (issue 13, point 1)", () => {
    it.each([
      ["an empty v1=", `t=${SIGNED_AT},v1=`],
      ["a bare v1", `t=${SIGNED_AT},v1`],
      ["only empty signatures", `t=${SIGNED_AT},v1=,v1=`],
    ])("refuses %s as a bad signature instead of throwing", (_, header) => {
      const rejected = expectReject(deliver(body, { "stripe-signature": header }), 400, "bad_signature");

      expect(JSON.stringify(rejected.body)).toContain("No signatures found with expected scheme");
    });

    it("still accepts a genuine signature beside an empty v1=", () => {
      const header = `${sign(body)},v1=`;

      expectPublish(deliver(body, { "stripe-signature": header }));
      const [timestamp, genuine] = sign(body).split(",");
      expectPublish(deliver(body, { "stripe-signature": [timestamp, "v1=", "v1", genuine, "v1="].join(",") }));
    });
  });

  describe("secret rotation", () => {
    const rotating = testConfig({ webhookSecrets: [SECRET, NEXT_SECRET] });

    it.each([
      ["the current secret", SECRET],
      ["the next secret", NEXT_SECRET],
    ])("accepts a body signed with %s when both are configured", (_, secret) => {
      expectPublish(deliver(body, { "stripe-signature": sign(body, { secret }) }, rotating));
    });

    it("accepts a header carrying one v1 per secret when only one of them is configured", () => {
      const header = signWithEach(body, ["whsec_retired_secret", NEXT_SECRET]);

      expect(header.match(/v1=/g)).toHaveLength(2);
      expectPublish(deliver(body, { "stripe-signature": header }, testConfig({ webhookSecrets: [NEXT_SECRET] })));
    });

    it("still refuses a secret that is not configured", () => {
      const header = { "stripe-signature": sign(body, { secret: "whsec_retired_secret" }) };

      expectReject(deliver(body, header, rotating), 400, "bad_signature");
    });
  });
});

describe("malformed bodies, correctly signed, publish nothing", () => {
  it.each([
    ["not JSON", "{not json", /^body is not valid JSON/],
    ["not a Stripe event", JSON.stringify({ id: "cus_1", object: "customer" }), /object must be "event" or "v2.core.event"/],
    ["JSON null", "null", /object must be "event" or "v2.core.event"/],
    [
      "an event without a type",
      JSON.stringify({ ...stripeEvent("03"), type: undefined }),
      /^body is not a valid Stripe snapshot event: type: /,
    ],
    [
      "an event whose id is not an event id",
      JSON.stringify({ ...stripeEvent("03"), id: "pi_3RK2A95kb18UZlUm" }),
      /^body is not a valid Stripe snapshot event: id: expected a Stripe event id/,
    ],
  ])("refuses %s", (_, body, message) => {
    const rejected = expectReject(deliver(body, { "stripe-signature": sign(body) }), 400, "malformed_body");

    expect((rejected.body as { error: { message: string } }).error.message).toMatch(message);
  });
});

describe("refusals never repeat the payload (issue 13, point 2)", () => {
  it.each([
    ["a name in it", '{"a": jenny}'],
    ["an email at its start", "jenny.rosen@example.com paid"],
    ["an unterminated string", '"jenny.rosen'],
  ])("answers a signed non-JSON body with %s without quoting it", (_, body) => {
    const rejected = expectReject(deliver(body, { "stripe-signature": sign(body) }), 400, "malformed_body");

    const message = (rejected.body as { error: { message: string } }).error.message;
    expect(message).toMatch(/^body is not valid JSON/);
    expect(message).not.toContain("jenny");
  });
});

describe("livemode must match the deployment", () => {
  it("refuses a live event in a test-mode deployment, naming the setting", () => {
    const body = webhookBody({ ...stripeEvent("03"), livemode: true });

    const rejected = expectReject(deliver(body, { "stripe-signature": sign(body) }), 400, "livemode_mismatch");

    expect(rejected.body).toEqual({
      error: {
        reason: "livemode_mismatch",
        message: expect.stringContaining("has livemode=true, but this deployment accepts only livemode=false events (PAYBUS_EXPECTED_LIVEMODE)"),
      },
    });
  });

  it("refuses a test event in a live deployment and accepts a live one", () => {
    const live = testConfig({ expectedLivemode: true });
    const testBody = webhookBody(stripeEvent("03"));
    const liveBody = webhookBody({ ...stripeEvent("03"), livemode: true });

    expectReject(deliver(testBody, { "stripe-signature": sign(testBody) }, live), 400, "livemode_mismatch");
    expectPublish(deliver(liveBody, { "stripe-signature": sign(liveBody) }, live));
  });
});

describe("thin events", () => {
  const thin = stripeEvent("16");
  const body = webhookBody(thin);
  const headers = { "stripe-signature": sign(body) };

  it("are refused with the setting to change when the deployment does not forward them", () => {
    const rejected = expectReject(deliver(body, headers), 400, "thin_events_disabled");

    expect(rejected.event).toEqual({ id: thin.id, type: "v2.core.event_destination.ping", kind: "thin" });
    expect(JSON.stringify(rejected.body)).toContain("PAYBUS_FORWARD_THIN_EVENTS=true");
  });

  it("are published like the partner source does when configured", () => {
    const decision = expectPublish(deliver(body, headers, testConfig({ forwardThinEvents: true })));

    expect(decision.entry.DetailType).toBe("v2.core.event_destination.ping");
    expect(decision.entry.Detail).toBe(JSON.stringify(thin));
  });
});

describe("the entry size limit", () => {
  const body = webhookBody(stripeEvent("01"));
  const headers = { "stripe-signature": sign(body) };
  const size = expectPublish(deliver(body, headers)).entryBytes;

  it("publishes an entry exactly at the limit", () => {
    expectPublish(deliver(body, headers, testConfig({ maxEntryBytes: size })));
  });

  it("refuses an entry a byte over the limit with 413, its size and the setting", () => {
    const rejected = expectReject(deliver(body, headers, testConfig({ maxEntryBytes: size - 1 })), 413, "oversized");

    expect(rejected.entryBytes).toBe(size);
    expect(rejected.body).toEqual({
      error: {
        reason: "oversized",
        message: expect.stringContaining(`is ${size} bytes as a PutEvents entry, over the ${size - 1}-byte limit (PAYBUS_MAX_ENTRY_BYTES)`),
      },
    });
  });
});

describe("putEventsEntrySize", () => {
  const manifest: { files: { file: string; eventbridge_entry_bytes: number }[] } = JSON.parse(
    readFileSync(join(FIXTURE_DIR, "manifest.json"), "utf8"),
  );

  it.each(manifest.files)("agrees with the fixture generator's count for $file", ({ file, eventbridge_entry_bytes }) => {
    const fixture = loadFixture(file);

    const size = putEventsEntrySize({
      Time: new Date(fixture.time),
      Source: fixture.source,
      DetailType: fixture["detail-type"],
      Detail: JSON.stringify(fixture.detail),
      Resources: fixture.resources,
    });

    expect(size).toBe(eventbridge_entry_bytes);
  });

  it("counts UTF-8 bytes, not characters, and Time only when set", () => {
    const entry = { Source: "s", DetailType: "t", Detail: '{"name":"Zoë 日本"}', Resources: ["é"] };

    expect(putEventsEntrySize(entry)).toBe(1 + 1 + 22 + 2);
    expect(putEventsEntrySize({ ...entry, Time: new Date(0) })).toBe(14 + 26);
  });
});

describe("compactJson", () => {
  it("removes whitespace between tokens and keeps every token byte for byte", () => {
    const pretty = '{\n  "a" : [ 1.0 , 12345678901234567890, 1e3 ],\r\n\t"b": "keep  this \\" and \\\\ \\u00e9",\n  "c": { },\n  "d": "\\\\" ,  "e" : 1\n}';

    const compact = compactJson(pretty);

    expect(compact).toBe('{"a":[1.0,12345678901234567890,1e3],"b":"keep  this \\" and \\\\ \\u00e9","c":{},"d":"\\\\","e":1}');
    expect(JSON.parse(compact)).toEqual(JSON.parse(pretty));
  });

  it.each(fixtureNames.map((name) => [name]))("turns Stripe's pretty-printed body for %s into the compact event", (name) => {
    const { detail } = loadFixture(name);

    expect(compactJson(JSON.stringify(detail, null, 2))).toBe(JSON.stringify(detail));
  });
});

describe("answers once PutEvents has run", () => {
  const body = webhookBody(stripeEvent("03"));
  const decision = expectPublish(deliver(body, { "stripe-signature": sign(body) }));

  it("is 200 with the bus's event id when the entry was accepted", () => {
    const answer = answerPutEvents(decision, { FailedEntryCount: 0, Entries: [{ EventId: "11710aed-b79e-4468-a20b-bb3c0c3b4860" }] });

    expect(answer).toEqual({
      status: 200,
      body: { received: true, id: decision.event.id, eventBridgeId: "11710aed-b79e-4468-a20b-bb3c0c3b4860" },
    });
  });

  it("is 502 naming the error when the entry failed", () => {
    const answer = answerPutEvents(decision, {
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: "InternalFailure", ErrorMessage: "try again" }],
    });

    expect(answer).toEqual({
      status: 502,
      body: {
        error: {
          reason: "publish_failed",
          message: `${decision.event.id} was not put on the event bus (InternalFailure: try again); retry later`,
        },
      },
    });
  });

  it.each([
    ["no entry result", { FailedEntryCount: 0, Entries: [] }],
    ["a failed count, even beside an event id", { FailedEntryCount: 1, Entries: [{ EventId: "e1" }] }],
    ["an error code, even with a zero failed count", { FailedEntryCount: 0, Entries: [{ EventId: "e1", ErrorCode: "InternalFailure" }] }],
  ])("is 502 when the bus returned %s", (_, output) => {
    expect(answerPutEvents(decision, output).status).toBe(502);
  });

  it("is 502 naming the error when the call failed", () => {
    const error = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });

    const answer = answerPutEventsError(decision, error);

    expect(answer.status).toBe(502);
    expect(JSON.stringify(answer.body)).toContain("(ThrottlingException: Rate exceeded)");
  });

  it("is 500 with the configuration problem when the deployment is misconfigured", () => {
    const answer = answerMisconfigured(new BridgeConfigError("webhook bridge misconfigured: PAYBUS_EVENT_BUS_NAME is not set"));

    expect(answer).toEqual({
      status: 500,
      body: { error: { reason: "misconfigured", message: "webhook bridge misconfigured: PAYBUS_EVENT_BUS_NAME is not set" } },
    });
  });
});
