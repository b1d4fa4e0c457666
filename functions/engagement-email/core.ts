/**
 * Sending one engagement email: find the customer's address in their profile, claim the send for
 * this execution and template with a lease (so a retried task does not send twice), send through
 * SES, then mark it sent.
 */
import { SendEmailCommand, type SESClient } from "@aws-sdk/client-ses";
import * as z from "zod";
import { RetryableError } from "../common/errors.ts";
import type { InvocationBounds } from "../common/invocation.ts";
import { dynamoLeasedClaims } from "../notifications/store.ts";
import { purchaseFacts } from "../../events/engagement-input.ts";
import type { TaskTable } from "../common/task.ts";
import { getProfile, type ProfileTable } from "../common/profiles.ts";
import { causeTags } from "../common/send-tags.ts";
import { appliedReward } from "../engagement-offer/rewards.ts";
import { EMAIL_TEMPLATES, renderEngagementEmail } from "./templates.ts";

/** The payload the ASL sends to the email task (and the dispatcher builds for follow-ups). */
export const engagementEmailRequest = purchaseFacts.extend({
  template: z.enum(EMAIL_TEMPLATES),
  executionName: z.string().min(1),
  /** What the tier promotion applied in Stripe (the ApplyPersonalisedOffer step's answer). */
  reward: appliedReward.nullable().optional(),
});
export type EngagementEmailRequest = z.infer<typeof engagementEmailRequest>;

export type EmailOutcome =
  | { readonly sent: true; readonly messageId: string }
  | { readonly sent: false; readonly reason: "no-stripe-customer" | "no-profile" | "no-email" | "already-sent" };

export interface EmailDeps {
  readonly ses: SESClient;
  readonly profiles: ProfileTable;
  /** Where send claims live (the loyalty table). */
  readonly claims: TaskTable;
  /** The sender address. */
  readonly from: string;
  /**
   * How long a send claim holds: the sending function's timeout, since no invocation outlives it.
   * A claim left by a dead attempt is taken over only after that.
   */
  readonly leaseSeconds: number;
  /** Epoch milliseconds; default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Another attempt holds a live claim on this email (or died holding it and its lease has not run
 * out yet). Retryable: the ASL retries it with backoff, the follow-up dispatcher on its next run.
 */
export class EngagementEmailInProgressError extends RetryableError {
  override name = "EngagementEmailInProgressError";
}

/** The claim of one email: one per execution and template. */
export const emailClaimKey = (executionName: string, template: string) => ({
  pk: `ENGAGEMENT#${executionName}`,
  sk: `EMAIL#${template}`,
});

/**
 * Sends the email once per execution and template. The claim (`sending`, with a lease as long as
 * the function's timeout) is written before sending, marked `sent` with SES's message id after SES
 * accepts, and released if SES refuses, so a retry after a failure sends and a retry after a success
 * does not. A crash between the claim and the mark leaves a claim whose lease runs out, after which
 * a retry sends again: that window (SES has no idempotency key) is the only way to a duplicate, and
 * nothing accepted is lost. The claim is asked for while the profile is read (a claim for an email
 * that then is not sent is released), so the send waits for one round trip instead of two.
 */
export async function sendEngagementEmail(request: EngagementEmailRequest, deps: EmailDeps, invocation?: InvocationBounds): Promise<EmailOutcome> {
  if (!request.stripeCustomerId) return { sent: false, reason: "no-stripe-customer" };
  const key = emailClaimKey(request.executionName, request.template);
  const now = deps.now ?? Date.now;
  const claims = dynamoLeasedClaims({ client: deps.claims.client, tableName: deps.claims.tableName, leaseSeconds: deps.leaseSeconds, now, invocation });
  const record = { purchaseId: request.purchaseId, customerId: request.customerId };
  // The profile read and the claim side by side: one round trip instead of two before the send (the
  // task runs once per execution, so the burst waits on this path). The claim still precedes the
  // send; the profile decides first, as when it was read alone, and a claim taken for an email that
  // is not sent (no profile, no address, the read failed) is given back before answering.
  const [read, claimed] = await Promise.allSettled([
    getProfile(request.stripeCustomerId, deps.profiles),
    // The invocation's own end when known (the lease then ends exactly when this attempt must be dead).
    claims.claim(key, record, invocation && now() + Math.min(invocation.remainingMs(), deps.leaseSeconds * 1000)),
  ]);
  const profile = read.status === "fulfilled" ? read.value : undefined;
  if (read.status === "rejected" || !profile?.email) {
    if (claimed.status === "fulfilled" && claimed.value.kind === "claimed") await claims.release(key, claimed.value.token);
    if (read.status === "rejected") throw read.reason;
    return { sent: false, reason: profile ? "no-email" : "no-profile" };
  }
  if (claimed.status === "rejected") throw claimed.reason;
  const claim = claimed.value;
  if (claim.kind === "done") return { sent: false, reason: "already-sent" };
  if (claim.kind === "busy") {
    throw new EngagementEmailInProgressError(`engagement email ${request.template} of ${request.executionName} is being sent by another attempt`);
  }
  const email = renderEngagementEmail(request, profile);
  let messageId: string;
  try {
    const { MessageId } = await deps.ses.send(
      new SendEmailCommand({
        Source: deps.from,
        Destination: { ToAddresses: [profile.email] },
        Message: {
          Subject: { Data: email.subject, Charset: "UTF-8" },
          Body: { Text: { Data: email.text, Charset: "UTF-8" }, Html: { Data: email.html, Charset: "UTF-8" } },
        },
        Tags: causeTags({ executionName: request.executionName }),
      }),
    );
    messageId = MessageId ?? "";
  } catch (error) {
    await claims.release(key, claim.token);
    throw error;
  }
  // The send happened: a failure to mark it leaves the claim, so only its lease running out can repeat it.
  await claims.complete(key, { ...record, status: "sent", messageId, sentAt: now() });
  return { sent: true, messageId };
}
