/**
 * The flow view's model: the routing declaration drawn as a graph (bus -> rules -> queues (+DLQ)
 * -> consumers -> state machines, and the effects they may cause), and live counts and rates per
 * edge folded from the journal. Pure: declarations and journal entries in, layout and figures out.
 */
import type { QueueDeclaration, RuleDeclaration } from "../declarations/rules.ts";
import type { Recorded } from "../local/journal.ts";
import type { EdgeStats, Graph, GraphEdge, GraphNode } from "./protocol.ts";

export interface FlowDeclarations {
  readonly busName: string;
  readonly rules: readonly RuleDeclaration[];
  readonly queues: Readonly<Record<string, Pick<QueueDeclaration, "consumer" | "maxReceiveCount">>>;
  /** State machine name -> whether its functions send email. */
  readonly stateMachines: Readonly<Record<string, { readonly email: boolean }>>;
}

/** Column widths: bus, rules, queues, consumers, state machines, effects (rule names are long). */
const COLUMN_WIDTHS = [140, 236, 150, 186, 150, 120] as const;
/** Room for a label with the live counts between two columns. */
const COLUMN_GAP = 84;
const NODE_HEIGHT = 62;
const ROW_GAP = 24;
const MARGIN = 24;

const columnX = (column: number) => MARGIN + COLUMN_WIDTHS.slice(0, column).reduce((sum, width) => sum + width + COLUMN_GAP, 0);

/** Node ids, one scheme for layout and counting. */
export const flowIds = {
  bus: "bus",
  rule: (name: string) => `rule:${name}`,
  queue: (name: string) => `queue:${name}`,
  dlq: (name: string) => `dlq:${name}`,
  consumer: (name: string) => `consumer:${name}`,
  stateMachine: (name: string) => `sm:${name}`,
  email: "effect:email",
  push: "effect:push",
  edge: (from: string, to: string) => `${from}->${to}`,
};

interface Placed {
  id: string;
  kind: string;
  label: string;
  sublabel?: string;
  column: number;
  /** Where the node would like its centre to be; resolved so that nodes never overlap. */
  wanted: number;
  y?: number;
}

const mean = (values: readonly number[], fallback: number) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : fallback);

/** Top-down within a column: each node as near its wish as the one above allows. */
function settle(column: Placed[]): void {
  let floor = -Infinity;
  for (const node of column.sort((a, b) => a.wanted - b.wanted)) {
    node.y = Math.max(node.wanted - NODE_HEIGHT / 2, floor);
    floor = node.y + NODE_HEIGHT + ROW_GAP;
  }
}

