/**
 * Local SNS mobile push: platform applications, platform endpoints and `Publish` to an endpoint
 * ARN, recorded in an outbox. No emulator covers platform endpoints, so this one is ours; it speaks
 * the AWS Query protocol so the real `@aws-sdk/client-sns` works unchanged.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { close, listen, readBody } from "./aws-json.ts";
import { parseForm, sendQueryError, sendQueryResult, xmlEscape } from "./aws-query.ts";
import type { FaultInjector } from "./dynamodb/faults.ts";
import type { Journal } from "./journal.ts";

const NAMESPACE = "http://sns.amazonaws.com/doc/2010-03-31/";

export interface PushRecord {
  readonly messageId: string;
  readonly targetArn: string;
  /** The message as published (for `MessageStructure: json`, the per-platform JSON object). */
  readonly message: unknown;
  readonly messageStructure?: string | undefined;
  readonly at: string;
}

interface Endpoint {
  arn: string;
  token: string;
  enabled: boolean;
  customUserData?: string | undefined;
}

export interface LocalSnsOptions {
  readonly region: string;
  readonly accountId: string;
  readonly journal?: Journal;
  readonly faults?: FaultInjector;
  readonly host?: string;
  readonly port?: number;
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

export class LocalSns {
  readonly outbox: PushRecord[] = [];
  private readonly endpoints = new Map<string, Endpoint>();
  private server: Server | undefined;
  endpoint = "";

  constructor(private readonly options: LocalSnsOptions) {}

  /** Registers a device endpoint directly (demo data, tests); returns its ARN. */
  createEndpoint(application: string, token: string, enabled = true): string {
    const arn = `arn:aws:sns:${this.options.region}:${this.options.accountId}:endpoint/GCM/${application}/${randomUUID()}`;
    this.endpoints.set(arn, { arn, token, enabled });
    return arn;
  }

  /** Enables or disables an endpoint, as SNS does when the platform reports the token invalid. */
  setEnabled(arn: string, enabled: boolean): void {
    const endpoint = this.endpoints.get(arn);
    if (endpoint) endpoint.enabled = enabled;
    else this.endpoints.set(arn, { arn, token: "unknown", enabled });
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void readBody(req).then((body) => this.handle(parseForm(body.toString("utf8")), res));
    });
    this.endpoint = await listen(this.server, this.options.host ?? "127.0.0.1", this.options.port ?? 0);
    return this.endpoint;
  }

  async stop(): Promise<void> {
    await close(this.server);
  }

  private handle(form: Map<string, string>, res: import("node:http").ServerResponse): void {
    const action = form.get("Action") ?? "";
    const fault = this.options.faults?.decide(action, Object.fromEntries(form));
    if (fault) return sendQueryError(res, fault);
    switch (action) {
      case "CreatePlatformApplication": {
        const name = form.get("Name") ?? "app";
        const platform = form.get("Platform") ?? "GCM";
        const arn = `arn:aws:sns:${this.options.region}:${this.options.accountId}:app/${platform}/${name}`;
        return sendQueryResult(res, action, `<PlatformApplicationArn>${arn}</PlatformApplicationArn>`, NAMESPACE);
      }
      case "CreatePlatformEndpoint": {
        const app = (form.get("PlatformApplicationArn") ?? "").split("/").pop() ?? "app";
        const arn = this.createEndpoint(app, form.get("Token") ?? "");
        return sendQueryResult(res, action, `<EndpointArn>${arn}</EndpointArn>`, NAMESPACE);
      }
      case "GetEndpointAttributes": {
        const endpoint = this.endpoints.get(form.get("EndpointArn") ?? "");
        if (!endpoint) return sendQueryError(res, { code: "NotFound", message: "Endpoint does not exist", status: 404 });
        const entries = [
          ["Enabled", String(endpoint.enabled)],
          ["Token", endpoint.token],
        ]
          .map(([k, v]) => `<entry><key>${k}</key><value>${xmlEscape(v!)}</value></entry>`)
          .join("");
        return sendQueryResult(res, action, `<Attributes>${entries}</Attributes>`, NAMESPACE);
      }
      case "SetEndpointAttributes": {
        const arn = form.get("EndpointArn") ?? "";
        for (const [key, value] of form) {
          if (key.endsWith(".key") && value === "Enabled") this.setEnabled(arn, form.get(key.replace(/key$/, "value")) === "true");
        }
        return sendQueryResult(res, action, "", NAMESPACE);
      }
      case "Publish":
        return this.publish(form, res);
      default:
        return sendQueryError(res, { code: "InvalidAction", message: `The local SNS does not support ${action}`, status: 400 });
    }
  }

  private publish(form: Map<string, string>, res: import("node:http").ServerResponse): void {
    const targetArn = form.get("TargetArn") ?? "";
    const endpoint = this.endpoints.get(targetArn);
    if (!endpoint) {
      return sendQueryError(res, { code: "InvalidParameter", message: "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified", status: 400 });
    }
    if (!endpoint.enabled) {
      this.options.journal?.record({ kind: "effect.push", targetArn, status: "endpoint-disabled" });
      return sendQueryError(res, { code: "EndpointDisabled", message: "Endpoint is disabled", status: 400 });
    }
    const raw = form.get("Message") ?? "";
    const structure = form.get("MessageStructure");
    let message: unknown = raw;
    if (structure === "json") {
      try {
        message = JSON.parse(raw);
      } catch {
        return sendQueryError(res, { code: "InvalidParameter", message: "Invalid parameter: Message Structure - JSON message body failed to parse", status: 400 });
      }
    }
    const record: PushRecord = { messageId: randomUUID(), targetArn, message, messageStructure: structure, at: new Date().toISOString() };
    this.outbox.push(record);
    this.options.journal?.record({ kind: "effect.push", targetArn, title: pushTitle(message), status: "delivered" });
    sendQueryResult(res, "Publish", `<MessageId>${record.messageId}</MessageId>`, NAMESPACE);
  }
}
