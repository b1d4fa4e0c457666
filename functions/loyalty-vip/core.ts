/**
 * The VIP notification by push: a `TierChanged` loyalty event (`events/loyalty-events.ts`) sends
 * one push to each of the customer's registered devices (the endpoints on their profile), once per
 * promotion and device. The email of the same promotion is the engagement workflow's tier-upgrade
 * email (claimed per execution and template); this consumer is the push channel.
 *
 * Delivery is at least once (EventBridge, SQS, and the publisher's retries), so each send is
 * claimed first under `VIP#<customerId>` / `PUSH#<tier>#<endpointArn>`, keyed by the fact (not the
 * envelope): a duplicate finds the send done. A crash after the claim leaves it until its lease (the
 * function's timeout) runs out; the redelivery, later than that (the queue's visibility timeout),
 * sends then — SNS has no idempotency key, so that window is the only way to a second push.
 */
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { parseLoyaltyEvent, type LoyaltyEventDetail } from "../../events/loyalty-events.ts";
import { PoisonRecordError, RetryableError } from "../common/errors.ts";
import { getProfile, type ProfileTable } from "../common/profiles.ts";
import { PushEndpointGoneError, type Channels } from "../notifications/channels.ts";
import { dynamoLeasedClaims } from "../notifications/store.ts";
import { ENGAGEMENT_COPY } from "../engagement-email/templates.ts";
import type { PushContent } from "../notifications/templates.ts";
import type { InvocationBounds } from "../common/invocation.ts";

/** The message is not a valid TierChanged event: no retry can fix it. */
export class InvalidTierChangedEventError extends PoisonRecordError {
  override name = "InvalidTierChangedEventError";
}

export interface VipDeps {
  /** The running invocation, when known: no push starts without time left to record it. */
  readonly invocation?: InvocationBounds | undefined;
  readonly channels: Pick<Channels, "sendPush">;
  readonly profiles: ProfileTable;
  /** Where the send claims live (the loyalty table). */
  readonly claims: { readonly client: DynamoDBDocumentClient; readonly tableName: string };
  /** The function's timeout: no attempt outlives it. */
  readonly leaseSeconds: number;
  readonly now?: () => number;
}

export type VipOutcome =
  | { readonly kind: "skipped"; readonly reason: "no-stripe-customer" | "no-profile" | "no-devices" }
  | { readonly kind: "pushed"; readonly results: readonly { readonly endpointArn: string; readonly result: "sent" | "already-sent" | "endpoint-gone" }[] };

/** The claim of one push: one per promotion (customer and tier) and device. */
export const vipPushKey = (customerId: string, tier: string, endpointArn: string) => ({ pk: `VIP#${customerId}`, sk: `PUSH#${tier}#${endpointArn}` });

const PUSH_TEXT: Readonly<Record<string, (tier: string) => { title: string; body: string }>> = {
  en: (tier) => ({ title: `Welcome to ${tier}`, body: `Your purchases took you to ${tier}. Open the app to see your rewards.` }),
  fr: (tier) => ({ title: `Bienvenue au niveau ${tier}`, body: `Vos achats vous font passer au niveau ${tier}. Ouvrez l'app pour voir vos avantages.` }),
  de: (tier) => ({ title: `Willkommen bei ${tier}`, body: `Ihre Einkäufe haben Sie zu ${tier} befördert. Öffnen Sie die App für Ihre Vorteile.` }),
  ja: (tier) => ({ title: `${tier}会員へようこそ`, body: `お買い物で${tier}会員になりました。アプリで特典をご確認ください。` }),
};

/** The push, in the customer's language when we have its words. */
export function vipPush(detail: LoyaltyEventDetail<"TierChanged">, locale: string | undefined): PushContent {
  const language = new Intl.Locale(locale ?? "en-US").language;
  const words = PUSH_TEXT[language] ?? PUSH_TEXT.en!;
  const tier = (ENGAGEMENT_COPY[language] ?? ENGAGEMENT_COPY.en!).tiers[detail.newTier];
  return { ...words(tier), data: { type: "tier-changed", tier: detail.newTier, eventId: detail.id } };
}

/** Handles one SQS message body: an EventBridge envelope of a `TierChanged` event. */
export async function processVipMessage(body: string, deps: VipDeps): Promise<VipOutcome> {
  let detail: LoyaltyEventDetail<"TierChanged">;
  try {
    detail = parseLoyaltyEvent("TierChanged", JSON.parse(body));
  } catch (error) {
    throw new InvalidTierChangedEventError(`not a TierChanged event: ${error instanceof z.ZodError ? error.issues[0]?.message : (error as Error).message}`, { cause: error });
  }
  if (!detail.stripeCustomerId) return { kind: "skipped", reason: "no-stripe-customer" };
  const profile = await getProfile(detail.stripeCustomerId, deps.profiles);
  if (!profile) return { kind: "skipped", reason: "no-profile" };
  const endpoints = [...new Set(profile.pushEndpoints)];
  if (endpoints.length === 0) return { kind: "skipped", reason: "no-devices" };
  const now = deps.now ?? Date.now;
  const claims = dynamoLeasedClaims({ client: deps.claims.client, tableName: deps.claims.tableName, leaseSeconds: deps.leaseSeconds, now, invocation: deps.invocation });
  const push = vipPush(detail, profile.locale);
  const results: { endpointArn: string; result: "sent" | "already-sent" | "endpoint-gone" }[] = [];
  for (const endpointArn of endpoints) {
    const key = vipPushKey(detail.customerId, detail.newTier, endpointArn);
    const record = { eventId: detail.id, customerId: detail.customerId, tier: detail.newTier };
    const claim = await claims.claim(key, record);
    if (claim.kind === "done") {
      results.push({ endpointArn, result: "already-sent" });
      continue;
    }
    // Another attempt is sending: the message comes back after the visibility timeout.
    if (claim.kind === "busy") throw new VipPushInProgressError(`the ${detail.newTier} push to a device of ${detail.customerId} is being sent by another attempt`);
    try {
      const messageId = await deps.channels.sendPush(endpointArn, push);
      await claims.complete(key, { ...record, status: "sent", messageId, sentAt: now() });
      results.push({ endpointArn, result: "sent" });
    } catch (error) {
      if (!(error instanceof PushEndpointGoneError)) throw error;
      // The device is gone for good: nothing to retry; the app re-registers when it comes back.
      await claims.complete(key, { ...record, status: "undeliverable", reason: error.reason, sentAt: now() });
      results.push({ endpointArn, result: "endpoint-gone" });
    }
  }
  return { kind: "pushed", results };
}

/** Another attempt holds a live claim on this push: retry later. */
export class VipPushInProgressError extends RetryableError {
  override name = "VipPushInProgressError";
}
