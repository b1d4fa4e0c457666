/**
 * Text from Stripe or a profile going into an email: one line where a header is built from it,
 * and only web links where a customer is asked to click.
 */

// C0 and C1 controls (CR and LF among them) and the Unicode line and paragraph separators: any of
// them in a subject can fold the header or smuggle one in, and renders as nothing useful.
const CONTROL_RUNS = /[\p{Cc}\u2028\u2029]+/gu;

/** `text` on one line: every run of control characters becomes one space; the ends are trimmed. */
export function singleLine(text: string): string {
  return text.replace(CONTROL_RUNS, " ").replace(/ {2,}/g, " ").trim();
}

/**
 * `url` when it is an absolute `http:` or `https:` URL, else undefined: a `javascript:`, `data:`
 * or relative link from an event never becomes something a customer can click.
 */
export function webLink(url: string | undefined): string | undefined {
  if (url === undefined || !URL.canParse(url)) return undefined;
  const { protocol } = new URL(url);
  return protocol === "https:" || protocol === "http:" ? url : undefined;
}
