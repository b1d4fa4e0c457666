/**
 * Local SES (v1 and v2): a front that checks every request as SES does — verified identities
 * declared once in `stacks/stages.ts`, an optional sandbox that refuses unverified recipients, message
 * tags — answers the read operations clients call (ListIdentities, GetIdentityVerificationAttributes,
 * GetSendQuota, GetAccount, ListEmailIdentities…), and passes accepted sends to aws-ses-v2-local,
 * which keeps every email sent. Every other operation is answered at once with an AWS-shaped error:
 * aws-ses-v2-local never answers actions it does not know, so nothing unknown may reach it.
 *
 * Sends (the hot path: one per notification) call aws-ses-v2-local's own send handlers in this
 * process and read its store directly, rather than over HTTP (a request to it, then one to its
 * `/store`); template operations still reach its server. The gateway hands requests to
 * {@link LocalSes.answer} with their body read; the front port serves clients that call it directly.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AnswerSink } from "./answer-sink.ts";
import type { RequestHead } from "./gateway-routing.ts";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { stages } from "../stacks/stages.ts";
import { emailIdentitiesOf, resolveStage } from "../stacks/stage-config.ts";
import { close, listen, readBody } from "./aws-json.ts";
import { asAwsError, writeQueryError, writeRestError } from "./aws-error.ts";
import { parseForm } from "./aws-query.ts";
import type { SesAnswer, SesContext } from "./ses/context.ts";
import type { FaultInjector } from "./faults.ts";
import { isUnverifiable, SesError, SesIdentities } from "./ses/identities.ts";
import { handleV1 } from "./ses/v1.ts";
import { handleV2 } from "./ses/v2.ts";
import type { Journal } from "./journal.ts";
import { JsonLinesLog } from "./jsonl-log.ts";
import { guardLoopbackHost } from "./loopback.ts";
import { EXECUTION_TAG, STRIPE_EVENT_TAG } from "../functions/common/send-tags.ts";

export { SesError, isUnverifiable } from "./ses/identities.ts";

/** How long a send may take in aws-ses-v2-local before the request fails (it never should). */
const UPSTREAM_TIMEOUT_MS = 15_000;
const DAY_MS = 86_400_000;

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
  readonly region?: string;
  /**
   * Verified identities (addresses and domains). Default: those `stacks/stages.ts` declares for
   * the `default` stage — the same the stacks create.
   */
  readonly identities?: readonly string[];
  /** Refuse unverified recipients, as a new account in the SES sandbox does. Default: false. */
  readonly sandbox?: boolean;
  /**
   * File where every email sent is recorded (JSON Lines), so that the outbox survives a restart;
   * without it, emails live as long as the process.
   */
  readonly stateFile?: string;
}

/** The SES identities of a stage as `stacks/stages.ts` declares them (the stacks create the same). */
export function declaredEmailIdentities(stage = "default"): string[] {
  return emailIdentitiesOf(resolveStage(stage, stages));
}

/**
 * What a developer should know about the declared identities before deploying: every one is
 * verified here at once but sends in AWS only once verified, and a reserved domain (example.com)
 * never can be.
 */
export function identityWarnings(identities: readonly string[], stage = "default"): string[] {
  return identities.map((identity) =>
    isUnverifiable(identity)
      ? `SES: "${identity}" (stacks/stages.ts, stage "${stage}") is treated as a verified sender here, but AWS refuses to send from it ` +
        `(MessageRejected: Email address is not verified) until it is verified — and ${identity} is a reserved domain nobody can verify. ` +
        "Set emailFrom and emailIdentity to an address or domain you own, deploy, then verify it (docs/deploy.md, \"SES identities and the sandbox\")."
      : `SES: "${identity}" (stacks/stages.ts, stage "${stage}") is treated as verified here; in AWS it sends only once verified ` +
        "(its DKIM records published, or the link in AWS's email opened): docs/deploy.md, \"SES identities and the sandbox\".",
  );
}

/** An express handler of aws-ses-v2-local: it reads `req.body` and answers with `res.status(…).send(…)`, nothing else. */
type UpstreamHandler = (req: { body: unknown }, res: UpstreamResponse, next: () => void) => unknown;
interface UpstreamResponse {
  status(code: number): UpstreamResponse;
  send(payload: unknown): UpstreamResponse;
}

/**
 * aws-ses-v2-local's server, its store (one per process, shared by every server it starts) and its
 * send handlers. Each is required when first needed: the whole package costs ~0.45 s of CPU to load
 * (express for its server, mailparser for raw and v2 sends, nodemailer), and most runtimes only ever
 * send v1 `SendEmail`s, which need the store and that one handler. The server is there for the few
 * requests this front passes on (v2 templates and account).
 */
