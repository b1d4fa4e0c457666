/**
 * Dead-letter queues: every message with the error it last failed with, and redrive / discard
 * per message or per queue (through the admin API, as `paybus dlq` does).
 */
import type { DlqMessageView, DlqView } from "../../protocol.ts";
import { admin, refresh } from "../api.ts";
import { changes, h, replace, table } from "../dom.ts";
import { store } from "../store.ts";
import { act, eventLink } from "../ui.ts";
import type { View } from "./view.ts";

/** Discarding loses the message: the first press asks, the second (within a few seconds) does it. */
const CONFIRM_MS = 5000;

export function dlqView(): View {
  let region: HTMLElement;
  const armed = new Map<string, number>();
  let fresh = changes();

  const move = (verb: "redrive" | "discard", queue: string, messageIds?: string[]) => async () => {
    const result = await admin<{ messageIds: string[] }>(`/dlq/${verb}`, { queue, ...(messageIds ? { messageIds } : {}) });
    await refresh();
    return `${verb === "redrive" ? "Redrove" : "Discarded"} ${result.messageIds.length} message(s) ${verb === "redrive" ? "to" : "from"} ${queue}`;
  };

  const discardButton = (key: string, label: string, run: () => Promise<string>) => {
    const confirming = (armed.get(key) ?? 0) > Date.now();
    return h(
      "button",
      {
        class: `button ${confirming ? "danger" : "quiet"}`,
        "data-key": key,
        on: {
          click: (event) => {
            const button = event.currentTarget as HTMLButtonElement;
            if ((armed.get(key) ?? 0) > Date.now()) {
              armed.delete(key);
              void act(button, run);
            } else {
              armed.set(key, Date.now() + CONFIRM_MS);
              button.textContent = "Confirm discard";
              button.classList.replace("quiet", "danger");
              setTimeout(render, CONFIRM_MS);
            }
          },
        },
      },
      confirming ? "Confirm discard" : label,
    );
  };

  const messageRow = (queue: string, message: DlqMessageView) =>
    h(
      "tr",
      {},
      h("td", {}, h("div", { class: "stack" }, h("span", { class: "mono" }, message.summary.type), message.eventId ? eventLink(message.eventId, message.summary.stripeEventId ?? message.eventId) : h("span", { class: "mono small" }, message.messageId))),
      h("td", {}, message.summary.appCustomer ?? message.summary.customer ?? "—"),
      h("td", { class: "num" }, message.summary.amountText ?? "—"),
      h("td", { class: "num" }, String(message.receiveCount)),
      h("td", { class: "error-text" }, message.error ?? h("span", { class: "muted" }, "not recorded (failed before this runtime started)")),
      h(
        "td",
        {},
        h(
          "div",
          { class: "actions" },
          h("button", { class: "button primary", "data-key": `redrive:${message.messageId}`, on: { click: (event) => act(event.currentTarget as HTMLButtonElement, move("redrive", queue, [message.messageId])) } }, "Redrive"),
          discardButton(`discard:${message.messageId}`, "Discard", move("discard", queue, [message.messageId])),
        ),
      ),
    );

  const queueSection = ({ queue, messages }: DlqView) =>
    h(
      "section",
      { class: "panel", "aria-labelledby": `dlq-${queue}` },
      h(
        "div",
        { class: "panel-head" },
        h("h2", { id: `dlq-${queue}` }, `${queue} DLQ `, h("span", { class: "count" }, `${messages.length}`)),
        messages.length
          ? h(
              "div",
              { class: "actions" },
              h("button", { class: "button", "data-key": `redrive-all:${queue}`, on: { click: (event) => act(event.currentTarget as HTMLButtonElement, move("redrive", queue)) } }, "Redrive all"),
              discardButton(`discard-all:${queue}`, "Discard all", move("discard", queue)),
            )
          : null,
      ),
      messages.length
        ? table(`Messages in the ${queue} DLQ`, ["Event", "Customer", "Amount", "Receives", "Last error", "Actions"], messages.map((message) => messageRow(queue, message)), { class: "dlq" })
        : h("p", { class: "empty" }, "Empty."),
    );

  function render(): void {
    const dlq = store.state?.dlq;
    if (!dlq) return;
    replace(region, dlq.map(queueSection));
  }

  return {
    id: "dlq",
    title: "DLQs",
    mount(root) {
      fresh = changes();
      region = h("div", { class: "stack-lg" });
      root.append(
        h(
          "section",
          { class: "view", "aria-labelledby": "view-title" },
          h("div", { class: "view-head" }, h("h1", { id: "view-title" }, "Dead-letter queues"), h("p", { class: "muted" }, "Messages a consumer gave up on after the queue's maxReceiveCount. Redrive sends them back to their queue; discard deletes them.")),
          region,
        ),
      );
    },
    update: () => fresh(store.state?.dlq) && render(),
    badge: () => store.state?.dlq.reduce((sum, queue) => sum + queue.messages.length, 0) ?? 0,
  };
}
