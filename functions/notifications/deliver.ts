/**
 * One send of one business fact on one channel, exactly once: claim it, send it, record it (or
 * give the claim back when the send failed). Shared by the invoice notices (`core.ts`) and the
 * lifecycle notices (`functions/lifecycle`).
 */
import { PushEndpointGoneError, type Channels } from "./channels.ts";
import type { Delivery } from "./notice.ts";
import type { Claim, FinalDelivery } from "./store.ts";
import type { RenderedNotice } from "./templates.ts";
import { RetryableError } from "../common/errors.ts";
import { assertTimeToSend, type InvocationBounds } from "../common/invocation.ts";

/** How one send went in this attempt. */
export type DeliveryResult = { readonly channel: Delivery["channel"]; readonly target: Delivery["key"] } & (
  | { readonly status: "sent"; readonly messageId: string; readonly delaySeconds: number }
  /** An earlier attempt already sent it (or found the device gone): nothing to do. */
  | { readonly status: "duplicate"; readonly previously: "sent" | "undeliverable" }
  | { readonly status: "undeliverable"; readonly reason: string }
  | { readonly status: "failed"; readonly error: unknown }
);

/** Another attempt is sending this very notice on this channel right now. */
export class SendInProgressError extends RetryableError {
  override name = "SendInProgressError";
}

/** The send records of one fact, bound to it. */
export interface FactClaims {
  claim(delivery: Delivery): Promise<Claim>;
  complete(delivery: Delivery, result: FinalDelivery): Promise<void>;
  release(delivery: Delivery, token: string): Promise<void>;
}

export interface DeliverContext {
  readonly claims: FactClaims;
  readonly channels: Channels;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** `detail.created` of the event, Unix seconds: the delay is measured from it. */
  readonly eventCreated: number;
  /** Names the fact in errors (no personal data). */
  readonly label: string;
  /** The Stripe event the notice answers, tagged on each email so the send names its cause. */
  readonly stripeEventId?: string | undefined;
  /** The running invocation, when known: a send starts only with time left to record it. */
  readonly invocation?: InvocationBounds | undefined;
}

/** Sends `content` on `delivery` unless an earlier attempt did. Never throws: failures are results. */
export async function deliverOnce(delivery: Delivery, content: RenderedNotice, context: DeliverContext): Promise<DeliveryResult> {
  const target = { channel: delivery.channel, target: delivery.key };
  try {
    assertTimeToSend(context.invocation, `${delivery.channel} of ${context.label}`);
  } catch (error) {
    return { ...target, status: "failed", error };
  }
  const claim = await context.claims.claim(delivery);
  if (claim.kind === "done") return { ...target, status: "duplicate", previously: claim.status };
  if (claim.kind === "busy") {
    return { ...target, status: "failed", error: new SendInProgressError(`${delivery.key} of ${context.label} is being sent`) };
  }
  let final: FinalDelivery;
  try {
    const messageId =
      delivery.channel === "email"
        ? await context.channels.sendEmail(delivery.address, content.email, { stripeEventId: context.stripeEventId })
        : await context.channels.sendPush(delivery.endpointArn, content.push);
    final = { status: "sent", messageId, sentAt: context.now() };
  } catch (error) {
    if (!(error instanceof PushEndpointGoneError)) {
      await context.claims.release(delivery, claim.token);
      return { ...target, status: "failed", error };
    }
    final = { status: "undeliverable", reason: error.reason };
  }
  try {
    await context.claims.complete(delivery, final);
  } catch (error) {
    // The send happened: keep the claim so only its lease running out can lead to a repeat.
    return { ...target, status: "failed", error };
  }
  if (final.status === "undeliverable") return { ...target, ...final };
  // Clock skew can put Stripe's timestamp ahead of ours; a negative delay means "immediately".
  const delaySeconds = Math.max(0, (final.sentAt - context.eventCreated * 1000) / 1000);
  return { ...target, status: "sent", messageId: final.messageId, delaySeconds };
}
