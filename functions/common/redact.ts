/**
 * PII redaction for logs: emails and people's names never reach a log line in clear.
 */

/** Keys whose values are personal data wherever they appear in a logged object. */
const PII_KEYS = new Set([
  "email", "customer_email", "receipt_email", "name", "customer_name", "firstName", "lastName", "phone",
  "customer_phone", "address", "customer_address", "shipping", "customer_shipping", "billing_details",
]);

// RFC 6531 (SMTPUTF8) widens RFC 5322's atext to every non-ASCII character: letters, marks and
// digits of any script, so `josé.müller@exämple.de` and `ユーザー@例え.jp` are addresses too.
const LOCAL_CHAR = /^[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~.-]$/u;
const DOMAIN_CHAR = /^[\p{L}\p{M}\p{N}.-]$/u;
const TOP_LEVEL_DOMAIN = /^[\p{L}\p{M}]{2,}$|^xn--[a-z0-9-]+$/iu;
/** RFC 5321 caps a local part at 64 octets; a quoted one is searched no further back than this. */
const MAX_QUOTED_LOCAL = 256;

/** Where a quoted local part (`"john doe"`) ending just before `at` begins, or -1. */
function quotedStart(chars: readonly string[], at: number, floor: number): number {
  if (chars[at - 1] !== '"') return -1;
  for (let i = at - 2; i >= Math.max(floor, at - MAX_QUOTED_LOCAL); i--) {
    if (chars[i] === '"' && chars[i - 1] !== "\\") return i;
  }
  return -1;
}

/**
 * Every email address in `value` with its local part reduced to its first character:
 * `jenny.rosen@example.com` -> `j***@example.com`, keeping the domain for troubleshooting.
 *
 * A scanner rather than one regular expression: it visits each character a bounded number of
 * times, so a long run of address-like text (a logged payload) cannot make logging quadratic.
 */
export function redactEmail(value: string): string {
  if (!value.includes("@")) return value;
  const chars = Array.from(value);
  let out = "";
  let copiedUntil = 0;
  for (let at = 0; at < chars.length; at++) {
    if (chars[at] !== "@") continue;
    let start = quotedStart(chars, at, copiedUntil);
    if (start < 0) {
      start = at;
      while (start > copiedUntil && LOCAL_CHAR.test(chars[start - 1]!)) start--;
      while (start < at && chars[start] === ".") start++;
    }
    let end = at + 1;
    while (end < chars.length && DOMAIN_CHAR.test(chars[end]!)) end++;
    while (end > at + 1 && (chars[end - 1] === "." || chars[end - 1] === "-")) end--;
    const domain = chars.slice(at + 1, end).join("");
    const labels = domain.split(".");
    if (start === at || labels.length < 2 || labels.some((label) => label === "") || !TOP_LEVEL_DOMAIN.test(labels.at(-1)!)) {
      continue;
    }
    const first = chars[start] === '"' ? chars[start + 1]! : chars[start]!;
    out += chars.slice(copiedUntil, start).join("") + `${first}***@${domain}`;
    copiedUntil = end;
    at = end - 1;
  }
  return copiedUntil === 0 ? value : out + chars.slice(copiedUntil).join("");
}

function redactError(error: Error): Record<string, unknown> {
  return { name: error.name, message: redactEmail(error.message), stack: error.stack && redactEmail(error.stack) };
}

/**
 * A deep copy of `value` with PII keys masked and email addresses redacted in every string, at any
 * depth. Iterative, so nesting deeper than the call stack cannot make logging throw; a value met
 * again on its own path (a cycle) is written as `"[circular]"`.
 */
export function redact(value: unknown): unknown {
  type Step = { readonly source: unknown; readonly assign: (copy: unknown) => void } | { readonly leave: object };
  const root: { value?: unknown } = {};
  const onPath = new Set<object>();
  const work: Step[] = [{ source: value, assign: (copy) => (root.value = copy) }];
  while (work.length > 0) {
    const step = work.pop()!;
    if ("leave" in step) {
      onPath.delete(step.leave);
      continue;
    }
    const { source, assign } = step;
    if (typeof source === "string") assign(redactEmail(source));
    else if (source === null || typeof source !== "object") assign(source);
    else if (onPath.has(source)) assign("[circular]");
    else if (source instanceof Error) assign(redactError(source));
    else {
      onPath.add(source);
      // Children are visited before this marker is popped: the path holds exactly the ancestors.
      work.push({ leave: source });
      if (Array.isArray(source)) {
        const copy: unknown[] = new Array(source.length);
        assign(copy);
        source.forEach((item, index) => work.push({ source: item, assign: (c) => (copy[index] = c) }));
      } else {
        const copy: Record<string, unknown> = {};
        assign(copy);
        for (const [key, item] of Object.entries(source)) {
          if (PII_KEYS.has(key) && item !== null && item !== undefined) {
            copy[key] = "[redacted]";
          } else {
            copy[key] = undefined; // keeps the key order of the original
            work.push({ source: item, assign: (c) => (copy[key] = c) });
          }
        }
      }
    }
  }
  return root.value;
}
