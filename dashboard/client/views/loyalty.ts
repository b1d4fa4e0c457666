/**
 * Loyalty: each customer's balance and tier, and the ledger entries behind the balance (one per
 * purchase, with what reversals took back).
 */
import type { CustomerView, LedgerEntryView } from "../../protocol.ts";
import { badge, changes, count, dateTime, empty, h, replace, table } from "../dom.ts";
import { store } from "../store.ts";
import { eventLink } from "../ui.ts";
import type { View } from "./view.ts";

const TIER_TONE: Readonly<Record<string, string>> = { member: "muted", silver: "silver", gold: "gold", platinum: "platinum" };

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function ledgerStatus(entry: LedgerEntryView): HTMLElement {
  const notes = [
    entry.status === "skipped" ? `skipped${entry.skipReason ? `: ${entry.skipReason}` : ""}` : entry.status,
    entry.refundedText ? `refunded ${entry.refundedText}` : undefined,
    entry.chargedBack ? "charged back" : undefined,
    entry.promotedTo ? `promoted to ${capitalise(entry.promotedTo)}` : undefined,
  ].filter(Boolean);
  return h("span", {}, notes.join(" · "));
}

function ledgerTable(customer: CustomerView): HTMLElement {
  if (customer.ledger.length === 0) return empty("No ledger entries.");
  return table(
    `Ledger of ${customer.customerId}`,
    ["Purchase", "When", "Amount", "Points", "Taken back", "Status", "Stripe event"],
    customer.ledger.map((entry) =>
      h(
        "tr",
        {},
        h("td", { class: "mono small" }, entry.purchaseId),
        h("td", { class: "nowrap" }, dateTime(entry.occurredAt)),
        h("td", { class: "num" }, entry.amountText ?? "—"),
        h("td", { class: "num" }, `+${count(entry.points)}`),
        h("td", { class: `num ${entry.reversedPoints ? "text-warn" : ""}` }, entry.reversedPoints ? `−${count(entry.reversedPoints)}` : "0"),
        h("td", {}, ledgerStatus(entry)),
        h("td", {}, entry.stripeEventId ? eventLink(entry.stripeEventId, entry.eventType ?? entry.stripeEventId) : "—"),
      ),
    ),
    { class: "ledger" },
  );
}

export function loyaltyView(): View {
  let region: HTMLElement;
  const expanded = new Set<string>();
  let fresh = changes();

  const render = () => {
    const customers = store.state?.customers;
    if (!customers) return;
    if (customers.length === 0) {
      replace(region, empty("No balances yet: purchases (payment_intent.succeeded, charge.succeeded, checkout.session.completed) earn points."));
      return;
    }
    const rows = customers.flatMap((customer) => {
      const open = expanded.has(customer.customerId);
      const detailsId = `ledger-${customer.customerId}`;
      const toggle = h(
        "button",
        {
          class: "disclosure",
          "aria-expanded": String(open),
          "aria-controls": detailsId,
          "data-key": `ledger:${customer.customerId}`,
          on: {
            click: () => {
              if (open) expanded.delete(customer.customerId);
              else expanded.add(customer.customerId);
              render();
            },
          },
        },
        h("span", { class: "chevron", "aria-hidden": "true" }, open ? "▾" : "▸"),
        ` ${customer.customerId}`,
      );
      const summary = h(
        "tr",
        { class: "customer" },
        h("th", { scope: "row" }, toggle),
        h("td", {}, badge(capitalise(customer.tier), TIER_TONE[customer.tier] ?? "muted")),
        h("td", { class: "num strong" }, count(customer.points)),
        h("td", { class: "num" }, count(customer.lifetimePoints)),
        h("td", { class: "num" }, count(customer.purchases)),
      );
      const details = h("tr", { id: detailsId, class: "ledger-row", hidden: !open }, h("td", { colspan: 5, "data-label": "" }, ledgerTable(customer)));
      return [summary, details];
    });
    replace(region, table("Balances by customer", ["Customer", "Tier", "Points", "Lifetime points", "Purchases"], rows, { class: "balances" }));
  };

  return {
    id: "loyalty",
    title: "Loyalty",
    mount(root) {
      fresh = changes();
      region = h("div", { class: "table-wrap" });
      root.append(
        h(
          "section",
          { class: "view", "aria-labelledby": "view-title" },
          h("div", { class: "view-head" }, h("h1", { id: "view-title" }, "Loyalty"), h("p", { class: "muted" }, "Balances and tiers per customer, from the loyalty table. Open a customer for the ledger entries behind the balance.")),
          region,
        ),
      );
    },
    update: () => fresh(store.state?.customers) && render(),
  };
}
