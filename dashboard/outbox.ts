/**
 * The Outbox view's read model: every email and push the pipeline sent, each tied to what caused it.
 *
 * Every email's cause is a recorded fact: senders tag each send with the Stripe event or the
 * workflow execution behind it (`functions/common/send-tags.ts`), and the local SES records the
 * tags with SES's message id in the journal. An execution names its purchase, and the loyalty
 * ledger names the Stripe event that credited the purchase. Pushes are tied through the message id
 * the notifications consumer records with each send. Recipients are redacted as the Customers view
 * and log lines redact them (`functions/common/redact.ts`): the page never shows an address in
 * clear. Pure: records in, views out.
 */
import { redactEmail } from "../functions/common/redact.ts";
import type { EmailEffect } from "../local/lifecycle.ts";
import type { SentEmail } from "../local/ses.ts";
import type { PushRecord } from "../local/sns.ts";
import type { Cause, EmailView, PushView } from "./protocol.ts";

/** A push send recorded by the notifications consumer. */
export interface NoticeSend {
  readonly messageId: string;
  readonly stripeEventId: string;
}

/** What the outbox reads from an engagement execution: the purchase it is about. */
export interface EngagementExecution {
  readonly name: string;
  readonly input: { readonly purchaseId?: string };
}

export interface OutboxSources {
  /** Emails as SES stored them (with their content), those of earlier runs first. */
  readonly emails: readonly SentEmail[];
  /** The journal's record of each send in this session: message id, cause, time to the millisecond. */
  readonly sends: readonly Pick<EmailEffect, "messageId" | "cause" | "at">[];
  readonly pushes: readonly PushRecord[];
  readonly notices: readonly NoticeSend[];
  readonly executions: readonly EngagementExecution[];
  /** Purchase id -> the Stripe event that credited it (the loyalty ledger). */
  readonly purchaseEvents: ReadonlyMap<string, { readonly eventId: string; readonly eventType: string }>;
  /** Stripe event id -> its type, for the events the stream has seen. */
  readonly eventTypes: ReadonlyMap<string, string>;
}

/** The cause a send recorded, completed with the event's type (and, for a workflow, its purchase's event). */
function causeOf(recorded: EmailEffect["cause"], sources: OutboxSources, executions: ReadonlyMap<string, EngagementExecution["input"]>): Cause | undefined {
  if (recorded?.stripeEventId) return { stripeEventId: recorded.stripeEventId, eventType: sources.eventTypes.get(recorded.stripeEventId), via: "notification" };
  const executionName = recorded?.executionName;
  const purchaseId = executionName ? executions.get(executionName)?.purchaseId : undefined;
  const source = purchaseId ? sources.purchaseEvents.get(purchaseId) : undefined;
  return source && executionName ? { stripeEventId: source.eventId, eventType: source.eventType, via: "workflow", executionName } : undefined;
}

/** Every email with its cause, newest first. */
export function outboxEmails(sources: OutboxSources): EmailView[] {
  const sends = new Map(sources.sends.flatMap((send) => (send.messageId ? [[send.messageId, send] as const] : [])));
  const executions = new Map(sources.executions.map((execution) => [execution.name, execution.input]));
  const views = sources.emails.map((email): EmailView => {
    const send = sends.get(email.messageId);
    return {
      messageId: email.messageId,
      to: email.destination.to.map(redactEmail),
      subject: email.subject,
      // The store keeps whole seconds; the journal knows the millisecond.
      at: send?.at ?? new Date(email.at * 1000).toISOString(),
      hasHtml: typeof email.body.html === "string",
      cause: causeOf(send?.cause, sources, executions),
    };
  });
  return views.reverse();
}

/** Title and body of a push, read from the usual GCM (FCM v1 or legacy) and APNs payloads. */
export function pushText(message: unknown): { title?: string; body?: string } {
  const platforms = (message ?? {}) as Record<string, unknown>;
  for (const key of ["GCM", "APNS", "APNS_SANDBOX"]) {
    const raw = platforms[key];
    if (typeof raw !== "string") continue;
    try {
      const payload = JSON.parse(raw) as {
        fcmV1Message?: { message?: { notification?: { title?: string; body?: string } } };
        notification?: { title?: string; body?: string };
        aps?: { alert?: { title?: string; body?: string } | string };
      };
      const note = payload.fcmV1Message?.message?.notification ?? payload.notification ?? (typeof payload.aps?.alert === "object" ? payload.aps.alert : undefined);
      if (note) return { ...(note.title ? { title: note.title } : {}), ...(note.body ? { body: note.body } : {}) };
    } catch {
      continue;
    }
  }
  const fallback = typeof message === "string" ? message : platforms.default;
  return typeof fallback === "string" ? { body: fallback } : {};
}

/** Every push delivered, with its cause, newest first. */
export function outboxPushes(sources: OutboxSources): PushView[] {
  const notices = new Map(sources.notices.map((notice) => [notice.messageId, notice.stripeEventId]));
  return sources.pushes
    .map((push): PushView => {
      const stripeEventId = notices.get(push.messageId);
      return {
        messageId: push.messageId,
        endpoint: push.targetArn.split("/").slice(-2).join("/"),
        ...pushText(push.message),
        at: push.at,
        cause: stripeEventId ? { stripeEventId, eventType: sources.eventTypes.get(stripeEventId), via: "notification" } : undefined,
      };
    })
    .reverse();
}
