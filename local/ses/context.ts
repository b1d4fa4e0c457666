/** What the SES v1 and v2 handlers share: the identities, the sending quota, and how they answer. */
import type { SesIdentities } from "./identities.ts";

/** The answer to one SES request: handled here, or passed to aws-ses-v2-local (which stores the email). */
export type SesAnswer =
  | {
      readonly kind: "forward";
      /** Set for a send; `tags` are its message tags (name -> value), which may name its cause. */
      readonly email?: { readonly to: string[]; readonly subject: string; readonly tags?: ReadonlyMap<string, string> };
    }
  | { readonly kind: "reply"; readonly status: number; readonly contentType: string; readonly body: string };

export interface SesContext {
  readonly identities: SesIdentities;
  /** Emails sent in the last 24 hours (GetSendQuota's `SentLast24Hours`). */
  sentLast24Hours(): number;
}

/** SES's quotas: a sandbox account may send 200 emails a day at 1 per second. */
export function sendQuota(context: SesContext): { max24HourSend: number; maxSendRate: number; sentLast24Hours: number } {
  return context.identities.sandbox
    ? { max24HourSend: 200, maxSendRate: 1, sentLast24Hours: context.sentLast24Hours() }
    : { max24HourSend: 50_000, maxSendRate: 14, sentLast24Hours: context.sentLast24Hours() };
}

/** Addresses and subject read from a raw MIME message's headers (`From`, `To`, `Cc`, `Bcc`, `Subject`). */
export function rawHeaders(base64: string): { from?: string; recipients: string[]; subject: string } {
  const text = Buffer.from(base64, "base64").toString("utf8");
  const head = text.split(/\r?\n\r?\n/, 1)[0] ?? "";
  const unfolded = head.replace(/\r?\n[ \t]+/g, " ");
  const headers = new Map<string, string>();
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const list = (name: string) => (headers.get(name) ?? "").split(",").map((part) => part.trim()).filter(Boolean);
  const from = headers.get("from");
  return { ...(from ? { from } : {}), recipients: [...list("to"), ...list("cc"), ...list("bcc")], subject: headers.get("subject") ?? "" };
}

/** Message tags as a map (a tag without a name or value is refused before this is read). */
export function tagMap(tags: ReadonlyArray<{ name: string | undefined; value: string | undefined }>): Map<string, string> {
  return new Map(tags.flatMap(({ name, value }) => (name && value !== undefined ? [[name, value] as const] : [])));
}
