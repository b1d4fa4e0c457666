/**
 * The PutEvents entry as EventBridge measures it. The bridge refuses an event over the limit
 * itself, with a clear answer and an alarm, instead of learning it from a per-entry failure.
 */
import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";

/** What `Time` adds to an entry's size when it is set, whatever the date. */
const TIME_BYTES = 14;

const utf8Bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, "utf8"));

/**
 * The size EventBridge charges an entry against its limit: 14 bytes for `Time` when set, plus the
 * UTF-8 bytes of `Source`, `DetailType`, `Detail` and every `Resources` ARN (AWS's "Calculating
 * PutEvents event entry size"). `EventBusName` and `TraceHeader` do not count.
 */
export function putEventsEntrySize(entry: PutEventsRequestEntry): number {
  return (
    (entry.Time === undefined ? 0 : TIME_BYTES) +
    utf8Bytes(entry.Source) +
    utf8Bytes(entry.DetailType) +
    utf8Bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((total, arn) => total + utf8Bytes(arn), 0)
  );
}

const INSIGNIFICANT_WHITESPACE = new Set([" ", "\t", "\n", "\r"]);

/**
 * `json` without the whitespace between tokens. Stripe sends webhook bodies pretty-printed, which
 * inflates the entry by about a third; every token (number literals, string escapes) is kept
 * byte for byte, so the detail is the Stripe event unchanged — unlike a `JSON.parse` round trip,
 * which would rewrite `1.0`, escapes and integers beyond 2^53.
 *
 * `json` must already be valid JSON.
 */
export function compactJson(json: string): string {
  let out = "";
  let inString = false;
  let escaped = false;
  for (const char of json) {
    if (inString) {
      out += char;
      if (escaped) escaped = false;
      else if (char === "\\") escaped = true;
      else if (char === '"') inString = false;
    } else if (!INSIGNIFICANT_WHITESPACE.has(char)) {
      out += char;
      inString = char === '"';
    }
  }
  return out;
}
