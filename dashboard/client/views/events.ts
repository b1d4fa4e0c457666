/**
 * The event stream: every event the bus accepted or rejected, newest first, with filters, and a
 * details panel with the envelope and its way through the pipeline.
 */
import type { Destination, EventDetail, EventRow, EventStatus, TimelineItem } from "../../protocol.ts";
import { admin, read } from "../api.ts";
import { badge, changes, clock, h, replace, table } from "../dom.ts";
import { rowForStripeEvent, rowsNewestFirst, store } from "../store.ts";
import { act, eventHref } from "../ui.ts";
import type { View } from "./view.ts";

const SHOWN = 300;

const STATUS: Readonly<Record<EventStatus, { label: string; tone: string }>> = {
  rejected: { label: "Rejected", tone: "bad" },
  unmatched: { label: "No rule", tone: "muted" },
  "in-flight": { label: "In flight", tone: "info" },
  retrying: { label: "Retrying", tone: "warn" },
  dlq: { label: "In DLQ", tone: "bad" },
  discarded: { label: "Discarded", tone: "muted" },
  done: { label: "Done", tone: "good" },
};

const DESTINATION_TONE: Readonly<Record<Destination["state"], string>> = {
  pending: "info",
  queued: "info",
  redriven: "info",
  discarded: "muted",
  delivered: "good",
  consumed: "good",
  retrying: "warn",
  dlq: "bad",
  "target-dlq": "bad",
};

function matches(row: EventRow, type: string, customer: string, status: string): boolean {
  if (type && row.type !== type) return false;
  if (status && row.status !== status) return false;
  if (!customer) return true;
  const needle = customer.toLowerCase();
  return [row.customer, row.appCustomer, row.stripeEventId, row.objectId, row.id].some((value) => value?.toLowerCase().includes(needle));
}

function destinations(row: EventRow): HTMLElement {
  if (row.status === "rejected") return h("span", { class: "muted" }, row.error ?? "");
  if (row.destinations.length === 0) return h("span", { class: "muted" }, "archived only");
  return h(
    "ul",
    { class: "routes" },
    row.destinations.map((d) =>
      h(
        "li",
        {},
        h("span", { class: "rule" }, d.rules.join(", ")),
        h("span", { class: "arrow", "aria-hidden": "true" }, " → "),
        h("span", { class: "visually-hidden" }, " to "),
        h("span", { class: `dest ${DESTINATION_TONE[d.state]}` }, `${d.target} · ${d.state}${d.attempts > 1 ? ` ×${d.attempts}` : ""}`),
      ),
    ),
  );
}

function customerCell(row: EventRow): HTMLElement {
  return h("div", { class: "stack" }, row.appCustomer ? h("span", {}, row.appCustomer) : null, row.customer ? h("span", { class: "mono small muted" }, row.customer) : null, !row.appCustomer && !row.customer ? h("span", { class: "muted" }, "—") : null);
}

/** `redelivered` marks a Stripe event the bus had accepted before under another envelope id. */
function eventRow(row: EventRow, redelivered: boolean): HTMLTableRowElement {
  const open = () => (location.hash = eventHref(row.id));
  return h(
    "tr",
    { class: `row-${row.status}`, on: { click: (event) => !(event.target as Element).closest("a,button") && open() } },
    h("td", { class: "nowrap" }, h("time", { datetime: row.at }, clock(row.at))),
    h("td", {}, h("span", { class: "mono" }, row.type), row.replayName ? h("span", { class: "tag" }, "replay") : redelivered ? h("span", { class: "tag", title: "The same Stripe event arrived before" }, "redelivery") : null),
    h("td", {}, h("a", { href: eventHref(row.id), class: "mono", "data-key": `open:${row.id}`, title: row.stripeEventId ?? row.id }, row.stripeEventId ?? (row.status === "rejected" ? "rejected entry" : row.id))),
    h("td", {}, customerCell(row)),
    h("td", { class: "num nowrap" }, row.amountText ?? h("span", { class: "muted" }, "—")),
    h("td", {}, destinations(row)),
    h("td", {}, badge(STATUS[row.status].label, STATUS[row.status].tone)),
  );
}

