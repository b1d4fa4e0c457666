/**
 * The outbox: rendered emails (in a sandboxed frame: no scripts, no remote content) and pushes,
 * each with the Stripe event that caused it.
 */
import type { Cause, EmailView } from "../../protocol.ts";
import { changes, clock, empty, h, replace, table } from "../dom.ts";
import { store } from "../store.ts";
import { eventLink } from "../ui.ts";
import type { View } from "./view.ts";

function causeOf(cause: Cause | undefined): Node {
  if (!cause) return h("span", { class: "muted" }, "unknown");
  return h(
    "span",
    { class: "stack" },
    eventLink(cause.stripeEventId, cause.eventType ? `${cause.eventType}` : cause.stripeEventId),
    h("span", { class: "small muted" }, cause.via === "workflow" ? `via workflow ${cause.executionName ?? ""}` : "via notifications"),
  );
}

/** An email's rendered page. No allow-scripts, no allow-same-origin: it can neither run code nor reach the page. */
function emailFrame(email: EmailView): HTMLIFrameElement {
  return h("iframe", { class: "mail-frame", sandbox: "", referrerpolicy: "no-referrer", title: `Email: ${email.subject}`, src: `/dashboard/api/emails/${encodeURIComponent(email.messageId)}` });
}

export function outboxView(): View {
  let list: HTMLElement;
  let preview: HTMLElement;
  let frameSlot: HTMLElement;
  let pushes: HTMLElement;
  let selected: string | undefined;
  let shownInFrame: string | undefined;
  let fresh = changes();

  const select = (email: EmailView) => {
    selected = email.messageId;
    render();
  };

  const render = () => {
    const state = store.state;
    if (!state) return;
    const emails = state.emails;
    if (!emails.some((email) => email.messageId === selected)) selected = emails[0]?.messageId;
    replace(
      list,
      emails.length === 0
        ? empty("No email sent yet.")
        : h(
            "ul",
            { class: "mail-list", "aria-label": "Emails, newest first" },
            emails.map((email) =>
              h(
                "li",
                {},
                h(
                  "button",
                  { class: `mail-item${email.messageId === selected ? " selected" : ""}`, "aria-pressed": String(email.messageId === selected), "data-key": `mail:${email.messageId}`, on: { click: () => select(email) } },
                  h("span", { class: "mail-subject" }, email.subject),
                  h("span", { class: "mail-meta" }, h("span", {}, email.to.join(", ")), h("time", { datetime: email.at }, clock(email.at))),
                ),
              ),
            ),
          ),
    );
    const email = emails.find((candidate) => candidate.messageId === selected);
    replace(
      preview,
      email
        ? h(
            "dl",
            { class: "facts mail-head" },
            h("dt", {}, "Subject"),
            h("dd", { class: "strong" }, email.subject),
            h("dt", {}, "To"),
            h("dd", {}, email.to.join(", ")),
            h("dt", {}, "Sent"),
            h("dd", {}, h("time", { datetime: email.at }, clock(email.at))),
            h("dt", {}, "Caused by"),
            h("dd", {}, causeOf(email.cause)),
          )
        : null,
    );
    // A new frame only when another email is chosen, never for live updates. A new frame, not a new
    // `src`: Chromium (152 and later) may commit the first of two loads started moments apart and drop
    // the second, so choosing an email right after the default one was shown could leave the default
    // one in the frame. Removing a frame discards its load in flight.
    if (email?.messageId !== shownInFrame) {
      shownInFrame = email?.messageId;
      replace(frameSlot, email ? emailFrame(email) : null);
    }
    replace(
      pushes,
      state.pushes.length === 0
        ? empty("No push sent yet.")
        : table(
            "Pushes, newest first",
            ["Time", "Device", "Title", "Message", "Caused by"],
            state.pushes.map((push) =>
              h("tr", {}, h("td", { class: "nowrap" }, h("time", { datetime: push.at }, clock(push.at))), h("td", { class: "mono small" }, push.endpoint), h("td", { class: "strong" }, push.title ?? "—"), h("td", {}, push.body ?? ""), h("td", {}, causeOf(push.cause))),
            ),
          ),
    );
  };

  return {
    id: "outbox",
    title: "Outbox",
    mount(root) {
      shownInFrame = undefined;
      fresh = changes();
      list = h("div", { class: "mail-list-wrap" });
      preview = h("div", {});
      frameSlot = h("div", { class: "mail-frame-slot" });
      pushes = h("div", { class: "table-wrap" });
      root.append(
        h(
          "section",
          { class: "view", "aria-labelledby": "view-title" },
          h("div", { class: "view-head" }, h("h1", { id: "view-title" }, "Outbox"), h("p", { class: "muted" }, "What customers received: emails (local SES) and pushes (local SNS), each with the event that caused it.")),
          h("section", { class: "panel mail", "aria-labelledby": "emails-title" }, h("h2", { id: "emails-title" }, "Emails"), h("div", { class: "mail-layout" }, list, h("div", { class: "mail-preview" }, preview, frameSlot))),
          h("section", { class: "panel", "aria-labelledby": "pushes-title" }, h("h2", { id: "pushes-title" }, "Pushes"), pushes),
        ),
      );
    },
    update: () => fresh([store.state?.emails, store.state?.pushes]) && render(),
  };
}
