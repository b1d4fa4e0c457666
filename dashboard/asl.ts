/**
 * A state machine's ASL drawn as a graph, top to bottom, and the edges an execution went along.
 * Parallel (and Map) states are drawn as groups holding their branches, each laid out the same way.
 * Pure: the definition in, coordinates out.
 */
import { LABEL_FONT, type Graph, type GraphEdge, type GraphNode } from "./protocol.ts";

type Json = Record<string, any>;

const STATE_WIDTH = 172;
const STATE_HEIGHT = 56;
const RANK_GAP = 44;
const SIDE_GAP = 24;
const GROUP_PADDING = 16;
const GROUP_HEADER = 30;
const MARGIN = 20;

/** The ASL has no state to start from or names a state it does not define. */
export class InvalidAslError extends Error {
  override name = "InvalidAslError";
}

interface Link {
  readonly to: string;
  readonly kind: "next" | "choice" | "default" | "catch";
  readonly label?: string | undefined;
}

/** Checked in order: `…GreaterThanEquals` must win over `…Equals`. */
const COMPARATORS: ReadonlyArray<[RegExp, string]> = [
  [/GreaterThanEquals(Path)?$/, "≥"],
  [/LessThanEquals(Path)?$/, "≤"],
  [/GreaterThan(Path)?$/, ">"],
  [/LessThan(Path)?$/, "<"],
  [/Equals(Path)?$/, "="],
  [/Matches$/, "matches"],
];

/** `{"Variable": "$.pointsEarned", "NumericGreaterThan": 500}` -> `pointsEarned > 500`. */
export function describeChoice(rule: Json): string {
  if (Array.isArray(rule.And)) return rule.And.map(describeChoice).join(" and ");
  if (Array.isArray(rule.Or)) return rule.Or.map(describeChoice).join(" or ");
  if (rule.Not) return `not (${describeChoice(rule.Not)})`;
  if (typeof rule.Condition === "string") return rule.Condition;
  const variable = String(rule.Variable ?? "?").replace(/^\$\.?/, "");
  for (const [key, value] of Object.entries(rule)) {
    if (key === "Variable" || key === "Next") continue;
    if (key === "IsPresent") return value ? `${variable} is present` : `${variable} is absent`;
    if (key === "IsNull") return value ? `${variable} is null` : `${variable} is not null`;
    const operator = COMPARATORS.find(([pattern]) => pattern.test(key))?.[1];
    if (operator) return `${variable} ${operator} ${JSON.stringify(value)}`;
  }
  return variable;
}

function links(state: Json): Link[] {
  const out: Link[] = [];
  if (state.Type === "Choice") {
    for (const rule of state.Choices ?? []) out.push({ to: rule.Next, kind: "choice", label: describeChoice(rule) });
    if (state.Default) out.push({ to: state.Default, kind: "default", label: "otherwise" });
  }
  if (typeof state.Next === "string") out.push({ to: state.Next, kind: "next" });
  for (const handler of state.Catch ?? []) out.push({ to: handler.Next, kind: "catch", label: `catch ${(handler.ErrorEquals ?? []).join(", ")}` });
  return out;
}

/** The branches drawn inside a state: Parallel's `Branches`, Map's `ItemProcessor`/`Iterator`. */
function branchesOf(state: Json): Json[] {
  if (state.Type === "Parallel") return state.Branches ?? [];
  if (state.Type === "Map") return [state.ItemProcessor ?? state.Iterator].filter(Boolean);
  return [];
}

interface Box {
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
}