/** Lays the routing declaration out left to right, one column per stage. */
export function flowGraph(declarations: FlowDeclarations): Graph {
  const { rules, queues, stateMachines } = declarations;
  const nodes = new Map<string, Placed>();
  const edges: Array<{ from: string; to: string; kind: string }> = [];
  const place = (node: Placed) => nodes.set(node.id, node);
  const y = (id: string) => nodes.get(id)!.y! + NODE_HEIGHT / 2;
  const step = NODE_HEIGHT + ROW_GAP;

  place({ id: flowIds.bus, kind: "bus", label: "Event bus", sublabel: declarations.busName, column: 0, wanted: 0 });
  rules.forEach((rule, index) => {
    place({ id: flowIds.rule(rule.name), kind: "rule", label: rule.name, sublabel: "rule", column: 1, wanted: index * step });
    edges.push({ from: flowIds.bus, to: flowIds.rule(rule.name), kind: "match" });
  });
  settle([...nodes.values()].filter((node) => node.column === 1));

  const rulesTo = (target: string) => rules.filter((rule) => ("queue" in rule.target ? rule.target.queue : rule.target.stateMachine) === target);
  for (const [name, queue] of Object.entries(queues)) {
    const wanted = mean(rulesTo(name).map((rule) => y(flowIds.rule(rule.name))), 0);
    place({ id: flowIds.queue(name), kind: "queue", label: name, sublabel: "SQS queue", column: 2, wanted });
    place({ id: flowIds.dlq(name), kind: "dlq", label: `${name} DLQ`, sublabel: `after ${queue.maxReceiveCount} receives`, column: 2, wanted: wanted + step });
    place({ id: flowIds.consumer(name), kind: "consumer", label: queue.consumer.handler.split("/").slice(0, -1).join("/"), sublabel: "Lambda consumer", column: 3, wanted });
    for (const rule of rulesTo(name)) edges.push({ from: flowIds.rule(rule.name), to: flowIds.queue(name), kind: "deliver" });
    edges.push({ from: flowIds.queue(name), to: flowIds.consumer(name), kind: "consume" }, { from: flowIds.queue(name), to: flowIds.dlq(name), kind: "dead-letter" });
  }
  settle([...nodes.values()].filter((node) => node.column === 2));
  for (const name of Object.keys(queues)) nodes.get(flowIds.consumer(name))!.wanted = y(flowIds.queue(name));
  settle([...nodes.values()].filter((node) => node.column === 3));

  const consumersOf = (machine: string) =>
    Object.entries(queues).filter(([, queue]) => queue.consumer.access.stateMachines?.some((name) => name === machine)).map(([name]) => name);
  for (const machine of Object.keys(stateMachines)) {
    const sources = consumersOf(machine);
    const fromRules = rulesTo(machine);
    const wanted = mean([...sources.map((q) => y(flowIds.consumer(q))), ...fromRules.map((rule) => y(flowIds.rule(rule.name)))], 0);
    place({ id: flowIds.stateMachine(machine), kind: "stateMachine", label: machine, sublabel: "state machine", column: 4, wanted });
    for (const queue of sources) edges.push({ from: flowIds.consumer(queue), to: flowIds.stateMachine(machine), kind: "start" });
    for (const rule of fromRules) edges.push({ from: flowIds.rule(rule.name), to: flowIds.stateMachine(machine), kind: "deliver" });
  }
  settle([...nodes.values()].filter((node) => node.column === 4));

  const emailSenders = [
    ...Object.entries(queues).filter(([, q]) => q.consumer.access.email).map(([name]) => flowIds.consumer(name)),
    ...Object.entries(stateMachines).filter(([, m]) => m.email).map(([name]) => flowIds.stateMachine(name)),
  ];
  const pushSenders = Object.entries(queues).filter(([, q]) => q.consumer.access.push).map(([name]) => flowIds.consumer(name));
  place({ id: flowIds.email, kind: "effect", label: "Email", sublabel: "SES", column: 5, wanted: mean(emailSenders.map(y), 0) });
  place({ id: flowIds.push, kind: "effect", label: "Push", sublabel: "SNS push", column: 5, wanted: mean(pushSenders.map(y), 0) + step });
  for (const from of emailSenders) edges.push({ from, to: flowIds.email, kind: "effect" });
  for (const from of pushSenders) edges.push({ from, to: flowIds.push, kind: "effect" });
  settle([...nodes.values()].filter((node) => node.column === 5));

  nodes.get(flowIds.bus)!.y = mean(rules.map((rule) => y(flowIds.rule(rule.name))), 0) - NODE_HEIGHT / 2;
  return finish([...nodes.values()], edges);
}

