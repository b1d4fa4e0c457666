/**
 * Page-wide helpers: announcements (a polite live region that screen readers read out), links
 * between views, and running an action with its outcome announced.
 */
import { h } from "./dom.ts";

export type Tone = "good" | "bad" | "info";

/** Shows and announces a short message for a few seconds. */
function announce(message: string, tone: Tone = "info"): void {
  const region = document.getElementById("toasts");
  if (!region) return;
  const toast = h("div", { class: `toast ${tone}` }, message);
  region.append(toast);
  setTimeout(() => toast.remove(), 6000);
}

/** Runs an action from a button: disabled while it runs, its outcome announced. */
export async function act(button: HTMLButtonElement | undefined, action: () => Promise<string>): Promise<void> {
  if (button) button.disabled = true;
  try {
    announce(await action(), "good");
  } catch (error) {
    announce((error as Error).message, "bad");
  } finally {
    if (button) button.disabled = false;
  }
}

/** The address of an event's details: an envelope id, or a Stripe event id (its newest delivery). */
export function eventHref(id: string): string {
  return `#/events/${encodeURIComponent(id)}`;
}

/** A link to an event's details. */
export function eventLink(id: string, text: string = id, key?: string): HTMLAnchorElement {
  return h("a", { href: eventHref(id), class: "mono", title: id, ...(key ? { "data-key": key } : {}) }, text);
}
