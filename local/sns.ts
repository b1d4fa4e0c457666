/**
 * Local SNS mobile push: platform applications, platform endpoints and `Publish` to an endpoint
 * ARN, recorded in an outbox. No emulator covers platform endpoints, so this one is ours; it speaks
 * the AWS Query protocol so the real `@aws-sdk/client-sns` works unchanged. Validation and errors
 * follow the SNS API reference (see `sns/platform.ts`); every other action is answered at once with
 * an AWS-shaped `InvalidAction` error.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AnswerSink } from "./answer-sink.ts";
import { close, listen, readBody } from "./aws-json.ts";
import { asAwsError, faultError, writeQueryError } from "./aws-error.ts";
import { parseForm, sendQueryResult, xmlEscape } from "./aws-query.ts";
import type { FaultInjector } from "./faults.ts";
import type { Journal } from "./journal.ts";
import { SnsState } from "./sns/state.ts";
import { PushRegistry, SnsError, type PlatformEndpoint } from "./sns/platform.ts";

export { SnsError, PUSH_PLATFORMS } from "./sns/platform.ts";

const NAMESPACE = "http://sns.amazonaws.com/doc/2010-03-31/";
/** The platform credential of the applications {@link LocalSns.createEndpoint} creates for demos and tests. */
const LOCAL_CREDENTIAL = "local-placeholder-credential";

export interface PushRecord {
  readonly messageId: string;
  readonly targetArn: string;
  /** The message as published (for `MessageStructure: json`, the per-platform JSON object). */
  readonly message: unknown;
  readonly messageStructure?: string | undefined;
  readonly at: string;
}

export interface LocalSnsOptions {
  readonly region: string;
  readonly accountId: string;
  readonly journal?: Journal;
  readonly faults?: FaultInjector;
  readonly host?: string;
  readonly port?: number;
  /**
   * Directory where applications, endpoints (`registry.json`) and the outbox (`outbox.jsonl`) are
   * kept, so that they survive a restart; without it they live as long as the process.
   */
  readonly stateDir?: string;
}

/** A title for the journal, read from the usual GCM/APNS payload shapes when present. */
function pushTitle(message: unknown): string | undefined {
  const m = message as Record<string, unknown> | undefined;
  for (const key of ["GCM", "APNS", "APNS_SANDBOX", "default"]) {
    const raw = m?.[key];
    if (typeof raw !== "string") continue;
    try {
      const payload = JSON.parse(raw) as { notification?: { title?: string }; aps?: { alert?: { title?: string } } };
      const title = payload.notification?.title ?? payload.aps?.alert?.title;
      if (title) return title;
    } catch {
      return raw.slice(0, 80);
    }
  }
  return undefined;
}

/** `Attributes.entry.N.key` / `.value` pairs of a query request, or undefined when none is sent. */
export function formMap(form: Map<string, string>, prefix: string): Record<string, string> | undefined {
  const map: Record<string, string> = {};
  let found = false;
  for (const [key, value] of form) {
    const match = key.startsWith(`${prefix}.entry.`) && /^(\d+)\.key$/.exec(key.slice(prefix.length + 7));
    if (!match) continue;
    found = true;
    map[value] = form.get(`${prefix}.entry.${match[1]}.value`) ?? "";
  }
  return found ? map : undefined;
}

function attributesXml(attributes: Record<string, string>): string {
  const entries = Object.entries(attributes)
    .map(([key, value]) => `<entry><key>${xmlEscape(key)}</key><value>${xmlEscape(value)}</value></entry>`)
    .join("");
  return `<Attributes>${entries}</Attributes>`;
}

function endpointXml(endpoint: PlatformEndpoint): string {
  return `<member><EndpointArn>${xmlEscape(endpoint.arn)}</EndpointArn>${attributesXml(endpoint.attributes)}</member>`;
}

export class LocalSns {
  readonly outbox: PushRecord[] = [];
  readonly registry: PushRegistry;
  private server: Server | undefined;
  endpoint = "";

  private readonly state: SnsState;

  constructor(private readonly options: LocalSnsOptions) {
    this.registry = new PushRegistry(options.region, options.accountId);
    this.state = new SnsState(options.stateDir);
    const saved = this.state.load();
    if (saved.registry) this.registry.restore(saved.registry);
    this.outbox.push(...saved.outbox);
  }

  /**
   * Registers a device directly (demo data, tests): creates the GCM application `application` if
   * needed, then the endpoint for `token` — the same ARN again for a token already registered, or
   * `knownArn` (a device registered before a restart; the registry lives in memory).
   */
  createEndpoint(application: string, token: string, enabled = true, knownArn?: string): string {
    const applicationArn = this.registry.applicationArn("GCM", application);
    const app = this.registry.listApplications().find((candidate) => candidate.arn === applicationArn)
      ?? this.registry.createApplication(application, "GCM", { PlatformCredential: LOCAL_CREDENTIAL });
    const existing = this.registry.findByToken(app.arn, token);
    const endpoint = existing ?? this.registry.createEndpoint(app.arn, token, undefined, {}, knownArn);
    this.registry.setEndpointAttributes(endpoint.arn, { Enabled: String(enabled) });
    this.state.saveRegistry(this.registry);
    return endpoint.arn;
  }

  /**
   * Enables or disables an endpoint, as SNS does when the platform reports the token invalid.
   *
   * @throws SnsError `NotFound` when the endpoint does not exist.
   */
  setEnabled(arn: string, enabled: boolean): void {
    this.registry.setEndpointAttributes(arn, { Enabled: String(enabled) });
    this.state.saveRegistry(this.registry);
  }

