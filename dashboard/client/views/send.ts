/**
 * Send: put a fixture or a pasted event on the bus (as the Stripe partner source would), or replay
 * archived events; each answer is listed with a link to the event it produced.
 */
import { admin, fixture } from "../api.ts";
import { clock, h } from "../dom.ts";
import { store } from "../store.ts";
import { act, eventLink } from "../ui.ts";
import type { View } from "./view.ts";

type PutResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export function sendView(): View {
  let fixtureSelect: HTMLSelectElement;
  // Kept across visits: what was sent stays listed when coming back to this view.
  const results = h("ol", { class: "results", "aria-live": "polite", "aria-label": "Results" });
  let knownFixtures = "";

  const log = (title: string, lines: Node[]) => {
    results.prepend(h("li", {}, h("time", { datetime: new Date().toISOString() }, clock(new Date().toISOString())), h("div", {}, h("strong", {}, title), h("ul", { class: "plain" }, lines.map((line) => h("li", {}, line))))));
  };

  const sendEvents = async (label: string, text: string): Promise<string> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new Error(`Not JSON: ${(error as Error).message}`);
    }
    const events = Array.isArray(parsed) ? parsed : [parsed];
    const { results: answers } = await admin<{ results: PutResult[] }>("/send", { events });
    log(
      label,
      answers.map((answer) => ("EventId" in answer ? h("span", {}, "accepted as ", eventLink(answer.EventId)) : h("span", { class: "text-bad" }, `rejected: ${answer.ErrorCode}: ${answer.ErrorMessage}`))),
    );
    const accepted = answers.filter((answer) => "EventId" in answer).length;
    const summary = `Sent ${events.length} event(s): ${accepted} accepted, ${events.length - accepted} rejected`;
    // A refusal is a failure of the send: announced as one (the log above says which and why).
    const refused = answers.find((answer): answer is Extract<PutResult, { ErrorCode: string }> => "ErrorCode" in answer);
    if (refused) throw new Error(`${summary} (${refused.ErrorCode}: ${refused.ErrorMessage})`);
    return summary;
  };

  const isoOrUndefined = (input: HTMLInputElement) => (input.value ? new Date(input.value).toISOString() : undefined);

  return {
    id: "send",
    title: "Send",
    mount(root) {
      knownFixtures = "";
      fixtureSelect = h("select", { id: "send-fixture" });
      const paste = h("textarea", { id: "send-paste", rows: 10, class: "mono", spellcheck: "false", placeholder: '{"version":"0","detail-type":"invoice.paid","source":"aws.partner/stripe.com/ed_test_…","detail":{…}}' });
      const from = h("input", { id: "replay-from", type: "datetime-local", step: 1 });
      const to = h("input", { id: "replay-to", type: "datetime-local", step: 1 });
      const only = h("input", { id: "replay-event", type: "text", placeholder: "evt_… (optional)", autocomplete: "off", class: "mono" });
      root.append(
        h(
          "section",
          { class: "view", "aria-labelledby": "view-title" },
          h("div", { class: "view-head" }, h("h1", { id: "view-title" }, "Send"), h("p", { class: "muted" }, "Events go on the bus exactly as the Stripe partner source would put them; rejected ones are listed with AWS's reason.")),
          h(
            "div",
            { class: "send-grid" },
            h(
              "section",
              { class: "panel" },
              h("h2", {}, "Send a fixture"),
              h("p", { class: "muted small" }, "The realistic Stripe events of fixtures/stripe-events/."),
              h("div", { class: "field" }, h("label", { for: "send-fixture" }, "Fixture"), fixtureSelect),
              h(
                "button",
                { class: "button primary", id: "send-fixture-button", on: { click: (event) => act(event.currentTarget as HTMLButtonElement, async () => sendEvents(fixtureSelect.value, await fixture(fixtureSelect.value))) } },
                "Send fixture",
              ),
            ),
            h(
              "section",
              { class: "panel" },
              h("h2", {}, "Paste an event"),
              h("div", { class: "field" }, h("label", { for: "send-paste" }, "EventBridge event JSON (one, or a list)"), paste),
              h("button", { class: "button primary", id: "send-paste-button", on: { click: (event) => act(event.currentTarget as HTMLButtonElement, () => sendEvents("Pasted event", paste.value)) } }, "Send"),
            ),
            h(
              "section",
              { class: "panel" },
              h("h2", {}, "Replay from the archive"),
              h("p", { class: "muted small" }, "Every accepted event is archived; a replay sends them again under new envelope ids."),
              h("div", { class: "field" }, h("label", { for: "replay-from" }, "From (event time, inclusive)"), from),
              h("div", { class: "field" }, h("label", { for: "replay-to" }, "To (exclusive)"), to),
              h("div", { class: "field" }, h("label", { for: "replay-event" }, "Only this Stripe event"), only),
              h(
                "button",
                {
                  class: "button",
                  id: "replay-button",
                  on: {
                    click: (event) =>
                      act(event.currentTarget as HTMLButtonElement, async () => {
                        const result = await admin<{ replayName: string; events: number }>("/replay", {
                          start: isoOrUndefined(from),
                          end: isoOrUndefined(to),
                          stripeEventIds: only.value.trim() ? [only.value.trim()] : undefined,
                        });
                        log(`Replay ${result.replayName}`, [h("span", {}, `${result.events} archived event(s) sent again`)]);
                        return `${result.replayName}: ${result.events} event(s) replayed`;
                      }),
                  },
                },
                "Replay",
              ),
            ),
          ),
          h("section", { class: "panel" }, h("h2", {}, "Results"), results),
        ),
      );
    },
    update() {
      const fixtures = store.init?.fixtures ?? [];
      if (fixtures.join("|") === knownFixtures) return;
      knownFixtures = fixtures.join("|");
      fixtureSelect.replaceChildren(...fixtures.map((name) => h("option", { value: name }, name.replace(/\.json$/, ""))));
    },
  };
}
