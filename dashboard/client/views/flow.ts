/**
 * The flow view: the routing declaration as a graph with live counts and rates on each edge,
 * queue depth and in-flight messages on each queue, and the same figures as tables.
 */
import type { EdgeStats, FlowStats, Graph } from "../../protocol.ts";
import { changes, count, h, replace, table } from "../dom.ts";
import { drawGraph, type DrawnGraph } from "../graph.ts";
import { store } from "../store.ts";
import type { View } from "./view.ts";

const NO_EDGE: EdgeStats = { count: 0, failed: 0, perMinute: 0 };

/** What each node shows under its name, from the live figures. */
function nodeStat(id: string, flow: FlowStats, graph: Graph): { text: string; tone?: string } {
  const [kind, name = ""] = id.split(":");
  const into = graph.edges.filter((e) => e.to === id).reduce((sum, e) => sum + (flow.edges[e.id]?.count ?? 0), 0);
  switch (kind) {
    case "bus":
      return { text: `${count(flow.bus.accepted)} in · ${count(flow.bus.rejected)} rejected`, tone: flow.bus.rejected ? "warn" : undefined };
    case "rule":
      return { text: `${count(into)} matched` };
    case "queue": {
      const q = flow.queues.find((queue) => queue.queue === name);
      return { text: q ? `${q.ready} ready · ${q.inFlight} in flight${q.delayed ? ` · ${q.delayed} delayed` : ""}` : "" };
    }
    case "dlq": {
      const waiting = flow.queues.find((queue) => queue.queue === name)?.dlq ?? 0;
      return { text: `${count(waiting)} waiting`, tone: waiting ? "bad" : undefined };
    }
    case "consumer": {
      const attempts = flow.edges[`queue:${name}->${id}`] ?? NO_EDGE;
      return { text: `${count(attempts.count - attempts.failed)} ok · ${count(attempts.failed)} failed`, tone: attempts.failed ? "warn" : undefined };
    }
    case "sm": {
      const w = flow.workflows[name] ?? { running: 0, succeeded: 0, failed: 0 };
      return { text: `${w.running} running · ${w.succeeded} done${w.failed ? ` · ${w.failed} failed` : ""}`, tone: w.failed ? "warn" : undefined };
    }
    case "effect":
      return { text: `${count(name === "email" ? flow.effects.emails : flow.effects.pushes)} sent` };
    default:
      return { text: "" };
  }
}

function edgeText(stats: EdgeStats): string {
  return stats.count === 0 ? "" : `${count(stats.count)}${stats.perMinute ? ` · ${count(stats.perMinute)}/min` : ""}`;
}

export function flowView(): View {
  let drawn: DrawnGraph | undefined;
  let graph: Graph | undefined;
  let kpis: HTMLElement;
  let queuesRegion: HTMLElement;
  let edgesRegion: HTMLElement;
  let canvas: HTMLElement;
  let fresh = changes();

  const labelOf = (id: string) => graph?.nodes.find((node) => node.id === id)?.label ?? id;

  return {
    id: "flow",
    title: "Flow",
    mount(root) {
      drawn = undefined;
      fresh = changes();
      kpis = h("div", { class: "kpis" });
      canvas = h("div", { class: "graph-wrap", tabindex: 0, role: "group", "aria-label": "Routing graph (scrolls sideways on narrow screens)" });
      queuesRegion = h("div", { class: "table-wrap" });
      edgesRegion = h("div", { class: "table-wrap" });
      root.append(
        h(
          "section",
          { class: "view", "aria-labelledby": "view-title" },
          h("div", { class: "view-head" }, h("h1", { id: "view-title" }, "Flow"), h("p", { class: "muted" }, "The routing declaration (declarations/rules.ts) as it runs: counts since start and the rate over the last minute on each edge.")),
          kpis,
          canvas,
          h("div", { class: "columns" }, h("section", { class: "panel" }, h("h2", {}, "Queues"), queuesRegion), h("section", { class: "panel" }, h("h2", {}, "Edges"), edgesRegion)),
        ),
      );
    },
    update() {
      const { init, flow } = store;
      if (!init || !flow || !fresh(flow)) return;
      if (!drawn) {
        graph = init.flowGraph;
        drawn = drawGraph(graph, { className: "flow-graph", title: "Routing graph", description: "Bus, rules, queues with their dead-letter queues, consumers, state machines and effects, with live counts." });
        canvas.replaceChildren(drawn.element);
      }
      for (const [id, node] of drawn.nodes) {
        const { text, tone } = nodeStat(id, flow, graph!);
        node.stat.textContent = text;
        node.group.classList.toggle("stat-warn", tone === "warn");
        node.group.classList.toggle("stat-bad", tone === "bad");
      }
      for (const [id, edge] of drawn.edges) {
        const stats = flow.edges[id] ?? NO_EDGE;
        edge.label.textContent = edgeText(stats);
        edge.path.classList.toggle("active", stats.perMinute > 0);
        edge.path.classList.toggle("used", stats.count > 0);
      }
      const figures: Array<[string, number, string?]> = [
        ["Accepted", flow.bus.accepted],
        ["Rejected", flow.bus.rejected, flow.bus.rejected ? "bad" : undefined],
        ["Matched no rule", flow.bus.unmatched],
        ["In DLQs", flow.queues.reduce((sum, q) => sum + q.dlq, 0), flow.queues.some((q) => q.dlq) ? "bad" : undefined],
        ["Emails", flow.effects.emails],
        ["Pushes", flow.effects.pushes],
        ["Workflows running", Object.values(flow.workflows).reduce((sum, w) => sum + w.running, 0)],
      ];
      replace(kpis, figures.map(([label, value, tone]) => h("div", { class: `kpi ${tone ?? ""}` }, h("span", { class: "kpi-value" }, count(value)), h("span", { class: "kpi-label" }, label))));
      replace(
        queuesRegion,
        table(
          "Queue depth",
          ["Queue", "Ready", "In flight", "Delayed", "DLQ"],
          flow.queues.map((q) => h("tr", {}, h("th", { scope: "row" }, q.queue), h("td", { class: "num" }, count(q.ready)), h("td", { class: "num" }, count(q.inFlight)), h("td", { class: "num" }, count(q.delayed)), h("td", { class: `num ${q.dlq ? "text-bad" : ""}` }, count(q.dlq)))),
        ),
      );
      replace(
        edgesRegion,
        table(
          "Counts per edge",
          ["From", "To", "Count", "Failed", "Last minute"],
          graph!.edges.map((edge) => {
            const stats = flow.edges[edge.id] ?? NO_EDGE;
            return h("tr", {}, h("td", {}, labelOf(edge.from)), h("td", {}, labelOf(edge.to)), h("td", { class: "num" }, count(stats.count)), h("td", { class: `num ${stats.failed ? "text-warn" : ""}` }, count(stats.failed)), h("td", { class: "num" }, count(stats.perMinute)));
          }),
        ),
      );
    },
  };
}
