/**
 * Sending one engagement email: find the customer's address in their profile, claim the send for
 * this execution and template (so a retried task does not send twice), then send through SES.
 */
import { SendEmailCommand, type SESClient } from "@aws-sdk/client-ses";
import { DeleteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { purchaseFacts } from "../../workflows/engagement-input.ts";
import type { TaskTable } from "../../workflows/task.ts";
import { getProfile, type ProfileTable } from "../common/profiles.ts";
import { EMAIL_TEMPLATES, renderEngagementEmail } from "./templates.ts";

/** The payload the ASL sends to the email task (and the dispatcher builds for follow-ups). */
export const engagementEmailRequest = purchaseFacts.extend({
  template: z.enum(EMAIL_TEMPLATES),
  executionName: z.string().min(1),
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
}

/** The claim of one email: one per execution and template. */
export const emailClaimKey = (executionName: string, template: string) => ({
  pk: `ENGAGEMENT#${executionName}`,
  sk: `EMAIL#${template}`,
});

/**
 * Sends the email once per execution and template. The claim is written before sending and
 * removed if SES refuses, so a retry after a failure sends, and a retry after a success does not.
 * (A crash between SES accepting and the function returning loses nothing: the claim stays.)
 */
export async function sendEngagementEmail(request: EngagementEmailRequest, deps: EmailDeps): Promise<EmailOutcome> {
  if (!request.stripeCustomerId) return { sent: false, reason: "no-stripe-customer" };
  const profile = await getProfile(request.stripeCustomerId, deps.profiles);
  if (!profile) return { sent: false, reason: "no-profile" };
  if (!profile.email) return { sent: false, reason: "no-email" };
  const key = emailClaimKey(request.executionName, request.template);
  try {
    await deps.claims.client.send(
      new PutCommand({
        TableName: deps.claims.tableName,
        Item: { ...key, purchaseId: request.purchaseId, customerId: request.customerId },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name === "ConditionalCheckFailedException") return { sent: false, reason: "already-sent" };
    throw error;
  }
  const email = renderEngagementEmail(request, profile);
  try {
    const { MessageId } = await deps.ses.send(
      new SendEmailCommand({
        Source: deps.from,
        Destination: { ToAddresses: [profile.email] },
        Message: {
          Subject: { Data: email.subject, Charset: "UTF-8" },
          Body: { Text: { Data: email.text, Charset: "UTF-8" }, Html: { Data: email.html, Charset: "UTF-8" } },
        },
      }),
    );
    return { sent: true, messageId: MessageId ?? "" };
  } catch (error) {
    await deps.claims.client.send(new DeleteCommand({ TableName: deps.claims.tableName, Key: key }));
    throw error;
  }
}
