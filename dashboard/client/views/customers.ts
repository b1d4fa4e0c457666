/**
 * Customers: the profiles paybus can reach (synced from Stripe's `customer.*` events, or seeded)
 * with their locale, a redacted email and their push devices, enabled or not.
 */
import type { DeviceView, ProfileView } from "../../protocol.ts";
import { badge, changes, empty, h, replace, table } from "../dom.ts";
import { store } from "../store.ts";
import type { View } from "./view.ts";

const DEVICE_TONE: Readonly<Record<DeviceView["state"], string>> = { enabled: "good", disabled: "warn", missing: "bad" };

function devices(profile: ProfileView): HTMLElement {
  if (profile.devices.length === 0) return h("span", { class: "muted" }, "none");
  return h(
    "ul",
    { class: "devices", "aria-label": `Devices of ${profile.customerId}` },
    profile.devices.map((device) =>
      h(
        "li",
        {},
        h("span", { class: "strong" }, device.platform),
        " ",
        h("span", { class: "mono small", title: device.registered ? "registered through the device API" : "endpoint stored on the profile" }, device.endpoint),
        " ",
        badge(device.state, DEVICE_TONE[device.state]),
      ),
    ),
  );
}

export function customersView(): View {
  let region: HTMLElement;
  let fresh = changes();

  const render = () => {
    const profiles = store.state?.profiles;
    if (!profiles) return;
    if (profiles.length === 0) {
      replace(region, empty("No profiles yet: customer.created and customer.updated events create them, and the device API adds devices."));
      return;
    }
    const rows = profiles.map((profile) =>
      h(
        "tr",
        { class: "profile", "data-customer": profile.customerId },
        h("th", { scope: "row", class: "mono" }, profile.customerId, profile.account ? h("div", { class: "muted small" }, profile.account) : null),
        h("td", {}, profile.locale ?? h("span", { class: "muted" }, "—")),
        h("td", {}, profile.email ? h("span", { class: "mono small" }, profile.email) : h("span", { class: "muted" }, "no email")),
        h("td", {}, profile.deleted ? badge("deleted, erased", "bad") : badge("active", "good")),
        h("td", {}, devices(profile)),
      ),
    );
    replace(region, table("Customer profiles", ["Customer", "Locale", "Email", "State", "Devices"], rows, { class: "profiles" }));
  };

  return {
    id: "customers",
    title: "Customers",
    mount(root) {
      fresh = changes();
      region = h("div", { class: "table-wrap" });
      root.append(
        h(
          "section",
          { class: "view", "aria-labelledby": "view-title" },
          h(
            "div",
            { class: "view-head" },
            h("h1", { id: "view-title" }, "Customers"),
            h("p", { class: "muted" }, "Profiles from the profiles table, kept in sync from Stripe's customer events, with the push devices the app registered. Emails are shown redacted."),
          ),
          region,
        ),
      );
    },
    update: () => fresh(store.state?.profiles) && render(),
  };
}
