/**
 * The dashboard page: connects to the runtime's event stream, keeps the store current, and shows
 * one view at a time (hash routes `#/<view>[/<param>]`, tabs with arrow-key navigation).
 */
import type { StreamMessages } from "../protocol.ts";
import { h, replace } from "./dom.ts";
import { onUpdate, store, update } from "./store.ts";
import { dlqView } from "./views/dlq.ts";
import { eventsView } from "./views/events.ts";
import { flowView } from "./views/flow.ts";
import { customersView } from "./views/customers.ts";
import { loyaltyView } from "./views/loyalty.ts";
import { outboxView } from "./views/outbox.ts";
import { sendView } from "./views/send.ts";
import type { View } from "./views/view.ts";
import { workflowsView } from "./views/workflows.ts";

const views: View[] = [eventsView(), flowView(), dlqView(), loyaltyView(), customersView(), outboxView(), workflowsView(), sendView()];
const main = document.getElementById("main")!;
const tabs = document.getElementById("tabs")!;
const connection = document.getElementById("connection")!;
const busLine = document.getElementById("bus")!;
const problem = document.getElementById("problem")!;
let current: View | undefined;

function parseHash(): { view: View; param: string | undefined } {
  const [, id = "", ...rest] = location.hash.split("/");
  const view = views.find((candidate) => candidate.id === id) ?? views[0]!;
  const param = rest.length ? decodeURIComponent(rest.join("/")) : undefined;
  return { view, param };
}

/**
 * Updates the tabs in place (selection, focus order, badge). They are built once: the live stream
 * re-renders several times a second, and a tab replaced between a click's press and its release
 * would lose the click (it would land on the tab list instead).
 */
function renderTabs(): void {
  if (tabs.children.length !== views.length) {
    replace(
      tabs,
      views.map((view) =>
        h("a", { href: `#/${view.id}`, role: "tab", id: `tab-${view.id}`, "aria-controls": "main", "data-key": `tab:${view.id}`, class: "tab" }, view.title),
      ),
    );
  }
  views.forEach((view, index) => {
    const tab = tabs.children[index] as HTMLElement;
    const selected = view === current;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    const badge = view.badge?.() ?? 0;
    let shown = tab.querySelector<HTMLElement>(".tab-badge");
    if (!badge) return shown?.remove();
    if (!shown) tab.append((shown = h("span", { class: "tab-badge" })));
    if (shown.textContent !== String(badge)) shown.textContent = String(badge);
  });
}

function show(): void {
  const { view, param } = parseHash();
  if (view !== current) {
    current = view;
    main.replaceChildren();
    main.setAttribute("aria-labelledby", `tab-${view.id}`);
    view.mount(main);
    renderTabs();
    view.update();
  }
  view.route?.(param);
}

function render(): void {
  const labels = { connecting: "Connecting…", live: "Live", offline: "Offline: reconnecting…" } as const;
  connection.textContent = labels[store.connection];
  connection.className = `connection ${store.connection}`;
  if (store.init) busLine.textContent = `bus ${store.init.busName} · ${store.init.gateway}`;
  problem.hidden = !store.problem;
  problem.textContent = store.problem ?? "";
  renderTabs();
  current?.update();
}

// Tabs: arrow keys move between them, as the ARIA tabs pattern expects.
tabs.addEventListener("keydown", (event) => {
  if (!["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) return;
  const focused = views.findIndex((view) => document.activeElement?.id === `tab-${view.id}`);
  const index = focused === -1 ? views.indexOf(current ?? views[0]!) : focused;
  const next =
    event.key === "Home" ? 0 : event.key === "End" ? views.length - 1 : (index + (event.key === "ArrowRight" ? 1 : views.length - 1)) % views.length;
  event.preventDefault();
  location.hash = `#/${views[next]!.id}`;
  requestAnimationFrame(() => (document.getElementById(`tab-${views[next]!.id}`) as HTMLElement | null)?.focus());
});

function listen<K extends keyof StreamMessages>(source: EventSource, event: K, apply: (data: StreamMessages[K]) => void): void {
  source.addEventListener(event, (message) => update(() => apply(JSON.parse((message as MessageEvent<string>).data) as StreamMessages[K])));
}

/** Connects to the stream; reconnects (every two seconds) when the runtime restarts. */
function connect(): void {
  const source = new EventSource("/dashboard/api/stream");
  listen(source, "init", (init) => {
    store.init = init;
    store.rows.clear();
    for (const row of init.rows) store.rows.set(row.id, row);
    store.rowsVersion++;
    store.flow = init.flow;
    store.state = init.state;
    store.connection = "live";
    store.problem = undefined;
  });
  listen(source, "rows", (rows) => {
    for (const row of rows) store.rows.set(row.id, row);
    store.rowsVersion++;
  });
  listen(source, "flow", (flow) => (store.flow = flow));
  listen(source, "state", (state) => {
    store.state = state;
    store.problem = undefined;
  });
  listen(source, "problem", ({ message }) => (store.problem = message));
  source.addEventListener("error", () => {
    update((s) => (s.connection = "offline"));
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
  });
}

onUpdate(render);
window.addEventListener("hashchange", show);
show();
connect();