/** Shifts everything into view and draws the edges between the settled nodes. */
function finish(placed: readonly Placed[], links: ReadonlyArray<{ from: string; to: string; kind: string }>): Graph {
  const top = Math.min(...placed.map((node) => node.y!));
  const nodes: GraphNode[] = placed.map((node) => ({
    id: node.id,
    kind: node.kind,
    label: node.label,
    sublabel: node.sublabel,
    x: columnX(node.column),
    y: MARGIN + node.y! - top,
    width: COLUMN_WIDTHS[node.column]!,
    height: NODE_HEIGHT,
  }));
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const edges = links.map(({ from, to, kind }): GraphEdge => {
    const a = byId.get(from)!;
    const b = byId.get(to)!;
    if (a.x === b.x) {
      // Same column (queue -> its DLQ): straight down.
      const x = a.x + a.width / 2;
      return { id: flowIds.edge(from, to), from, to, kind, path: `M ${x} ${a.y + a.height} L ${x} ${b.y}`, labelX: x + 8, labelY: (a.y + a.height + b.y) / 2 + 4 };
    }
    const x1 = a.x + a.width;
    const y1 = a.y + a.height / 2;
    const x2 = b.x;
    const y2 = b.y + b.height / 2;
    const bend = (x2 - x1) / 2;
    return {
      id: flowIds.edge(from, to),
      from,
      to,
      kind,
      path: `M ${x1} ${y1} C ${x1 + bend} ${y1} ${x2 - bend} ${y2} ${x2} ${y2}`,
      labelX: (x1 + x2) / 2,
      labelY: (y1 + y2) / 2 - 6,
    };
  });
  const width = Math.max(...nodes.map((node) => node.x + node.width)) + MARGIN;
  const height = Math.max(...nodes.map((node) => node.y + node.height)) + MARGIN;
  return { width, height, nodes, edges };
}

/** The state machine name in an ARN (`…:stateMachine:paybus-engagement` -> `engagement`). */
export function machineName(stateMachineArn: string, prefix: string): string {
  const name = stateMachineArn.split(":").pop() ?? stateMachineArn;
  return name.startsWith(`${prefix}-`) ? name.slice(prefix.length + 1) : name;
}

interface Counter {
  count: number;
  failed: number;
  /** Epoch ms of the counted entries within the rate window, oldest first. */
  recent: number[];
}

/** Counts on each edge of a {@link flowGraph}, with a rate over a sliding window. */
export class FlowCounters {
  private readonly counters = new Map<string, Counter>();
  private readonly ruleTargets: ReadonlyMap<string, string>;
  private readonly starters: ReadonlyMap<string, string[]>;
  bus = { accepted: 0, rejected: 0, unmatched: 0 };
  effects = { emails: 0, pushes: 0 };

  constructor(
    declarations: FlowDeclarations,
    private readonly prefix: string,
    private readonly windowMs = 60_000,
  ) {
    this.ruleTargets = new Map(
      declarations.rules.map((rule) => [rule.name, "queue" in rule.target ? flowIds.queue(rule.target.queue) : flowIds.stateMachine(rule.target.stateMachine)]),
    );
    const starters = new Map<string, string[]>();
    for (const [queue, declaration] of Object.entries(declarations.queues)) {
      for (const machine of declaration.consumer.access.stateMachines ?? []) starters.set(machine, [...(starters.get(machine) ?? []), queue]);
    }
    this.starters = starters;
  }

  private count(from: string, to: string, at: string, failed = false): void {
    const id = flowIds.edge(from, to);
    let counter = this.counters.get(id);
    if (!counter) this.counters.set(id, (counter = { count: 0, failed: 0, recent: [] }));
    counter.count++;
    if (failed) counter.failed++;
    counter.recent.push(Date.parse(at));
  }

  apply(entry: Recorded): void {
    switch (entry.kind) {
      case "bus.accepted":
        this.bus.accepted++;
        if (entry.matchedRules.length === 0) this.bus.unmatched++;
        for (const rule of entry.matchedRules) this.count(flowIds.bus, flowIds.rule(rule), entry.at);
        return;
      case "bus.rejected":
        this.bus.rejected++;
        return;
      case "target.delivered":
      case "target.failed": {
        const target = this.ruleTargets.get(entry.rule);
        if (target) this.count(flowIds.rule(entry.rule), target, entry.at, entry.kind === "target.failed");
        return;
      }
      case "consumer.attempt":
        this.count(flowIds.queue(entry.queue), flowIds.consumer(entry.queue), entry.at, entry.outcome !== "succeeded");
        return;
      case "queue.dlq":
        this.count(flowIds.queue(entry.queue), flowIds.dlq(entry.queue), entry.at);
        return;
      case "workflow.started": {
        const machine = machineName(entry.stateMachine, this.prefix);
        for (const queue of this.starters.get(machine) ?? []) this.count(flowIds.consumer(queue), flowIds.stateMachine(machine), entry.at);
        return;
      }
      case "effect.email":
        this.effects.emails++;
        return;
      case "effect.push":
        if (entry.status === "delivered") this.effects.pushes++;
        return;
      default:
        return;
    }
  }

