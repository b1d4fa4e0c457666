/**
 * Workflows: each state machine drawn from its ASL with the chosen execution's path lit, the
 * executions, and the callback tasks waiting for a task token, with a button to complete each.
 */
import type { ExecutionView } from "../../protocol.ts";
import { admin, refresh } from "../api.ts";
import { badge, changes, clock, empty, h, replace, table } from "../dom.ts";
import { drawGraph, type DrawnGraph } from "../graph.ts";
import { store } from "../store.ts";
import { act, eventLink } from "../ui.ts";
import type { View } from "./view.ts";

const STATUS_TONE: Readonly<Record<string, string>> = { RUNNING: "info", SUCCEEDED: "good", FAILED: "bad", TIMED_OUT: "bad", ABORTED: "warn" };

export function workflowsView(): View {
  let canvas: HTMLElement;
  let caption: HTMLElement;
  let executionsRegion: HTMLElement;
  let tokensRegion: HTMLElement;
  let drawn: { machine: string; graph: DrawnGraph } | undefined;
  let selected: string | undefined;
  let shownTokens: string | undefined;
  let fresh = changes();

  const light = (execution: ExecutionView | undefined) => {
    if (!drawn) return;
    const visited = new Set(execution?.path ?? []);
    const waiting = new Set(store.state?.tokens.filter((t) => t.executionArn === execution?.executionArn).map((t) => t.stateName) ?? []);
    const current = execution?.status === "RUNNING" ? execution.path.at(-1) : undefined;
    for (const [id, node] of drawn.graph.nodes) {
      node.group.classList.toggle("visited", visited.has(id));
      node.group.classList.toggle("current", id === current || waiting.has(id));
      node.stat.textContent = waiting.has(id) ? "waiting for its task token" : "";
    }
    const lit = new Set(execution?.litEdges ?? []);
    for (const [id, edge] of drawn.graph.edges) edge.path.classList.toggle("lit", lit.has(id));
    replace(
      caption,
      execution
        ? h("p", {}, "Path of ", h("strong", { class: "mono" }, execution.name), ": ", h("span", { class: "path" }, execution.path.join(" → ")))
        : h("p", { class: "muted" }, "No execution yet: credited purchases start one."),
    );
  };

  const render = () => {
    const { init, state } = store;
    if (!init || !state) return;
    const executions = state.executions;
    if (!executions.some((e) => e.executionArn === selected)) selected = executions[0]?.executionArn;
    const execution = executions.find((e) => e.executionArn === selected);
    const machine = execution?.stateMachine ?? Object.keys(init.workflowGraphs)[0];
    if (machine && drawn?.machine !== machine) {
      const graph = init.workflowGraphs[machine]!;
      drawn = { machine, graph: drawGraph(graph, { className: "asl-graph", title: `State machine ${machine}`, description: "States from the ASL definition; the chosen execution's path is highlighted." }) };
      canvas.replaceChildren(h("h2", {}, `State machine: ${machine}`), drawn.graph.element);
    }
    light(execution);
    replace(
      executionsRegion,
      executions.length === 0
        ? empty("No executions yet.")
        : table(
            "Executions, newest first",
            ["Execution", "Status", "Started", "Path", "Started by"],
            executions.map((e) =>
              h(
                "tr",
                { class: e.executionArn === selected ? "selected" : "" },
                h("td", {}, h("button", { class: "link-button mono", "aria-pressed": String(e.executionArn === selected), "data-key": `exec:${e.executionArn}`, on: { click: () => ((selected = e.executionArn), render()) } }, e.name)),
                h("td", {}, badge(e.status.toLowerCase().replace("_", " "), STATUS_TONE[e.status] ?? "muted")),
                h("td", { class: "nowrap" }, h("time", { datetime: e.startDate }, clock(e.startDate))),
                h("td", { class: "small" }, e.path.join(" → "), e.error ? h("div", { class: "error-text" }, `${e.error}${e.cause ? `: ${e.cause}` : ""}`) : null),
                h("td", {}, e.stripeEventId ? eventLink(e.stripeEventId, `…${e.stripeEventId.slice(-12)}`) : "—"),
              ),
            ),
            { class: "executions" },
          ),
    );
    // Rebuilt only when the waiting tasks change, so a task output being typed survives updates.
    const tokenKey = state.tokens.map((token) => token.token).join(",");
    if (tokenKey === shownTokens) return;
    shownTokens = tokenKey;
    replace(
      tokensRegion,
      state.tokens.length === 0
        ? empty("No task is waiting for a token.")
        : h(
            "ul",
            { class: "tokens" },
            state.tokens.map((token) => {
              const output = h("textarea", { id: `output-${token.token.slice(-12)}`, rows: 2, class: "mono", spellcheck: "false", "data-key": `output:${token.token}` }, "{}");
              return h(
                "li",
                { class: "token" },
                h("div", {}, h("strong", {}, token.stateName), " in ", h("span", { class: "mono" }, token.executionName), h("div", { class: "mono small muted", title: token.token }, `token …${token.token.slice(-16)}`)),
                h("details", {}, h("summary", {}, "Task output"), h("label", { for: output.id, class: "visually-hidden" }, "Task output JSON"), output),
                h(
                  "button",
                  {
                    class: "button primary",
                    "data-key": `complete:${token.token}`,
                    on: {
                      click: (event) =>
                        act(event.currentTarget as HTMLButtonElement, async () => {
                          let parsed: unknown;
                          try {
                            parsed = JSON.parse(output.value || "{}");
                          } catch (error) {
                            throw new Error(`Task output is not JSON: ${(error as Error).message}`);
                          }
                          await admin("/tasks/success", { token: token.token, output: parsed });
                          await refresh();
                          return `Completed ${token.stateName} of ${token.executionName}`;
                        }),
                    },
                  },
                  "Complete task",
                ),
              );
            }),
          ),
    );
  };

  return {
    id: "workflows",
    title: "Workflows",
    mount(root) {
      drawn = undefined;
      shownTokens = undefined;
      fresh = changes();
      canvas = h("div", { class: "graph-wrap asl", tabindex: 0, role: "group", "aria-label": "State machine graph" });
      caption = h("div", { class: "graph-caption", "aria-live": "polite" });
      executionsRegion = h("div", { class: "table-wrap" });
      tokensRegion = h("div", {});
      root.append(
        h(
          "section",
          { class: "view", "aria-labelledby": "view-title" },
          h("div", { class: "view-head" }, h("h1", { id: "view-title" }, "Workflows"), h("p", { class: "muted" }, "Step Functions executions on the local engine. Choose an execution to see its path through the state machine.")),
          h(
            "div",
            { class: "workflow-layout" },
            h("section", { class: "panel" }, canvas, caption),
            h(
              "div",
              { class: "stack-lg" },
              h(
                "section",
                { class: "panel", "aria-labelledby": "tokens-title" },
                h(
                  "div",
                  { class: "panel-head" },
                  h("h2", { id: "tokens-title" }, "Waiting for a task token"),
                  h(
                    "button",
                    {
                      class: "button",
                      on: {
                        click: (event) =>
                          act(event.currentTarget as HTMLButtonElement, async () => {
                            await admin("/followups/send-now", {});
                            await refresh();
                            return "Sent the follow-ups that were due";
                          }),
                      },
                    },
                    "Send due follow-ups now",
                  ),
                ),
                tokensRegion,
              ),
              h("section", { class: "panel", "aria-labelledby": "executions-title" }, h("h2", { id: "executions-title" }, "Executions"), executionsRegion),
            ),
          ),
        ),
      );
    },
    update: () => fresh([store.init?.workflowGraphs !== undefined, store.state?.executions, store.state?.tokens]) && render(),
    badge: () => store.state?.tokens.length ?? 0,
  };
}
