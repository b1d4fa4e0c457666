/**
 * An event the bus accepted (archived before PutEvents answered) reaches its targets even when the
 * process stopped before handing it over: a new bus on the same files delivers exactly the
 * deliveries that had not finished.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RuleDeclaration } from "../declarations/rules.ts";
import { Archive } from "./archive.ts";
import { DeliveryLog } from "./bus-deliveries.ts";
import { LocalEventBus } from "./eventbridge.ts";
import { Journal } from "./journal.ts";

const RULES = [
  { name: "Invoices", description: "invoices", pattern: { "detail-type": ["invoice.paid"] }, target: { queue: "notifications" }, retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 } },
  { name: "Everything", description: "all", pattern: { source: ["paybus.stripe"] }, target: { queue: "loyalty" }, retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 } },
] as unknown as RuleDeclaration[];

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A bus on `dir` whose targets record what they receive; `hold` makes a rule's target never answer. */
function bus(dir: string, hold: ReadonlySet<string> = new Set()) {
  const received: Array<{ rule: string; id: string }> = [];
  const instance = new LocalEventBus({
    name: "paybus-bus",
    region: "us-east-1",
    accountId: "000000000000",
    rules: RULES,
    targets: (rule) => ({
      arn: `arn:target:${rule.name}`,
      deliver: async (eventJson) => {
        if (hold.has(rule.name)) return new Promise<void>(() => undefined);
        received.push({ rule: rule.name, id: (JSON.parse(eventJson) as { id: string }).id });
      },
      deadLetter: async () => undefined,
    }),
    journal: new Journal(),
    archive: new Archive(join(dir, "bus.jsonl")),
    deliveries: new DeliveryLog(join(dir, "bus.delivered.jsonl")),
  });
  return { instance, received };
}

const until = async (probe: () => boolean) => {
  while (!probe()) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe("resumeDeliveries", () => {
  it("delivers after a restart what had not reached its target, and nothing that had", async () => {
    // Arrange: two events accepted; the loyalty target ("Everything") never took them.
    const dir = mkdtempSync(join(tmpdir(), "paybus-bus-"));
    dirs.push(dir);
    const before = bus(dir, new Set(["Everything"]));
    const { Entries } = before.instance.putEvents([
      { EventBusName: "paybus-bus", Source: "paybus.stripe", DetailType: "invoice.paid", Detail: '{"id":"evt_1"}' },
      { EventBusName: "paybus-bus", Source: "paybus.stripe", DetailType: "charge.succeeded", Detail: '{"id":"evt_2"}' },
    ]);
    const ids = Entries.map((entry) => (entry as { EventId: string }).EventId);
    await until(() => before.received.length === 1);

    // Act: a new bus on the same files (the old process is gone).
    const after = bus(dir);
    const resumed = after.instance.resumeDeliveries();
    await until(() => !after.instance.busy);

    // Assert
    expect(before.received).toEqual([{ rule: "Invoices", id: ids[0] }]);
    expect(resumed).toBe(2);
    expect(after.received.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [{ rule: "Everything", id: ids[0] }, { rule: "Everything", id: ids[1] }].sort((a, b) => a.id!.localeCompare(b.id!)),
    );
    expect(bus(dir).instance.resumeDeliveries()).toBe(0);
  });

  it("does not deliver again the archive of a data directory from before deliveries were recorded", () => {
    // Arrange: an archive without a delivery record beside it.
    const dir = mkdtempSync(join(tmpdir(), "paybus-bus-"));
    dirs.push(dir);
    new Archive(join(dir, "bus.jsonl")).append(JSON.stringify({ id: "old-1", source: "paybus.stripe", "detail-type": "invoice.paid", detail: {} }));

    // Act
    const resumed = bus(dir).instance.resumeDeliveries();

    // Assert
    expect(resumed).toBe(0);
  });
});
