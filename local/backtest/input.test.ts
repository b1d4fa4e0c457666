import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURE_DIR, loadFixture } from "../../fixtures/index.ts";
import { EventInputError, readBacktestEvents, syntheticEvents } from "./input.ts";

const work = mkdtempSync(join(tmpdir(), "paybus-backtest-input-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
}

describe("readBacktestEvents", () => {
  it("reads a directory of envelopes (the fixtures), oldest first", () => {
    // Act
    const events = readBacktestEvents(FIXTURE_DIR);

    // Assert
    expect(events.length).toBeGreaterThanOrEqual(16);
    const created = events.map((event) => Number(event.detail?.created) || Date.parse(event.time) / 1000);
    expect(created).toEqual([...created].sort((a, b) => a - b));
  });

  it("reads a paybus archive (JSON Lines of {archivedAt, event}), skipping a torn last line", () => {
    // Arrange
    const envelope = loadFixture("03");
    const line = JSON.stringify({ archivedAt: "2026-01-01T00:00:00.000Z", event: JSON.stringify(envelope) });

    // Act
    const events = readBacktestEvents(file("archive.jsonl", `${line}\n${line}\n{"archivedAt":"2026`));

    // Assert
    expect(events).toEqual([envelope, envelope]);
  });

  it("reads an export as a JSON list or JSON Lines of envelopes", () => {
    // Arrange
    const a = loadFixture("01");
    const b = loadFixture("03");

    // Act + Assert
    expect(readBacktestEvents(file("export.json", JSON.stringify([b, a]))).map((e) => e.detail.id)).toEqual([a, b].sort((x, y) => x.detail.created - y.detail.created).map((e) => e.detail.id));
    expect(readBacktestEvents(file("export.jsonl", `${JSON.stringify(a)}\n${JSON.stringify(b)}\n`))).toHaveLength(2);
  });

  it("wraps `stripe events list` output in the partner event source's envelope", () => {
    // Arrange
    const stripe = loadFixture("03").detail;

    // Act
    const [event] = readBacktestEvents(file("list.json", JSON.stringify({ object: "list", data: [stripe], has_more: false })));

    // Assert
    expect(event).toMatchObject({ "detail-type": "payment_intent.succeeded", source: "aws.partner/stripe.com/ed_test_local", detail: stripe });
    expect(event!.time).toBe(new Date(stripe.created * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"));
  });

  it("refuses what is not events, naming the file", () => {
    expect(() => readBacktestEvents(file("bad.json", JSON.stringify([{ hello: 1 }])))).toThrow(EventInputError);
    expect(() => readBacktestEvents(join(work, "absent.json"))).toThrow(/no such file/);
  });

  it("generates the same synthetic events for the same seed, with unique Stripe ids", () => {
    // Act
    const first = syntheticEvents(200, 3);
    const again = syntheticEvents(200, 3);

    // Assert
    expect(again).toEqual(first);
    expect(new Set(first.map((e) => e.detail.id)).size).toBe(200);
    expect(new Set(first.map((e) => e["detail-type"]))).toEqual(new Set(["payment_intent.succeeded", "invoice.paid", "invoice.payment_failed", "charge.refunded"]));
  });
});
