/**
 * A Stripe event as EventBridge's Stripe partner event source delivers it (the envelope around
 * what `stripe events retrieve`, the Dashboard or a webhook log shows), so that the local tools
 * accept both: `rules test` wraps a bare Stripe event this way, and `local/event-input.ts` (what
 * `send`, `run` and `backtest` read) every Stripe event it finds, `stripe events list` output included.
 */
import { PARTNER_SOURCE_PREFIX } from "./sources.ts";

/** True for a bare Stripe event (`"object": "event"`, an id and a type), not already an envelope. */
export function isBareStripeEvent(value: unknown): value is Record<string, unknown> & { id: string; type: string } {
  if (typeof value !== "object" || value === null) return false;
  const object = value as Record<string, unknown>;
  return object.object === "event" && typeof object.id === "string" && typeof object.type === "string" && object["detail-type"] === undefined;
}

/**
 * The envelope of `event` with envelope id `id`. The source names an event destination of the test
 * or live mode the event is in (`ed_test_local` or `ed_local`: the rules match the prefix only).
 */
export function partnerEnvelope(event: Record<string, unknown> & { id: string; type: string }, id: string): Record<string, unknown> {
  const source = `${PARTNER_SOURCE_PREFIX}${event.livemode === true ? "ed_local" : "ed_test_local"}`;
  return {
    version: "0",
    id,
    "detail-type": event.type,
    source,
    account: "000000000000",
    time: new Date((Number(event.created) || 0) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: "us-east-1",
    resources: [`arn:aws:events:us-east-1::event-source/${source}`],
    detail: event,
  };
}
