/**
 * Draws a laid-out {@link Graph} (the flow view's routing graph, a state machine's ASL) as SVG,
 * and hands back the parts live updates change: each node's stat line, each edge and its label.
 */
import { labelCapacity, type Graph } from "../protocol.ts";
import { svg } from "./dom.ts";

export interface DrawnGraph {
  readonly element: SVGSVGElement;
  readonly nodes: ReadonlyMap<string, { readonly group: SVGGElement; readonly stat: SVGTextElement }>;
  readonly edges: ReadonlyMap<string, { readonly path: SVGPathElement; readonly label: SVGTextElement }>;
}

/** Trims a label to what fits in `width` at the dashboard's graph font (at most 7.2 px a character). */
function fit(text: string, width: number): string {
  const max = labelCapacity(width);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function drawGraph(graph: Graph, options: { readonly className: string; readonly title: string; readonly description: string }): DrawnGraph {
  const nodes = new Map<string, { group: SVGGElement; stat: SVGTextElement }>();
  const edges = new Map<string, { path: SVGPathElement; label: SVGTextElement }>();
  const edgeLayer = svg("g", { class: "edges" });
  const labelLayer = svg("g", { class: "edge-labels" });
  for (const edge of graph.edges) {
    const path = svg("path", { d: edge.path, class: `edge edge-${edge.kind}`, "data-from": edge.from, "data-to": edge.to, "marker-end": `url(#${options.className}-arrow)` });
    const label = svg("text", { x: edge.labelX, y: edge.labelY, class: "edge-label", "text-anchor": "middle" }, edge.label ?? "");
    edgeLayer.append(path);
    labelLayer.append(label);
    edges.set(edge.id, { path, label });
  }
  // Groups (Parallel, Map) under the edges, whose transitions inside a group would otherwise be
  // hidden by its filled box; the states over the edges, which end at their borders.
  const groupLayer = svg("g", { class: "groups" });
  const nodeLayer = svg("g", { class: "nodes" });
  // Larger groups first: a group nested in another is drawn over the one holding it.
  const groups = graph.nodes.filter((node) => node.group).sort((a, b) => b.width * b.height - a.width * a.height);
  for (const node of [...groups, ...graph.nodes.filter((node) => !node.group)]) {
    const stat = svg("text", { x: node.x + 10, y: node.y + node.height - 9, class: "node-stat" });
    const group = svg(
      "g",
      { class: `node node-${node.kind}${node.group ? " node-group" : ""}`, "data-id": node.id },
      svg("title", {}, `${node.label}${node.sublabel ? ` (${node.sublabel})` : ""}`),
      svg("rect", { x: node.x, y: node.y, width: node.width, height: node.height, rx: node.group ? 10 : 8 }),
      svg("text", { x: node.x + 10, y: node.y + 19, class: "node-label" }, fit(node.label, node.width)),
      node.sublabel
        ? node.group
          ? svg("text", { x: node.x + node.width - 10, y: node.y + 19, class: "node-sub", "text-anchor": "end" }, node.sublabel)
          : svg("text", { x: node.x + 10, y: node.y + 35, class: "node-sub" }, fit(node.sublabel, node.width))
        : null,
      stat,
    );
    (node.group ? groupLayer : nodeLayer).append(group);
    nodes.set(node.id, { group, stat });
  }
  const element = svg(
    "svg",
    { class: `graph ${options.className}`, viewBox: `0 0 ${graph.width} ${graph.height}`, width: graph.width, height: graph.height, role: "img", "aria-labelledby": `${options.className}-title ${options.className}-desc` },
    svg("title", { id: `${options.className}-title` }, options.title),
    svg("desc", { id: `${options.className}-desc` }, options.description),
    svg("defs", {}, svg("marker", { id: `${options.className}-arrow`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" }, svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow-head" }))),
    groupLayer,
    edgeLayer,
    nodeLayer,
    labelLayer,
  );
  return { element, nodes, edges };
}
