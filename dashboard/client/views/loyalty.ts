/**
 * Loyalty: each customer's balance and tier, with the purchases behind it (what reversals took
 * back) and every change of the balance (earned, redeemed, adjusted, expired); the promotion
 * windows; the tier rewards created in the local Stripe account. Read-only.
 */
import type { AccountEntryView, CustomerView, LedgerEntryView, PromotionView, StripeRewardView } from "../../protocol.ts";
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

const KIND_TONE: Readonly<Record<string, string>> = { earn: "good", restore: "good", redeem: "muted", adjust: "warn", reverse: "warn", expire: "muted" };

function entriesTable(customer: CustomerView): HTMLElement {
  if (customer.entries.length === 0) return empty("No balance changes recorded.");
  const signed = (entry: AccountEntryView) => (entry.delta > 0 ? `+${count(entry.delta)}` : entry.delta < 0 ? `−${count(-entry.delta)}` : "0");
  const lot = (entry: AccountEntryView) =>
    entry.expiredPoints !== undefined ? `expired (${count(entry.expiredPoints)})` : entry.expiresAt ? `expires ${dateTime(entry.expiresAt)}` : "";
  return table(
    `Balance changes of ${customer.customerId}`,
    ["When", "Change", "Points", "About", "Lot"],
    customer.entries.map((entry) =>
      h(
        "tr",
        {},
        h("td", { class: "nowrap" }, dateTime(entry.at)),
        h("td", {}, badge(entry.kind, KIND_TONE[entry.kind] ?? "muted")),
        h("td", { class: `num ${entry.delta < 0 ? "text-warn" : ""}` }, signed(entry)),
        h("td", { class: "small" }, entry.note ?? ""),
        h("td", { class: "small" }, lot(entry)),
      ),
    ),
    { class: "entries" },
  );
}

function promotionsTable(promotions: readonly PromotionView[]): HTMLElement {
  if (promotions.length === 0) return empty("No promotion windows: add one with `paybus promotions add`.");
  return table(
    "Promotion windows",
    ["Name", "State", "From", "Until", "Multiplier", "Combines", "Applies to"],
    promotions.map((promotion) =>
      h(
        "tr",
        {},
        h("td", { class: "mono small", title: promotion.description ?? "" }, promotion.name),
        h("td", {}, badge(promotion.state, promotion.state === "active" ? "good" : "muted")),
        h("td", { class: "nowrap" }, dateTime(promotion.start)),
        h("td", { class: "nowrap" }, dateTime(promotion.end)),
        h("td", { class: "num" }, `×${promotion.multiplier}`),
        h("td", {}, promotion.combine),
        h("td", { class: "small" }, promotion.conditions ?? "every purchase"),
      ),
    ),
    { class: "promotions" },
  );
}

function rewardsTable(rewards: readonly StripeRewardView[]): HTMLElement {
  if (rewards.length === 0) return empty("No tier rewards in Stripe yet: a tier promotion creates one.");
  return table(
    "Tier rewards in Stripe (local emulator)",
    ["Created", "Reward", "Stripe customer", "Customer", "Tier", "Value"],
    rewards.map((reward) =>
      h(
        "tr",
        {},
        h("td", { class: "nowrap" }, dateTime(reward.created)),
        h("td", {}, badge(reward.kind === "credit" ? "balance credit" : "promotion code", "muted")),
        h("td", { class: "mono small" }, reward.customer ?? "—"),
        h("td", { class: "mono small" }, reward.customerId ?? "—"),
        h("td", {}, reward.tier ? capitalise(reward.tier) : "—"),
        h("td", { class: "mono" }, reward.amountText ?? `${reward.code ?? ""}${reward.expiresAt ? ` (until ${dateTime(reward.expiresAt)})` : ""}`),
      ),
    ),
    { class: "stripe-rewards" },
  );
}

export function loyaltyView(): View {
  let region: HTMLElement;
  let programs: HTMLElement;
  const expanded = new Set<string>();
  let fresh = changes();
  let freshPrograms = changes();

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
      const details = h(
        "tr",
        { id: detailsId, class: "ledger-row", hidden: !open },
        h("td", { colspan: 5, "data-label": "" }, ledgerTable(customer), entriesTable(customer)),
      );
      return [summary, details];
    });
    replace(region, table("Balances by customer", ["Customer", "Tier", "Points", "Lifetime points", "Purchases"], rows, { class: "balances" }));
  };
  const renderPrograms = () => {
    const state = store.state;
    if (!state) return;
    replace(programs, h("h2", {}, "Promotions"), promotionsTable(state.promotions), h("h2", {}, "Rewards in Stripe"), rewardsTable(state.stripeRewards));
  };

  return {
    id: "loyalty",
    title: "Loyalty",
    mount(root) {
      fresh = changes();
      freshPrograms = changes();
      region = h("div", { class: "table-wrap" });
      programs = h("div", { class: "table-wrap programs" });
      root.append(
        h(
          "section",
          { class: "view", "aria-labelledby": "view-title" },
          h("div", { class: "view-head" }, h("h1", { id: "view-title" }, "Loyalty"), h("p", { class: "muted" }, "Balances and tiers per customer, from the loyalty table. Open a customer for the purchases and every change behind the balance; below, the promotion windows and the tier rewards in the local Stripe account.")),
          region,
          programs,
        ),
      );
    },
    update: () => {
      if (fresh(store.state?.customers)) render();
      if (freshPrograms([store.state?.promotions, store.state?.stripeRewards])) renderPrograms();
    },
  };
}
