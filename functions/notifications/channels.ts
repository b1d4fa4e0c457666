/**
 * The two ways out: SES email (v1 `SendEmail`) and SNS mobile push (`Publish` to a platform
 * endpoint). Errors pass through unchanged except the ones that say a device is gone for good.
 */
import { SendEmailCommand, type SESClient } from "@aws-sdk/client-ses";
import {
  EndpointDisabledException,
  InvalidParameterException,
  NotFoundException,
  PublishCommand,
  type SNSClient,
} from "@aws-sdk/client-sns";
import type { EmailContent, PushContent } from "./templates.ts";
import { causeTags } from "../common/send-tags.ts";

/** Sends one email or one push; resolves to the provider's message id. */
export interface Channels {
  /** `cause` names the Stripe event the email answers (sent as an SES message tag). */
  sendEmail(to: string, email: EmailContent, cause?: { stripeEventId?: string | undefined }): Promise<string>;
  /** @throws PushEndpointGoneError when the endpoint is disabled or deleted. */
  sendPush(endpointArn: string, push: PushContent): Promise<string>;
}

/**
 * SNS disabled the endpoint (the platform reported the token invalid) or it no longer exists.
 * Retrying cannot deliver; the app re-enables or replaces the endpoint when the device checks in.
 */
export class PushEndpointGoneError extends Error {
  override name = "PushEndpointGoneError";
  readonly reason: "endpoint-disabled" | "endpoint-not-found";

  constructor(reason: PushEndpointGoneError["reason"], options: { cause: unknown }) {
    super(`push endpoint unusable: ${reason}`, options);
    this.reason = reason;
  }
}

/**
 * The SNS message for `MessageStructure: "json"`: one payload per platform (FCM HTTP v1 for `GCM`,
 * APNs for `APNS` and `APNS_SANDBOX`) and the `default` text SNS requires.
 */
export function snsPushMessage(push: PushContent): string {
  const apns = JSON.stringify({ aps: { alert: { title: push.title, body: push.body } }, ...push.data });
  const gcm = JSON.stringify({ fcmV1Message: { message: { notification: { title: push.title, body: push.body }, data: push.data } } });
  return JSON.stringify({ default: push.body, GCM: gcm, APNS: apns, APNS_SANDBOX: apns });
}

/** {@link Channels} on real SES and SNS clients. */
export function awsChannels(clients: { ses: SESClient; sns: SNSClient }, emailFrom: string): Channels {
  return {
    async sendEmail(to, email, cause) {
      const utf8 = (Data: string) => ({ Data, Charset: "UTF-8" });
      const { MessageId } = await clients.ses.send(
        new SendEmailCommand({
          Source: emailFrom,
          Destination: { ToAddresses: [to] },
          Message: { Subject: utf8(email.subject), Body: { Html: utf8(email.html), Text: utf8(email.text) } },
          Tags: causeTags(cause ?? {}),
        }),
      );
      return MessageId ?? "";
    },
    async sendPush(endpointArn, push) {
      try {
        const { MessageId } = await clients.sns.send(
          new PublishCommand({ TargetArn: endpointArn, MessageStructure: "json", Message: snsPushMessage(push) }),
        );
        return MessageId ?? "";
      } catch (error) {
        if (error instanceof EndpointDisabledException) throw new PushEndpointGoneError("endpoint-disabled", { cause: error });
        // SNS answers a deleted endpoint with InvalidParameter, telling it apart only by the message.
        const deleted =
          error instanceof NotFoundException ||
          (error instanceof InvalidParameterException && /no endpoint found/i.test(error.message));
        if (deleted) throw new PushEndpointGoneError("endpoint-not-found", { cause: error });
        throw error;
      }
    },
  };
}