  /** Every counted edge's figures; the rate counts entries within the window ending at `nowMs`. */
  edges(nowMs: number): Record<string, EdgeStats> {
    const out: Record<string, EdgeStats> = {};
    for (const [id, counter] of this.counters) {
      const since = nowMs - this.windowMs;
      while (counter.recent.length > 0 && counter.recent[0]! <= since) counter.recent.shift();
      out[id] = { count: counter.count, failed: counter.failed, perMinute: Math.round((counter.recent.length * 60_000) / this.windowMs) };
    }
    return out;
  }
}

/** What an effect edge needs of a sent email or push: when, and what caused it. */
export interface SentEffect {
  readonly at: string;
  readonly cause?: { readonly via: "notification" | "workflow"; readonly eventType?: string | undefined } | undefined;
}

/**
 * Counts on the edges into Email and Push. Each outbox entry's cause (recorded with the send: a
 * notification's Stripe event or a workflow's execution) says which kind of sender sent it, so each
 * send is counted on the edge from the consumer or state machine that may send it — the only one
 * that may, or the consumer its event type is routed to; a send whose sender cannot be told is
 * counted nowhere rather than on a guess.
 */
export function effectEdges(
  declarations: FlowDeclarations,
  sent: { readonly emails: readonly SentEffect[]; readonly pushes: readonly SentEffect[] },
  nowMs: number,
  windowMs = 60_000,
): Record<string, EdgeStats> {
  const consumersWith = (channel: "email" | "push") =>
    Object.entries(declarations.queues).filter(([, q]) => q.consumer.access[channel]).map(([name]) => flowIds.consumer(name));
  const machinesWithEmail = Object.entries(declarations.stateMachines).filter(([, m]) => m.email).map(([name]) => flowIds.stateMachine(name));
  const senders = {
    email: { notification: consumersWith("email"), workflow: machinesWithEmail },
    push: { notification: consumersWith("push"), workflow: [] as string[] },
  };
  /** The consumers of the queues a rule routes `eventType` to (the detail-types its pattern lists). */
  const consumersOf = (eventType: string) =>
    declarations.rules.flatMap((rule) => {
      const types = (rule.pattern as { "detail-type"?: unknown })["detail-type"];
      return "queue" in rule.target && Array.isArray(types) && types.includes(eventType) ? [flowIds.consumer(rule.target.queue)] : [];
    });
  const out: Record<string, { count: number; failed: number; perMinute: number }> = {};
  for (const channel of ["email", "push"] as const) {
    const all = [...senders[channel].notification, ...senders[channel].workflow];
    for (const effect of channel === "email" ? sent.emails : sent.pushes) {
      let candidates = effect.cause ? senders[channel][effect.cause.via] : all;
      // Several consumers may send: the one the causing event's type is routed to did.
      if (candidates.length > 1 && effect.cause?.via === "notification" && effect.cause.eventType) {
        const routed = new Set(consumersOf(effect.cause.eventType));
        candidates = candidates.filter((candidate) => routed.has(candidate));
      }
      if (candidates.length !== 1) continue;
      const id = flowIds.edge(candidates[0]!, flowIds[channel]);
      const stats = (out[id] ??= { count: 0, failed: 0, perMinute: 0 });
      stats.count++;
      if (nowMs - Date.parse(effect.at) < windowMs) stats.perMinute++;
    }
  }
  for (const stats of Object.values(out)) stats.perMinute = Math.round((stats.perMinute * 60_000) / windowMs);
  return out;
}
