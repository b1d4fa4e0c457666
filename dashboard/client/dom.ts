/**
 * A few DOM helpers: build elements from data (never from HTML strings, so event contents can
 * never become markup), replace a region while keeping keyboard focus, and format for people.
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];

type Handler = (event: Event) => void;

export interface Attrs {
  readonly class?: string | undefined;
  readonly on?: Readonly<Record<string, Handler>>;
  readonly [attribute: string]: string | number | boolean | undefined | Readonly<Record<string, Handler>>;
}

function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function setAttributes(element: Element, attrs: Attrs | undefined): void {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (name === "on") {
      for (const [type, handler] of Object.entries(value as Record<string, Handler>)) element.addEventListener(type, handler);
    } else if (value === true) element.setAttribute(name, "");
    else if (value !== false && value !== undefined) element.setAttribute(name, String(value));
  }
}

/** An HTML element with attributes (`on` for listeners) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  setAttributes(element, attrs);
  append(element, children);
  return element;
}

/** An SVG element. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Child[]): SVGElementTagNameMap[K] {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  setAttributes(element, attrs);
  append(element, children);
  return element;
}

/**
 * Replaces a region's content. Live updates must not steal the keyboard: when focus was on an
 * element with a `data-key` inside the region, the new element with the same key gets it back.
 */
export function replace(region: Element, ...children: Child[]): void {
  const active = document.activeElement;
  const key = active && region.contains(active) ? active.getAttribute("data-key") : null;
  const fragment = document.createDocumentFragment();
  append(fragment, children);
  region.replaceChildren(fragment);
  if (key) (region.querySelector(`[data-key="${CSS.escape(key)}"]`) as HTMLElement | null)?.focus();
}

/** `14:02:07` in the viewer's time zone. */
export function clock(iso: string | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString(undefined, { hour12: false });
}

/** `2026-08-04 14:02` in the viewer's time zone. */
export function dateTime(iso: string | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** `1,240` */
export function count(value: number): string {
  return new Intl.NumberFormat().format(value);
}

/** A coloured label that also says what it means in words. */
export function badge(text: string, tone: string): HTMLElement {
  return h("span", { class: `badge ${tone}` }, text);
}

/** A table whose cells carry their column name, so narrow screens can show rows as cards. */
export function table(caption: string | undefined, headers: readonly string[], rows: ReadonlyArray<HTMLTableRowElement>, attrs: Attrs = {}): HTMLTableElement {
  for (const row of rows) {
    [...row.cells].forEach((cell, i) => {
      if (!cell.hasAttribute("data-label") && headers[i]) cell.setAttribute("data-label", headers[i]!);
    });
  }
  return h(
    "table",
    { ...attrs, class: `grid ${attrs.class ?? ""}`.trim() },
    caption ? h("caption", { class: "visually-hidden" }, caption) : null,
    // A column of figures is right-aligned, its heading too.
    h("thead", {}, h("tr", {}, headers.map((header, i) => h("th", { scope: "col", class: rows[0]?.cells[i]?.classList.contains("num") ? "num" : undefined }, header)))),
    h("tbody", {}, rows),
  );
}

/** A message for an empty list. */
export function empty(text: string): HTMLElement {
  return h("p", { class: "empty" }, text);
}

/**
 * A change detector: each call says whether `value` differs from the previous call's. Views skip
 * rebuilding what did not change, so live updates never disturb a hover, a click or a reader.
 */
export function changes(): (value: unknown) => boolean {
  let last: string | undefined;
  return (value) => {
    const next = JSON.stringify(value);
    if (next === last) return false;
    last = next;
    return true;
  };
}