/** Longest-path ranks from `startAt`, ignoring edges back to a state already on the path. */
function ranks(states: Json, startAt: string): Map<string, number> {
  const rank = new Map<string, number>();
  const visit = (name: string, depth: number, onPath: Set<string>) => {
    if (onPath.has(name) || (rank.get(name) ?? -1) >= depth) return;
    rank.set(name, depth);
    onPath.add(name);
    for (const link of links(states[name])) visit(link.to, depth + 1, onPath);
    onPath.delete(name);
  };
  visit(startAt, 0, new Set());
  // Unreachable states still belong in the picture, below the rest.
  const bottom = Math.max(...rank.values()) + 1;
  for (const name of Object.keys(states)) if (!rank.has(name)) rank.set(name, bottom);
  return rank;
}

function translate(node: GraphNode, dx: number, dy: number): GraphNode {
  return { ...node, x: node.x + dx, y: node.y + dy };
}

function shiftPath(path: string, dx: number, dy: number): string {
  let index = 0;
  return path.replace(/-?\d+(\.\d+)?/g, (number) => String(Number(number) + (index++ % 2 === 0 ? dx : dy)));
}

/** A state's box: wide enough for its whole name as the page fits labels ({@link LABEL_FONT}), never narrower than the others. */
function stateWidth(name: string): number {
  return Math.max(STATE_WIDTH, Math.ceil(LABEL_FONT.paddingPx + LABEL_FONT.charPx * (name.length + 1)));
}

/** Lays out one machine (or branch) at the origin. */
function layout(machine: Json, scope: string): Box {
  const states: Json = machine.States ?? {};
  const startAt: string = machine.StartAt;
  if (!states[startAt]) throw new InvalidAslError(`StartAt "${startAt}" is not a state${scope ? ` of ${scope}` : ""}`);
  for (const [name, state] of Object.entries(states)) {
    for (const link of links(state as Json)) if (!states[link.to]) throw new InvalidAslError(`${name} goes to "${link.to}", which is not a state`);
  }
  const rank = ranks(states, startAt);
  const rows: string[][] = [];
  for (const [name, r] of rank) (rows[r] ??= []).push(name);

  // Inner boxes first: a group's size depends on its branches.
  const inner = new Map<string, Box>();
  for (const [name, state] of Object.entries(states)) {
    const branches = branchesOf(state as Json).map((branch, i) => layout(branch, `${name}[${i}]`));
    if (branches.length === 0) continue;
    const nodes: GraphNode[] = [];
    const edges: GraphEdge[] = [];
    let x = GROUP_PADDING;
    for (const branch of branches) {
      nodes.push(...branch.nodes.map((node) => translate(node, x, GROUP_HEADER)));
      edges.push(...branch.edges.map((edge) => ({ ...edge, path: shiftPath(edge.path, x, GROUP_HEADER), labelX: edge.labelX + x, labelY: edge.labelY + GROUP_HEADER })));
      x += branch.width + SIDE_GAP;
    }
    const width = Math.max(STATE_WIDTH, x - SIDE_GAP + GROUP_PADDING);
    const height = GROUP_HEADER + Math.max(...branches.map((b) => b.height)) + GROUP_PADDING;
    inner.set(name, { nodes, edges, width, height });
  }
  const sizeOf = (name: string) => inner.get(name) ?? { width: stateWidth(name), height: STATE_HEIGHT };

  const rowWidths = rows.map((row) => row.reduce((sum, name) => sum + sizeOf(name).width, 0) + SIDE_GAP * (row.length - 1));
  const width = Math.max(...rowWidths);
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const placed = new Map<string, GraphNode>();
  let y = 0;
  rows.forEach((row, r) => {
    let x = (width - rowWidths[r]!) / 2;
    const rowHeight = Math.max(...row.map((name) => sizeOf(name).height));
    for (const name of row) {
      const size = sizeOf(name);
      const state = states[name] as Json;
      const node: GraphNode = {
        id: name,
        kind: String(state.Type),
        label: name,
        sublabel: state.Type === "Task" && String(state.Resource).endsWith(".waitForTaskToken") ? "Task · callback" : String(state.Type),
        x,
        y,
        width: size.width,
        height: size.height,
        ...(inner.has(name) ? { group: true } : {}),
      };
      nodes.push(node);
      placed.set(name, node);
      const box = inner.get(name);
      if (box) {
        nodes.push(...box.nodes.map((child) => translate(child, x, y)));
        edges.push(...box.edges.map((edge) => ({ ...edge, path: shiftPath(edge.path, x, y), labelX: edge.labelX + x, labelY: edge.labelY + y })));
      }
      x += size.width + SIDE_GAP;
    }
    y += rowHeight + RANK_GAP;
  });

  for (const [name, state] of Object.entries(states)) {
    const a = placed.get(name)!;
    for (const link of links(state as Json)) {
      const b = placed.get(link.to)!;
      const x1 = a.x + a.width / 2;
      const y1 = a.y + a.height;
      const x2 = b.x + b.width / 2;
      const y2 = b.y;
      const path =
        y2 > y1
          ? `M ${x1} ${y1} C ${x1} ${y1 + (y2 - y1) / 2} ${x2} ${y1 + (y2 - y1) / 2} ${x2} ${y2}`
          : // Back to an earlier rank: round the right-hand side.
            `M ${a.x + a.width} ${a.y + a.height / 2} C ${width + SIDE_GAP} ${a.y} ${width + SIDE_GAP} ${b.y + b.height} ${b.x + b.width} ${b.y + b.height / 2}`;
      const id = edgeId(scope, name, link.to, link.kind);
      const twin = edges.findIndex((edge) => edge.id === id);
      // Two Choice rules leading to one state are one arrow with both conditions.
      if (twin !== -1) {
        edges[twin] = { ...edges[twin]!, label: `${edges[twin]!.label} or ${link.label}` };
        continue;
      }
      edges.push({
        id,
        from: name,
        to: link.to,
        kind: link.kind,
        path,
        label: link.kind === "catch" ? undefined : link.label,
        // At 70 % of the curve: arrows leaving one Choice have drawn apart by then.
        labelX: 0.216 * x1 + 0.784 * x2,
        labelY: 0.342 * y1 + 0.658 * y2 - 4,
      });
    }
  }
  return { nodes, edges, width, height: y - RANK_GAP };
}

