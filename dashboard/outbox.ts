/**
 * The outbox: every email and push the pipeline sent, each tied to the Stripe event that caused it.
 *
 * Notifications record the provider's message id with the Stripe event id of each send (the
 * `notifications` table), so those links are exact. Engagement emails are claimed per execution
 * and template (the `loyalty` table) without the message id; the template is a pure function of
 * the execution's input and the customer's profile, so rendering it again and comparing the
 * content finds the execution, whose purchase names its Stripe event. Pure: records in, views out.
 */
import { EMAIL_TEMPLATES, renderEngagementEmail, type EmailTemplate } from "../functions/engagement-email/templates.ts";
import type { SentEmail } from "../local/ses.ts";
import type { PushRecord } from "../local/sns.ts";
import type { Cause, EmailView, PushView } from "./protocol.ts";

/** A send recorded by the notifications consumer. */
export interface NoticeSend {
  readonly messageId: string;
  readonly stripeEventId: string;
}

/** An engagement email claimed by an execution. */
export interface EngagementClaim {
  readonly executionName: string;
  readonly template: string;
}

/** What the engagement templates read from an execution's input. */
export interface EngagementExecution {
  readonly name: string;
  readonly input: {
    readonly purchaseId?: string;
    readonly stripeCustomerId?: string | null;
    readonly pointsEarned?: number;
    readonly amount?: number;
    readonly currency?: string;
    readonly newTier?: string | null;
  };
}

export interface OutboxSources {
  readonly emails: readonly SentEmail[];
  readonly pushes: readonly PushRecord[];
  readonly notices: readonly NoticeSend[];
  readonly claims: readonly EngagementClaim[];
  readonly executions: readonly EngagementExecution[];
  /** Purchase id -> the Stripe event that credited it. */
  readonly purchaseEvents: ReadonlyMap<string, { readonly eventId: string; readonly eventType: string }>;
  /** Stripe customer -> how emails address them. */
  readonly profiles: ReadonlyMap<string, { readonly name?: string | undefined; readonly locale?: string | undefined }>;
  /** Stripe event id -> its type, for the events the stream has seen. */
  readonly eventTypes: ReadonlyMap<string, string>;
  /** When each email was sent to the millisecond, in send order (the journal's `effect.email` entries). */
  readonly sendTimes: ReadonlyArray<{ readonly to: readonly string[]; readonly subject: string; readonly at: string }>;
}

const isTemplate = (name: string): name is EmailTemplate => (EMAIL_TEMPLATES as readonly string[]).includes(name);

function contentKey(subject: string, html: string | undefined): string {
  return `${subject}\n${html ?? ""}`;
}

/** Engagement emails each claim must have produced, by content, in claim order. */
function expectedEngagementEmails(sources: OutboxSources): Map<string, Cause[]> {
  const executions = new Map(sources.executions.map((execution) => [execution.name, execution.input]));
  const expected = new Map<string, Cause[]>();
  for (const claim of sources.claims) {
    const input = executions.get(claim.executionName);
    if (!input || !isTemplate(claim.template) || !input.stripeCustomerId || !input.purchaseId || !input.currency) continue;
    const profile = sources.profiles.get(input.stripeCustomerId) ?? {};
    let rendered;
    try {
      rendered = renderEngagementEmail(
        {
          template: claim.template,
          pointsEarned: input.pointsEarned ?? 0,
          amount: input.amount ?? 0,
          currency: input.currency,
          newTier: (input.newTier ?? null) as Parameters<typeof renderEngagementEmail>[0]["newTier"],
        },
        profile,
      );
    } catch {
      // An input the template cannot render (e.g. an unknown currency) sent no email either.
      continue;
    }
    const source = sources.purchaseEvents.get(input.purchaseId);
    if (!source) continue;
    const key = contentKey(rendered.subject, rendered.html);
    const cause: Cause = { stripeEventId: source.eventId, eventType: source.eventType, via: "workflow", executionName: claim.executionName };
    expected.set(key, [...(expected.get(key) ?? []), cause]);
  }
  return expected;
}

/**
 * The store keeps whole seconds; the journal knows the millisecond. Emails to the same people with
 * the same subject are paired in send order, which both records keep.
 */
function preciseTimes(sources: OutboxSources): Map<string, string[]> {
  const times = new Map<string, string[]>();
  for (const sent of sources.sendTimes) {
    const key = `${sent.to.join(",")}\n${sent.subject}`;
    times.set(key, [...(times.get(key) ?? []), sent.at]);
  }
  return times;
}

/** Every email with its cause, newest first. */
export function outboxEmails(sources: OutboxSources): EmailView[] {
  const notices = new Map(sources.notices.map((notice) => [notice.messageId, notice.stripeEventId]));
  const engagement = expectedEngagementEmails(sources);
  const times = preciseTimes(sources);
  const views = sources.emails.map((email): EmailView => {
    const noticeEvent = notices.get(email.messageId);
    // Identical content from two executions is indistinguishable; each claim is used once.
    const cause: Cause | undefined = noticeEvent
      ? { stripeEventId: noticeEvent, eventType: sources.eventTypes.get(noticeEvent), via: "notification" }
      : engagement.get(contentKey(email.subject, email.body.html))?.shift();
    return {
      messageId: email.messageId,
      to: email.destination.to,
      subject: email.subject,
      at: times.get(`${email.destination.to.join(",")}\n${email.subject}`)?.shift() ?? new Date(email.at * 1000).toISOString(),
      hasHtml: typeof email.body.html === "string",
      cause,
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
