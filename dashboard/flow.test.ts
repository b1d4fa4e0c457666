import { describe, expect, it } from "vitest";
import { queues, ruleList, type RuleDeclaration } from "../declarations/rules.ts";
import { Journal, type JournalEntry, type Recorded } from "../local/journal.ts";
import { FlowCounters, flowGraph, flowIds, machineName, type FlowDeclarations } from "./flow.ts";
import type { GraphNode } from "./protocol.ts";

const declarations: FlowDeclarations = { busName: "paybus-bus", rules: ruleList, queues, stateMachines: { engagement: { email: true } } };

const overlap = (a: GraphNode, b: GraphNode) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe("flowGraph", () => {
  const graph = flowGraph(declarations);
  const ids = new Set(graph.nodes.map((node) => node.id));
  const edge = (from: string, to: string) => graph.edges.find((e) => e.id === flowIds.edge(from, to));

  it("draws every rule, queue (with its DLQ), consumer and state machine of the declaration", () => {
    const expected = [
      flowIds.bus,
      ...ruleList.map((rule) => flowIds.rule(rule.name)),
      ...Object.keys(queues).flatMap((name) => [flowIds.queue(name), flowIds.dlq(name), flowIds.consumer(name)]),
      flowIds.stateMachine("engagement"),
      flowIds.email,
      flowIds.push,
    ];

    expect([...ids].sort()).toEqual(expected.sort());
  });

  it("connects them as events flow: bus -> rule -> queue -> consumer -> state machine, queue -> DLQ", () => {
    for (const rule of ruleList) {
      expect(edge(flowIds.bus, flowIds.rule(rule.name))).toBeDefined();
      expect(edge(flowIds.rule(rule.name), flowIds.queue((rule.target as { queue: string }).queue))).toBeDefined();
    }
    expect(edge(flowIds.queue("loyalty"), flowIds.consumer("loyalty"))).toBeDefined();
    expect(edge(flowIds.queue("loyalty"), flowIds.dlq("loyalty"))).toBeDefined();
    expect(edge(flowIds.consumer("loyalty"), flowIds.stateMachine("engagement"))).toBeDefined();
    expect(edge(flowIds.consumer("notifications"), flowIds.push)).toBeDefined();
    // Only consumers allowed to start a state machine get an edge to it.
    expect(edge(flowIds.consumer("notifications"), flowIds.stateMachine("engagement"))).toBeUndefined();
    for (const e of graph.edges) expect(ids.has(e.from) && ids.has(e.to)).toBe(true);
  });

  it("lays nodes out without overlaps, inside the drawing", () => {
    for (const [i, a] of graph.nodes.entries()) {
      for (const b of graph.nodes.slice(i + 1)) expect(overlap(a, b), `${a.id} overlaps ${b.id}`).toBe(false);
      expect(a.x >= 0 && a.y >= 0 && a.x + a.width <= graph.width && a.y + a.height <= graph.height).toBe(true);
    }
  });

  it("draws a rule that targets a state machine directly", () => {
    const direct: RuleDeclaration = { name: "Direct", description: "", pattern: {}, target: { stateMachine: "engagement" }, retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 } };

    const withDirect = flowGraph({ ...declarations, rules: [...ruleList, direct] });

    expect(withDirect.edges.map((e) => e.id)).toContain(flowIds.edge(flowIds.rule("Direct"), flowIds.stateMachine("engagement")));
  });
});

describe("FlowCounters", () => {
  const t0 = Date.parse("2026-08-04T12:00:00.000Z");
  /** Journal entries at chosen times (the journal stamps the wall clock; the counters read `at`). */
  const at = (entries: Array<[number, JournalEntry]>): Recorded[] => {
    const journal = new Journal();
    return entries.map(([offsetMs, entry]) => ({ ...journal.record(entry), at: new Date(t0 + offsetMs).toISOString() }));
  };

  it("counts each edge and rates it over the last minute", () => {
    const counters = new FlowCounters(declarations, "paybus");
    const accepted = (eventId: string): JournalEntry => ({ kind: "bus.accepted", eventId, detailType: "invoice.paid", source: "s", matchedRules: ["RecurringPaymentNotifications"] });
    for (const entry of at([
      [0, accepted("a")],
      [30_000, accepted("b")],
      [90_000, accepted("c")],
      [91_000, { kind: "bus.accepted", eventId: "d", detailType: "customer.created", source: "s", matchedRules: [] }],
      [92_000, { kind: "bus.rejected", index: 0, errorCode: "MalformedDetail", errorMessage: "Detail is malformed." }],
    ])) counters.apply(entry);

    const stats = counters.edges(t0 + 100_000)[flowIds.edge(flowIds.bus, flowIds.rule("RecurringPaymentNotifications"))];

    // Within (t0+40s, t0+100s]: only "c".
    expect(stats).toEqual({ count: 3, failed: 0, perMinute: 1 });
    expect(counters.bus).toEqual({ accepted: 4, rejected: 1, unmatched: 1 });
  });

  it("counts consumer failures, DLQ moves, workflow starts and effects on their edges", () => {
    const counters = new FlowCounters(declarations, "paybus");
    for (const entry of at([
      [0, { kind: "target.delivered", eventId: "a", rule: "LoyaltyAccrual", target: "t", attempt: 1 }],
      [1, { kind: "target.failed", eventId: "a", rule: "LoyaltyAccrual", target: "t", attempt: 1, error: "x" }],
      [2, { kind: "consumer.attempt", queue: "loyalty", messageId: "m", receiveCount: 1, outcome: "failed" }],
      [3, { kind: "consumer.attempt", queue: "loyalty", messageId: "m", receiveCount: 2, outcome: "succeeded" }],
      [4, { kind: "queue.dlq", queue: "notifications", messageId: "n" }],
      [5, { kind: "workflow.started", executionArn: "x", stateMachine: "arn:aws:states:us-east-1:000000000000:stateMachine:paybus-engagement", name: "x" }],
      [6, { kind: "effect.email", to: ["a@example.com"], subject: "s" }],
      [7, { kind: "effect.push", targetArn: "t", status: "endpoint-disabled" }],
      [8, { kind: "effect.push", targetArn: "t", status: "delivered" }],
    ])) counters.apply(entry);

    const edges = counters.edges(t0 + 10);

    expect(edges[flowIds.edge(flowIds.rule("LoyaltyAccrual"), flowIds.queue("loyalty"))]).toMatchObject({ count: 2, failed: 1 });
    expect(edges[flowIds.edge(flowIds.queue("loyalty"), flowIds.consumer("loyalty"))]).toMatchObject({ count: 2, failed: 1 });
    expect(edges[flowIds.edge(flowIds.queue("notifications"), flowIds.dlq("notifications"))]).toMatchObject({ count: 1 });
    expect(edges[flowIds.edge(flowIds.consumer("loyalty"), flowIds.stateMachine("engagement"))]).toMatchObject({ count: 1 });
    expect(counters.effects).toEqual({ emails: 1, pushes: 1 });
  });
});

describe("machineName", () => {
  it("strips the runtime's prefix from a state machine ARN", () => {
    expect(machineName("arn:aws:states:us-east-1:000000000000:stateMachine:paybus-engagement", "paybus")).toBe("engagement");
    expect(machineName("arn:aws:states:us-east-1:000000000000:stateMachine:other", "paybus")).toBe("other");
  });
});
