import { describe, expect, it } from "vitest";
import { buildEnvelope, entrySize, validateEntry } from "./eventbridge.ts";

const buses = new Set(["paybus-bus", "default"]);
const entry = { Source: "paybus.stripe", DetailType: "invoice.paid", Detail: '{"id":"evt_1"}' };

describe("PutEvents entry validation", () => {
  it("accepts a well-formed entry", () => {
    expect(validateEntry(entry, buses)).toBeUndefined();
  });

  it.each([
    [{ ...entry, Source: undefined }, "InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."],
    [{ ...entry, Detail: "[1]" }, "MalformedDetail", "Detail is malformed."],
    [{ ...entry, Detail: "{" }, "MalformedDetail", "Detail is malformed."],
    [{ ...entry, Detail: `{"a":${"[".repeat(1000)}${"]".repeat(1000)}}` }, "MalformedDetail", "Detail is malformed."],
    [{ ...entry, Source: "aws.partner/stripe.com/ed_1" }, "NotAuthorizedForSourceException", "Not authorized for the source."],
    [{ ...entry, EventBusName: "arn:aws:events:us-east-1:1:event-bus/other" }, "ResourceNotFoundException", "Event bus other does not exist."],
  ])("refuses %j", (bad, code, message) => {
    expect(validateEntry(bad, buses)).toEqual({ ErrorCode: code, ErrorMessage: message });
  });

  it("lets the partner integration itself use its aws.partner source, and nothing else aws.", () => {
    expect(validateEntry({ ...entry, Source: "aws.partner/stripe.com/ed_1" }, buses, { partner: true })).toBeUndefined();
    expect(validateEntry({ ...entry, Source: "aws.events" }, buses, { partner: true })).toMatchObject({ ErrorCode: "NotAuthorizedForSourceException" });
  });

  it("counts the entry size as EventBridge does", () => {
    expect(entrySize(entry)).toBe("paybus.stripe".length + "invoice.paid".length + '{"id":"evt_1"}'.length);
    expect(entrySize({ ...entry, Time: 1, Resources: ["arn:x"] })).toBe(entrySize(entry) + 14 + 5);
    expect(entrySize({ ...entry, Detail: '{"n":"€"}' })).toBe(entrySize(entry) - 14 + 11);
  });
});

describe("the envelope targets receive", () => {
  it("keeps the caller's number literals exactly, beyond double precision", () => {
    const detail = '{"id":"evt_1","big":12345678901234567890,"exp":3.0e2}';

    const text = buildEnvelope({ ...entry, Detail: detail, Time: "2026-08-04T14:19:10.123Z" }, { id: "e-1", account: "000000000000", region: "us-east-1" });

    expect(text.endsWith(`"detail":${detail}}`)).toBe(true);
    expect(JSON.parse(text)).toMatchObject({ version: "0", id: "e-1", "detail-type": "invoice.paid", time: "2026-08-04T14:19:10Z", resources: [] });
  });

  it("marks replayed events with their replay name", () => {
    const text = buildEnvelope(entry, { id: "e-2", account: "1", region: "eu-west-1", replayName: "replay-7" });

    expect(JSON.parse(text)["replay-name"]).toBe("replay-7");
  });
});