function timelineList(items: readonly TimelineItem[], label: string): HTMLElement {
  return h(
    "ol",
    { class: "timeline", "aria-label": label },
    items.map((item) => h("li", { class: item.tone }, h("time", { datetime: item.at }, clock(item.at)), h("div", {}, h("strong", {}, item.title), item.detail ? h("p", { class: "small" }, item.detail) : null))),
  );
}

function facts(entries: ReadonlyArray<[string, string | Node | undefined]>): HTMLElement {
  return h("dl", { class: "facts" }, entries.filter(([, value]) => value !== undefined && value !== "").map(([term, value]) => [h("dt", {}, term), h("dd", {}, value!)]));
}

export function eventsView(): View {
  let typeSelect: HTMLSelectElement;
  let customerInput: HTMLInputElement;
  let statusSelect: HTMLSelectElement;
  let countLine: HTMLElement;
  let tableRegion: HTMLElement;
  let dialog: HTMLDialogElement;
  let knownTypes = "";
  let openId: string | undefined;
  /** What the open details were fetched for: the row, and the engines' state (effects come from it). */
  let openSeen = "";
  let openState: unknown;
  let shownDetail = "";
  let fresh = changes();

  const showDetail = async (id: string) => {
    const detail = await read<EventDetail>(`/events/${encodeURIComponent(id)}`).catch((error: Error) => error);
    if (openId !== id) return;
    // Refetched on live updates; rebuilt only when something changed (keeps the reader's scroll).
    const text = JSON.stringify(detail instanceof Error ? detail.message : detail);
    if (text === shownDetail) return;
    shownDetail = text;
    if (detail instanceof Error) {
      replace(dialog, h("div", { class: "drawer-body" }, h("p", {}, detail.message), h("button", { class: "button", on: { click: () => dialog.close() } }, "Close")));
      return;
    }
    const { row } = detail;
    const replay = row.stripeEventId && row.status !== "rejected"
      ? h("button", {
          class: "button",
          "data-key": "replay",
          on: { click: (event) => act(event.currentTarget as HTMLButtonElement, async () => {
            const result = await admin<{ replayName: string; events: number }>("/replay", { stripeEventIds: [row.stripeEventId] });
            return `${result.replayName}: ${result.events} archived event(s) replayed`;
          }) },
        }, "Replay from the archive")
      : null;
    replace(
      dialog,
      h(
        "div",
        { class: "drawer-head" },
        h("div", {}, h("p", { class: "eyebrow mono" }, row.type), h("h2", { id: "detail-title", class: "mono" }, row.stripeEventId ?? row.id)),
        h("button", { class: "icon-button", "aria-label": "Close details", "data-key": "close", on: { click: () => dialog.close() } }, "×"),
      ),
      h(
        "div",
        { class: "drawer-body" },
        h("div", { class: "detail-status" }, badge(STATUS[row.status].label, STATUS[row.status].tone), replay),
        facts([
          ["Envelope id", row.status === "rejected" ? undefined : row.id],
          ["Stripe object", row.objectId],
          ["Customer", [row.appCustomer, row.customer].filter(Boolean).join(" · ") || undefined],
          ["Amount", row.amountText],
          ["Source", row.source],
          ["Replay", row.replayName],
          ["Rules", row.rules.join(", ") || (row.status === "rejected" ? undefined : "none")],
          ["Error", row.error],
        ]),
        h("h3", {}, "Timeline"),
        timelineList(detail.timeline, "Timeline of this delivery"),
        h("h3", {}, "What this Stripe event caused"),
        detail.deliveries > 1 ? h("p", { class: "muted small" }, `The bus accepted this Stripe event ${detail.deliveries} times; its effects happen once, whichever delivery got there first.`) : null,
        detail.effects.length ? timelineList(detail.effects, "Effects of this Stripe event") : h("p", { class: "muted" }, "No email, push or workflow (yet)."),
        h("h3", {}, "Event JSON"),
        detail.json ? h("pre", { class: "json", tabindex: 0, "aria-label": "Event JSON" }, h("code", {}, detail.json)) : h("p", { class: "muted" }, "The envelope is not in the archive."),
      ),
    );
    // Opening moved focus into the dialog; once its content is there, start at the close button.
    if (!dialog.contains(document.activeElement) || document.activeElement === dialog) (dialog.querySelector("[data-key=close]") as HTMLElement | null)?.focus();
  };

  const render = () => {
    const all = rowsNewestFirst();
    const types = [...new Set(all.map((row) => row.type))].sort();
    if (types.join("|") !== knownTypes) {
      knownTypes = types.join("|");
      const chosen = typeSelect.value;
      typeSelect.replaceChildren(h("option", { value: "" }, "All types"), ...types.map((type) => h("option", { value: type }, type)));
      typeSelect.value = types.includes(chosen) ? chosen : "";
    }
    const shown = all.filter((row) => matches(row, typeSelect.value, customerInput.value.trim(), statusSelect.value));
    const firstSeq = new Map<string, number>();
    for (const row of all) if (row.stripeEventId && row.status !== "rejected") firstSeq.set(row.stripeEventId, row.seq);
    const redelivered = (row: EventRow) => row.stripeEventId !== undefined && row.status !== "rejected" && firstSeq.get(row.stripeEventId)! < row.seq;
    countLine.textContent = shown.length > SHOWN ? `Newest ${SHOWN} of ${shown.length} matching events` : `${shown.length} of ${all.length} events`;
    replace(
      tableRegion,
      shown.length === 0
        ? h("p", { class: "empty" }, all.length === 0 ? "No events yet. Send a fixture from the Send view, or run npx paybus send <file>." : "No event matches the filters.")
        : table("Events, newest first", ["Time", "Type", "Stripe event", "Customer", "Amount", "Rules → where it went", "Status"], shown.slice(0, SHOWN).map((row) => eventRow(row, redelivered(row))), { class: "events" }),
    );
  };

  return {
    id: "events",
    title: "Events",
    mount(root) {
      typeSelect = h("select", { id: "filter-type", on: { change: render } });
      customerInput = h("input", { id: "filter-customer", type: "search", placeholder: "cus_…, C-…, evt_…", autocomplete: "off", on: { input: render } });
      statusSelect = h(
        "select",
        { id: "filter-status", on: { change: render } },
        h("option", { value: "" }, "Any status"),
        (Object.keys(STATUS) as EventStatus[]).map((status) => h("option", { value: status }, STATUS[status].label)),
      );
      countLine = h("span", { class: "muted small", "aria-live": "polite" });
      tableRegion = h("div", { class: "table-wrap" });
      dialog = h("dialog", { class: "drawer", "aria-labelledby": "detail-title" });
      dialog.addEventListener("close", () => {
        openId = undefined;
        if (location.hash.startsWith("#/events/")) history.replaceState(null, "", "#/events");
      });
      knownTypes = "";
      fresh = changes();
      root.append(
        h(
          "section",
          { class: "view", "aria-labelledby": "view-title" },
          h("div", { class: "view-head" }, h("h1", { id: "view-title" }, "Event stream"), h("p", { class: "muted" }, "Every event the bus accepted or rejected, newest first. Open one for its JSON and timeline.")),
          h(
            "div",
            { class: "toolbar", role: "search", "aria-label": "Filter events" },
            h("label", { for: "filter-type" }, "Type"),
            typeSelect,
            h("label", { for: "filter-customer" }, "Customer or id"),
            customerInput,
            h("label", { for: "filter-status" }, "Status"),
            statusSelect,
            countLine,
          ),
          tableRegion,
        ),
        dialog,
      );
    },
    update() {
      if (fresh(store.rowsVersion)) render();
      const row = openId ? store.rows.get(openId) : undefined;
      const seen = row ? JSON.stringify(row) : "";
      if (openId && row && (seen !== openSeen || store.state !== openState)) {
        openSeen = seen;
        openState = store.state;
        void showDetail(openId);
      }
    },
    route(param) {
      if (!param) {
        if (dialog.open) dialog.close();
        return;
      }
      const id = param.startsWith("evt_") ? (rowForStripeEvent(param)?.id ?? param) : param;
      openId = id;
      openSeen = JSON.stringify(store.rows.get(id) ?? "");
      openState = store.state;
      shownDetail = "";
      replace(dialog, h("div", { class: "drawer-body" }, h("p", { class: "muted" }, "Loading…")));
      if (!dialog.open) dialog.showModal();
      void showDetail(id);
    },
  };
}