  /** Whether an endpoint exists (not deleted). */
  hasEndpoint(arn: string): boolean {
    return this.registry.findEndpoint(arn) !== undefined;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.serve(req, res));
    this.endpoint = await listen(this.server, this.options.host ?? "127.0.0.1", this.options.port ?? 0);
    return this.endpoint;
  }

  async stop(): Promise<void> {
    await close(this.server);
    this.state.close();
  }

  /** Answers one query-protocol request; never throws, never leaves a request without an answer. */
  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (error) {
      return writeQueryError(res, asAwsError(error, "SNS", "InternalError"));
    }
    this.answer(body, res);
  }

  /** Answers one query-protocol request whose body was read already (the gateway's); never throws. */
  answer(body: Buffer, res: AnswerSink): void {
    try {
      this.handle(parseForm(body.toString("utf8")), res);
    } catch (error) {
      // SNS names its own failures InternalError (not the JSON services' InternalFailure).
      writeQueryError(res, asAwsError(error, "SNS", "InternalError"));
    }
  }

  private handle(form: Map<string, string>, res: AnswerSink): void {
    const action = form.get("Action") ?? "";
    const fault = this.options.faults?.decide(action, Object.fromEntries(form));
    if (fault) return writeQueryError(res, faultError(fault));
    const reply = (xml: string) => sendQueryResult(res, action, xml, NAMESPACE);
    const registry = this.registry;
    switch (action) {
      case "CreatePlatformApplication": {
        const application = registry.createApplication(form.get("Name"), form.get("Platform"), formMap(form, "Attributes"));
        this.state.saveRegistry(registry);
        return reply(`<PlatformApplicationArn>${xmlEscape(application.arn)}</PlatformApplicationArn>`);
      }
      case "GetPlatformApplicationAttributes":
        return reply(attributesXml(registry.application(form.get("PlatformApplicationArn")).attributes));
      case "ListPlatformApplications": {
        const members = registry
          .listApplications()
          .map((app) => `<member><PlatformApplicationArn>${xmlEscape(app.arn)}</PlatformApplicationArn>${attributesXml(app.attributes)}</member>`)
          .join("");
        return reply(`<PlatformApplications>${members}</PlatformApplications>`);
      }
      case "DeletePlatformApplication":
        registry.deleteApplication(form.get("PlatformApplicationArn"));
        this.state.saveRegistry(registry);
        return reply("");
      case "CreatePlatformEndpoint": {
        const endpoint = registry.createEndpoint(form.get("PlatformApplicationArn"), form.get("Token"), form.get("CustomUserData"), formMap(form, "Attributes"));
        this.state.saveRegistry(registry);
        return reply(`<EndpointArn>${xmlEscape(endpoint.arn)}</EndpointArn>`);
      }
      case "GetEndpointAttributes":
        return reply(attributesXml(registry.endpoint(form.get("EndpointArn")).attributes));
      case "SetEndpointAttributes":
        registry.setEndpointAttributes(form.get("EndpointArn"), formMap(form, "Attributes"));
        this.state.saveRegistry(registry);
        return reply("");
      case "DeleteEndpoint":
        registry.deleteEndpoint(form.get("EndpointArn"));
        this.state.saveRegistry(registry);
        return reply("");
      case "ListEndpointsByPlatformApplication": {
        const page = registry.listEndpoints(form.get("PlatformApplicationArn"), form.get("NextToken"));
        const next = page.nextToken ? `<NextToken>${page.nextToken}</NextToken>` : "";
        return reply(`<Endpoints>${page.endpoints.map(endpointXml).join("")}</Endpoints>${next}`);
      }
      case "Publish":
        return this.publish(form, res);
      default:
        throw new SnsError(
          "InvalidAction",
          action === ""
            ? "The request names no Action."
            : `The action ${action} is not valid for the local SNS, which emulates mobile push only (platform applications, endpoints, Publish to an endpoint).`,
        );
    }
  }

  private publish(form: Map<string, string>, res: AnswerSink): void {
    const targetArn = form.get("TargetArn");
    if (targetArn === undefined) {
      // Topics and SMS are not emulated: no topic exists here, as none can be created.
      if (form.has("TopicArn")) throw new SnsError("NotFound", "Topic does not exist", 404);
      if (form.has("PhoneNumber")) throw new SnsError("InvalidParameter", "Invalid parameter: PhoneNumber Reason: the local SNS emulates mobile push only and sends no SMS");
      throw new SnsError("InvalidParameter", "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter");
    }
    if (!form.has("Message")) {
      throw new SnsError("ValidationError", "1 validation error detected: Value null at 'message' failed to satisfy constraint: Member must not be null");
    }
    const endpoint = this.registry.findEndpoint(targetArn);
    if (!endpoint) {
      throw new SnsError("InvalidParameter", "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified");
    }
    if (endpoint.attributes.Enabled !== "true") {
      this.options.journal?.record({ kind: "effect.push", targetArn, status: "endpoint-disabled" });
      throw new SnsError("EndpointDisabled", "Endpoint is disabled");
    }
    const raw = form.get("Message") ?? "";
    const structure = form.get("MessageStructure");
    let message: unknown = raw;
    if (structure === "json") {
      try {
        message = JSON.parse(raw);
      } catch {
        throw new SnsError("InvalidParameter", "Invalid parameter: Message Structure - JSON message body failed to parse");
      }
    }
    const record: PushRecord = { messageId: randomUUID(), targetArn, message, messageStructure: structure, at: new Date().toISOString() };
    // Recorded before the caller hears of it: a push that was sent is never missing after a restart.
    this.state.savePush(record);
    this.outbox.push(record);
    this.options.journal?.record({ kind: "effect.push", targetArn, title: pushTitle(message), status: "delivered", messageId: record.messageId });
    sendQueryResult(res, "Publish", `<MessageId>${record.messageId}</MessageId>`, NAMESPACE);
  }
}