interface Upstream {
  start(config: object): Promise<Server>;
  store(): { readonly emails: readonly SentEmail[] };
  clearStore(): void;
  /** The handler of a send, by v1 `Action` or v2 path; undefined for anything else. */
  send(v2: boolean, route: string): UpstreamHandler | undefined;
}

/** Its send handlers' modules (under `aws-ses-v2-local/dist/`), by v1 `Action` and v2 path: the routes its server gives them. */
const SEND_HANDLERS = {
  v1: new Map([
    ["SendEmail", "v1/sendEmail"],
    ["SendRawEmail", "v1/sendRawEmail"],
  ]),
  v2: new Map([
    ["/v2/email/outbound-emails", "v2/sendEmail"],
    ["/v2/email/outbound-bulk-emails", "v2/sendBulkEmail"],
  ]),
};

let upstreamModules: Upstream | undefined;

/**
 * Empties aws-ses-v2-local's store in this thread (emails and templates), as if no runtime of this
 * thread had sent any: for test files that share a thread's modules (test/support/runtime-file.ts).
 */
export function emptyEmailStore(): void {
  upstreamModulesOf().clearStore();
}

/** aws-ses-v2-local's modules, through one `require` (node's cache), so the server and the handlers share its store. */
function upstreamModulesOf(): Upstream {
  if (upstreamModules) return upstreamModules;
  const require = createRequire(import.meta.url);
  const store = () => require("aws-ses-v2-local/dist/store.js") as { getStoreReadonly(): { emails: SentEmail[] }; clearStore(): void };
  upstreamModules = {
    start: (config) => (require("aws-ses-v2-local") as { default: (config: object) => Promise<Server> }).default(config),
    store: () => store().getStoreReadonly(),
    clearStore: () => store().clearStore(),
    send: (v2, route) => {
      const path = (v2 ? SEND_HANDLERS.v2 : SEND_HANDLERS.v1).get(route);
      return path === undefined ? undefined : (require(`aws-ses-v2-local/dist/${path}.js`) as { default: UpstreamHandler }).default;
    },
  };
  return upstreamModules;
}

