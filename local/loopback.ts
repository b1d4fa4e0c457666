/**
 * Loopback-only serving: every local listener refuses requests whose `Host` is not a loopback name,
 * so a web page that rebinds its own DNS name to 127.0.0.1 cannot reach the runtime's engines; and
 * the gateway's same-origin checks for requests that come from a browser.
 */
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from "node:http";

/**
 * True when a `Host` header names this machine: `localhost` (and `*.localhost`, which resolvers
 * and browsers keep on loopback), an address in 127.0.0.0/8, or `[::1]`, with any port. Anything else
 * may be a DNS-rebinding page that resolved its own name to 127.0.0.1.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  // Every request asks, and a runtime's clients name the same few hosts: each is judged once.
  const known = judgedHosts.get(host);
  if (known !== undefined) return known;
  const loopback = judgeHost(host);
  // Bounded: a stream of made-up names must not grow it without end.
  if (judgedHosts.size >= 256) judgedHosts.clear();
  judgedHosts.set(host, loopback);
  return loopback;
}

/** `Host` values already judged by {@link isLoopbackHost}. */
const judgedHosts = new Map<string, boolean>();

function judgeHost(host: string): boolean {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(host.trim());
  if (!match) return false;
  const [, v6, name] = match;
  if (v6 !== undefined) return v6 === "::1" || v6 === "0:0:0:0:0:0:0:1";
  const lower = name!.toLowerCase().replace(/\.$/, "");
  if (lower === "localhost" || lower.endsWith(".localhost")) return true;
  const octets = lower.split(".");
  return octets.length === 4 && octets[0] === "127" && octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255);
}

/**
 * The 403 answer for a request whose `Host` is not a loopback name, in the shape the caller reads (an
 * AWS JSON or query error for SDKs, `{error}` otherwise); `undefined` when the host is a loopback
 * name. For servers that do not use `node:http` (the DynamoDB endpoint's); others call
 * {@link refuseForeignHost}.
 */
export function foreignHostRefusal(
  host: string | undefined,
  headers: { readonly "content-type"?: string | undefined; readonly "x-amz-target"?: string | string[] | undefined },
  url: string | undefined,
): { readonly headers: Record<string, string>; readonly body: string } | undefined {
  if (isLoopbackHost(host)) return undefined;
  const message = `refused: Host "${String(host ?? "").slice(0, 100)}" is not a loopback name; use http://127.0.0.1 or http://localhost`;
  const escaped = message.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const query = String(headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded") || (url ?? "").includes("Action=");
  const [type, body] =
    headers["x-amz-target"] !== undefined
      ? ["application/x-amz-json-1.1", JSON.stringify({ __type: "AccessDeniedException", message })]
      : query
        ? ["text/xml", `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${escaped}</Message></Error></ErrorResponse>`]
        : ["application/json", JSON.stringify({ error: message })];
  return { headers: { "content-type": type, "x-amzn-errortype": "AccessDenied" }, body };
}

/**
 * Answers 403 for a foreign `Host`, in the shape the caller reads (see {@link foreignHostRefusal});
 * returns true when it did.
 */
export function refuseForeignHost(
  req: { readonly headers: IncomingHttpHeaders; readonly url?: string | undefined },
  res: { writeHead(status: number, headers: Record<string, string | number>): unknown; end(body: string): unknown },
): boolean {
  const refusal = foreignHostRefusal(req.headers.host, req.headers, req.url);
  if (!refusal) return false;
  res.writeHead(403, { ...refusal.headers, "content-length": Buffer.byteLength(refusal.body), connection: "close" });
  res.end(refusal.body);
  return true;
}

/** Puts the foreign-`Host` check in front of every request listener the server has. */
export function guardLoopbackHost(server: Server): void {
  const listeners = server.listeners("request") as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (refuseForeignHost(req, res)) return;
    for (const listener of listeners) listener.call(server, req, res);
  });
}

/**
 * Why a browser request comes from another origin, or undefined when it is same-origin or not from a
 * browser. Browsers send `Sec-Fetch-Site` (`same-site` includes another port of the same host, which
 * is another origin) and `Origin` on every POST, form posts included; the CLI and SDKs send neither.
 */
export function crossOriginReason(req: { readonly headers: IncomingHttpHeaders }): string | undefined {
  const site = req.headers["sec-fetch-site"];
  if (typeof site === "string" && site !== "same-origin" && site !== "none") return `Sec-Fetch-Site: ${site}`;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let host: string | undefined;
    try {
      const parsed = new URL(origin);
      host = parsed.protocol === "http:" ? parsed.host : undefined;
    } catch {
      host = undefined;
    }
    if (host === undefined || host.toLowerCase() !== String(req.headers.host ?? "").toLowerCase()) return `Origin: ${origin}`;
  }
  return undefined;
}

/** True for `application/json` (with or without parameters such as `charset`). */
export function isJsonContentType(value: string | undefined): boolean {
  return (value ?? "").split(";")[0]!.trim().toLowerCase() === "application/json";
}