function edgeId(scope: string, from: string, to: string, kind: string): string {
  return `${scope}${from}->${to}:${kind}`;
}

/** The machine drawn top to bottom; state names are node ids (they are unique across an ASL). */
export function aslGraph(definition: object): Graph {
  const box = layout(definition as Json, "");
  return {
    width: box.width + 2 * MARGIN,
    height: box.height + 2 * MARGIN,
    nodes: box.nodes.map((node) => translate(node, MARGIN, MARGIN)),
    edges: box.edges.map((edge) => ({ ...edge, path: shiftPath(edge.path, MARGIN, MARGIN), labelX: edge.labelX + MARGIN, labelY: edge.labelY + MARGIN })),
  };
}

/**
 * The edges an execution went along, from the states it entered in order. Branch states
 * interleave in the path, so each edge is judged within its own scope: an edge A -> B is lit when
 * B is the next state entered after A among the states of the same branch (or the top level).
 */
export function litEdges(graph: Graph, path: readonly string[]): string[] {
  const scopeOf = new Map<string, string>();
  for (const edge of graph.edges) {
    const scope = edge.id.slice(0, edge.id.length - `${edge.from}->${edge.to}:${edge.kind}`.length);
    scopeOf.set(edge.from, scope);
    scopeOf.set(edge.to, scope);
  }
  const lit: string[] = [];
  for (const edge of graph.edges) {
    const scope = scopeOf.get(edge.from);
    const sequence = path.filter((state) => scopeOf.get(state) === scope);
    for (let i = 0; i + 1 < sequence.length; i++) {
      if (sequence[i] === edge.from && sequence[i + 1] === edge.to) {
        lit.push(edge.id);
        break;
      }
    }
  }
  return lit;
}