/** Runs one of aws-ses-v2-local's handlers on a parsed body; resolves with the status and payload it sent. */
function runUpstreamHandler(handler: UpstreamHandler, body: unknown): Promise<{ status: number; payload: unknown }> {
  return new Promise((resolve, reject) => {
    let status = 200;
    const timer = setTimeout(() => reject(new Error(`aws-ses-v2-local did not answer within ${UPSTREAM_TIMEOUT_MS / 1000} s`)), UPSTREAM_TIMEOUT_MS);
    const res: UpstreamResponse = {
      status(code) {
        status = code;
        return res;
      },
      send(payload) {
        clearTimeout(timer);
        resolve({ status, payload });
        return res;
      },
    };
    const fail = (error: unknown) => {
      clearTimeout(timer);
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    try {
      const result = handler({ body }, res, () => fail(new Error("aws-ses-v2-local passed the request on")));
      if (result instanceof Promise) result.catch(fail);
    } catch (error) {
      fail(error);
    }
  });
}

/** The MessageId of a send's answer: `<MessageId>` in v1's XML, `MessageId` in v2's JSON. */
function messageIdOf(reply: string, v2: boolean): string | undefined {
  if (!v2) return /<MessageId>([^<]+)<\/MessageId>/.exec(reply)?.[1];
  try {
    const id = (JSON.parse(reply) as { MessageId?: unknown }).MessageId;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

/** aws-ses-v2-local's refusal as SES's: its `detail` (else `message`) without its name, a 4xx/5xx kept. */
function upstreamRefusal(text: string, status: number, v2: boolean): SesError {
  let reason = text;
  let type = v2 ? "BadRequestException" : "InvalidParameterValue";
  try {
    const parsed = JSON.parse(text) as { type?: string; message?: string; detail?: string };
    reason = parsed.detail ?? parsed.message ?? text;
    if (parsed.type) type = parsed.type;
  } catch {
    // not JSON: keep the text
  }
  return new SesError(type, reason.replace(/^aws-ses-v2-local: /, ""), status >= 500 ? 500 : status === 404 ? 404 : 400);
}

export class LocalSes {
  /** aws-ses-v2-local's server, started by the first request passed on to it. */
  private upstream: Promise<Server> | undefined;
  private stopped = false;
  private front: Server | undefined;
  private readonly sent: number[] = [];
  readonly identities: SesIdentities;
  endpoint = "";
  private readonly saved: JsonLinesLog<SentEmail>;
  // Emails sent before this start (aws-ses-v2-local keeps only those sent since).
  private earlier: SentEmail[];
  private readonly savedIds = new Set<string>();
  // How far the store's list of emails was read for saving (the store replaces the list when cleared).
  private scannedList: readonly SentEmail[] | undefined;
  private scanned = 0;

  constructor(private readonly options: LocalSesOptions = {}) {
    this.saved = new JsonLinesLog(options.stateFile);
    this.earlier = this.saved.read();
    for (const email of this.earlier) this.savedIds.add(email.messageId);
    this.identities = new SesIdentities({
      identities: options.identities ?? declaredEmailIdentities(),
      sandbox: options.sandbox ?? false,
      region: options.region ?? "us-east-1",
    });
  }

  async start(): Promise<string> {
    this.front = createServer((req, res) => void this.serve(req, res));
    this.endpoint = await listen(this.front, this.host);
    return this.endpoint;
  }

  private get host(): string {
    return this.options.host ?? "127.0.0.1";
  }

  /** The URL of aws-ses-v2-local's server, started on first use (it is only for requests passed on); a failed start is tried again by the next request. */
  private async upstreamUrl(): Promise<string> {
    // A request still being answered as the runtime stops must not start a server nothing would close.
    if (this.stopped) throw new Error("the local SES has stopped");
    this.upstream ??= upstreamModulesOf()
      .start({ host: this.host, port: 0 })
      .then(
        (server) => {
          // Its port is on loopback too: refuse a rebinding page there as well.
          guardLoopbackHost(server);
          return server;
        },
        (error: unknown) => {
          this.upstream = undefined;
          throw error;
        },
      );
    return `http://${this.host}:${((await this.upstream).address() as AddressInfo).port}`;
  }

  /** Answers one SES request (v1 or v2) arriving on the front port; never throws, never leaves a request unanswered. */
  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://local");
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (error) {
      return this.fail(res, url.pathname.startsWith("/v2/"), error);
    }
    return this.answer(req, url, body, res);
  }

  /** Answers one SES request whose body was read already (the gateway's); never throws, never leaves a request unanswered. */
  async answer(req: RequestHead, url: URL, body: Buffer, res: AnswerSink): Promise<void> {
    const v2 = url.pathname.startsWith("/v2/");
    try {
      const context: SesContext = { identities: this.identities, sentLast24Hours: () => this.sentSince(Date.now() - DAY_MS) };
      let answer: SesAnswer;
      let input: unknown;
      let form: Map<string, string> | undefined;
      if (v2) {
        const operation = url.pathname === "/v2/email/outbound-emails" ? "SendEmail" : url.pathname === "/v2/email/outbound-bulk-emails" ? "SendBulkEmail" : url.pathname;
        const fault = this.options.faults?.decide(operation, {});
        if (fault) return this.fail(res, v2, new SesError(fault.code, fault.message, fault.status));
        try {
          input = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
        } catch {
          throw new SesError("BadRequestException", "The request body is not valid JSON.");
        }
        answer = handleV2(req.method ?? "GET", url.pathname, url.searchParams, input, context);
      } else {
        form = parseForm(body.toString("utf8"));
        const fault = this.options.faults?.decide(form.get("Action") ?? "", Object.fromEntries(form));
        if (fault) return this.fail(res, v2, new SesError(fault.code, fault.message, fault.status));
        answer = handleV1(form, context);
      }
      if (answer.kind === "reply") {
        res.writeHead(answer.status, { "content-type": answer.contentType });
        return void res.end(answer.body);
      }
      const upstream = upstreamModulesOf();
      const send = v2 ? (req.method === "POST" ? upstream.send(true, url.pathname) : undefined) : url.pathname === "/" ? upstream.send(false, form?.get("Action") ?? "") : undefined;
      const reply = send
        ? await this.sendHere(send, v2 ? input : Object.fromEntries(form!), v2, res, answer.email !== undefined)
        : await this.forward(req, url, body, v2, res, answer.email !== undefined);
      if (res.statusCode === 200 && answer.email) {
        this.sent.push(Date.now());
        const { to, subject, tags } = answer.email;
        const cause = { stripeEventId: tags?.get(STRIPE_EVENT_TAG), executionName: tags?.get(EXECUTION_TAG) };
        this.options.journal?.record({
          kind: "effect.email",
          to,
          subject,
          messageId: messageIdOf(reply, v2),
          ...(cause.stripeEventId || cause.executionName ? { cause } : {}),
        });
      }
    } catch (error) {
      this.fail(res, v2, error);
    }
  }

  /** Sends with aws-ses-v2-local's own handler, in this process, and answers as {@link forward} relays its answer; returns the answer's text. */
  private async sendHere(handler: UpstreamHandler, input: unknown, v2: boolean, res: AnswerSink, isSend: boolean): Promise<string> {
    const { status, payload } = await runUpstreamHandler(handler, input);
    const text = typeof payload === "string" ? payload : JSON.stringify(payload);
    if (status >= 200 && status < 300) {
      // Recorded before the caller hears of it: an email that was sent is never missing after a restart.
      if (isSend && this.options.stateFile) this.saveNewEmails();
      res.writeHead(200, { "content-type": v2 ? "application/json" : "text/xml" });
      res.end(text);
      return text;
    }
    throw upstreamRefusal(text, status, v2);
  }

  /** Passes an accepted request to aws-ses-v2-local and relays its answer (its errors made AWS-shaped); returns the answer's text. */
  private async forward(req: RequestHead, url: URL, body: Buffer, v2: boolean, res: AnswerSink, isSend = false): Promise<string> {
    const answer = await fetch(`${await this.upstreamUrl()}${url.pathname}${url.search}`, {
      method: req.method ?? "POST",
      headers: {
        "content-type": req.headers["content-type"] ?? (v2 ? "application/json" : "application/x-www-form-urlencoded"),
        // aws-ses-v2-local refuses unsigned requests.
        authorization: req.headers.authorization ?? "AWS4-HMAC-SHA256 Credential=local",
      },
      ...(req.method === "GET" || req.method === "HEAD" ? {} : { body }),
      signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
    });
    const text = await answer.text();
    if (answer.ok) {
      // Recorded before the caller hears of it: an email that was sent is never missing after a restart.
      if (isSend && this.options.stateFile) this.saveNewEmails();
      res.writeHead(200, { "content-type": answer.headers.get("content-type") ?? (v2 ? "application/json" : "text/xml") });
      res.end(text);
      return text;
    }
    throw upstreamRefusal(text, answer.status, v2);
  }

  private fail(res: AnswerSink, v2: boolean, error: unknown): void {
    // Only SES's own refusals keep their code; anything else is a bug of this front (500).
    const aws = error instanceof SesError ? error : asAwsError(new Error((error as Error)?.message ?? String(error)), "SES");
    if (v2) writeRestError(res, aws);
    else writeQueryError(res, aws);
  }

  private sentSince(epochMs: number): number {
    while (this.sent.length > 0 && this.sent[0]! < epochMs) this.sent.shift();
    return this.sent.length;
  }

  /** Every email sent since `sinceEpochSeconds` (all when omitted), those of earlier runs on the same state file first. */
  async emails(sinceEpochSeconds?: number): Promise<SentEmail[]> {
    const since = Math.floor(sinceEpochSeconds ?? 0);
    // Copies, as its `/store` answered them (JSON: fields left undefined are absent).
    const current = JSON.parse(JSON.stringify(upstreamModulesOf().store().emails.filter((email) => sinceEpochSeconds === undefined || email.at >= since))) as SentEmail[];
    const earlier = this.earlier.filter((email) => email.at >= since);
    // aws-ses-v2-local keeps its store per process: in one process, a restarted runtime sees them twice.
    const known = new Set(earlier.map((email) => email.messageId));
    return [...earlier, ...current.filter((email) => !known.has(email.messageId))];
  }

  async clear(): Promise<void> {
    this.sent.length = 0;
    upstreamModulesOf().clearStore();
    this.saved.clear();
    this.savedIds.clear();
    this.earlier = [];
    this.scannedList = undefined;
    this.scanned = 0;
  }

  /** Appends to the outbox every email the store holds that was not saved yet (the store only grows, until cleared). */
  private saveNewEmails(): void {
    const emails = upstreamModulesOf().store().emails;
    if (emails !== this.scannedList) {
      this.scannedList = emails;
      this.scanned = 0;
    }
    for (; this.scanned < emails.length; this.scanned++) {
      const email = emails[this.scanned]!;
      if (this.savedIds.has(email.messageId)) continue;
      this.savedIds.add(email.messageId);
      this.saved.append(email);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await close(this.front);
    // A server still starting is closed once started; one that failed to start has nothing to close.
    await close(await this.upstream?.catch(() => undefined));
    this.saved.close();
  }
}
