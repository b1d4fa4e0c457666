/**
 * Local SES: aws-ses-v2-local (serves the SES v1 and v2 APIs and keeps every email sent) behind a
 * thin front that can inject SES faults (throttling, 5xx) and journals each email sent.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { close, listen, readBody } from "./aws-json.ts";
import { parseForm, sendQueryError } from "./aws-query.ts";
import type { FaultInjector } from "./dynamodb/faults.ts";
import type { Journal } from "./journal.ts";

/** An email as aws-ses-v2-local stores it. */
export interface SentEmail {
  readonly messageId: string;
  readonly from: string;
  readonly destination: { to: string[]; cc: string[]; bcc: string[] };
  readonly subject: string;
  readonly body: { html?: string; text?: string };
  /** Epoch seconds. */
  readonly at: number;
}

export interface LocalSesOptions {
  readonly journal?: Journal;
  readonly faults?: FaultInjector;
  readonly host?: string;
}

export class LocalSes {
  private upstream: Server | undefined;
  private front: Server | undefined;
  private upstreamUrl = "";
  endpoint = "";

  constructor(private readonly options: LocalSesOptions = {}) {}

  async start(): Promise<string> {
    const host = this.options.host ?? "127.0.0.1";
    const module = (await import("aws-ses-v2-local")) as unknown as { default: ((config: object) => Promise<Server>) | { default: (config: object) => Promise<Server> } };
    const start = typeof module.default === "function" ? module.default : module.default.default;
    this.upstream = await start({ host, port: 0 });
    this.upstreamUrl = `http://${host}:${(this.upstream.address() as AddressInfo).port}`;
    this.front = createServer((req, res) => {
      void readBody(req).then(async (body) => {
        const form = parseForm(body.toString("utf8"));
        const action = form.get("Action") ?? req.headers["x-amz-target"]?.toString() ?? req.url ?? "";
        const fault = this.options.faults?.decide(action, Object.fromEntries(form));
        if (fault) return sendQueryError(res, fault);
        const answer = await fetch(`${this.upstreamUrl}${req.url ?? "/"}`, {
          method: req.method ?? "POST",
          headers: {
            "content-type": req.headers["content-type"] ?? "application/x-www-form-urlencoded",
            // aws-ses-v2-local refuses unsigned requests (403, a JSON body the SDK cannot parse).
            ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
          },
          ...(req.method === "GET" || req.method === "HEAD" ? {} : { body }),
        });
        const text = await answer.text();
        res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "text/xml" });
        res.end(text);
        if (answer.ok && (action === "SendEmail" || action === "SendRawEmail")) {
          const to = [...form].filter(([key]) => key.startsWith("Destination.ToAddresses.member.")).map(([, value]) => value);
          this.options.journal?.record({ kind: "effect.email", to, subject: form.get("Message.Subject.Data") ?? "" });
        }
      });
    });
    this.endpoint = await listen(this.front, host);
    return this.endpoint;
  }

  /** Every email sent since `sinceEpochSeconds` (all when omitted). */
  async emails(sinceEpochSeconds?: number): Promise<SentEmail[]> {
    const query = sinceEpochSeconds === undefined ? "" : `?since=${Math.floor(sinceEpochSeconds)}`;
    const answer = await fetch(`${this.upstreamUrl}/store${query}`);
    return ((await answer.json()) as { emails: SentEmail[] }).emails;
  }

  async clear(): Promise<void> {
    await fetch(`${this.upstreamUrl}/clear-store`, { method: "POST" });
  }

  async stop(): Promise<void> {
    await close(this.front);
    await close(this.upstream);
  }
}
